//! The sample sfdx project (`tests/fixtures/sfdx-project`) served over real HTTP, on whichever backend the
//! suite runs: validation rules refusing rows on every write path with Salesforce's exact text (bulk
//! insert, update and upsert; REST sObject rows and collections), formula fields computed when read (REST
//! and Bulk queries, in SELECT, WHERE and ORDER BY) and described as calculated, per-record-type picklists,
//! auto-numbers, deletes per `deleteConstraint`, and default values filled on insert.
//!
//! Every test starts its own server on the project, so auto-numbers start at the project's
//! `startingNumber` (INV-0001) in each.

#[path = "../common/mod.rs"]
mod common;

mod formulas;
mod records;
mod rules;

use common::{Reply, Server, parse_csv, start_with};
use reqwest::Method;
use serde_json::{Value, json};
use std::path::PathBuf;

/// The sample project, as `serve --project` takes it.
fn project_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/sfdx-project")
}

/// A server serving the sample project.
async fn serve() -> Server {
    let dir = project_dir();
    start_with(move |c| c.project_dirs = vec![dir]).await
}

/// The records the tests hang invoices on: a ledger (the master, maximum amount 1000), an account (Banking)
/// and a contact (Ada Lovelace).
struct Org {
    ledger: String,
    account: String,
    contact: String,
}

async fn org(server: &Server) -> Org {
    let ledger = server
        .insert("Ledger__c", "Name,Code__c,Max_Amount__c\nMain,L1,1000\n")
        .await;
    let account = server
        .insert("Account", "Name,Industry\nAcme,Banking\n")
        .await;
    let contact = server
        .insert("Contact", "FirstName,LastName\nAda,Lovelace\n")
        .await;
    Org {
        ledger: ledger[0].clone(),
        account: account[0].clone(),
        contact: contact[0].clone(),
    }
}

/// `sf__Error` of a row refused by a validation rule, as the rule's metadata gives it.
fn rule_error(message: &str, field: Option<&str>) -> String {
    match field {
        Some(field) => format!("FIELD_CUSTOM_VALIDATION_EXCEPTION:{message}:{field} --"),
        None => format!("FIELD_CUSTOM_VALIDATION_EXCEPTION:{message}:--"),
    }
}

/// One quoted row of a result file.
fn row(cells: &[&str]) -> String {
    let quoted: Vec<String> = cells
        .iter()
        .map(|c| format!("\"{}\"", c.replace('"', "\"\"")))
        .collect();
    format!("{}\n", quoted.join(","))
}

/// A failed-results file: the header over `columns`, then `rows`.
fn failed_file(columns: &str, rows: &[String]) -> String {
    format!("\"sf__Id\",\"sf__Error\",{columns}\n{}", rows.concat())
}

/// The sf__Error cells of a result file's data rows, in order.
fn errors(file: &str) -> Vec<String> {
    parse_csv(file, b',')
        .into_iter()
        .skip(1)
        .map(|r| r[1].clone())
        .collect()
}

/// `GET /query?q=soql`: the records, without their `attributes`.
async fn query(server: &Server, soql: &str) -> Vec<Value> {
    let reply = server
        .send(
            server
                .request(Method::GET, &server.api("/query"))
                .query(&[("q", soql)]),
        )
        .await;
    assert_eq!(reply.status, 200, "{soql}: {}", reply.text());
    let mut records = reply.json()["records"].as_array().unwrap().clone();
    for record in &mut records {
        record.as_object_mut().unwrap().remove("attributes");
    }
    records
}

/// `method` on an API path with an optional JSON body.
async fn call(server: &Server, method: Method, path: &str, body: Option<Value>) -> Reply {
    let mut request = server.request(method, &server.api(path));
    if let Some(body) = body {
        request = request.json(&body);
    }
    server.send(request).await
}

/// Creates a Bulk query job for `soql`, waits for it and returns its CSV results.
async fn bulk_query(server: &Server, soql: &str) -> String {
    let reply = call(
        server,
        Method::POST,
        "/jobs/query",
        Some(json!({"operation": "query", "query": soql})),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let id = reply.json()["id"].as_str().unwrap().to_owned();
    for _ in 0..400 {
        let info = server
            .get(&server.api(&format!("/jobs/query/{id}")))
            .await
            .json();
        match info["state"].as_str() {
            Some("JobComplete") => {
                return server
                    .get(&server.api(&format!("/jobs/query/{id}/results")))
                    .await
                    .text();
            }
            Some("Failed" | "Aborted") => panic!("query job ended {info}"),
            _ => tokio::time::sleep(std::time::Duration::from_millis(25)).await,
        }
    }
    panic!("query job {id} never completed");
}

/// A number of a REST record (JSON numbers may come as integers or floats); `None` for null.
fn number(value: &Value) -> Option<f64> {
    if value.is_null() {
        return None;
    }
    Some(
        value
            .as_f64()
            .unwrap_or_else(|| panic!("not a number: {value}")),
    )
}

/// The field of `object`'s describe named `name`.
async fn describe_field(server: &Server, object: &str, name: &str) -> Value {
    let reply = server
        .get(&server.api(&format!("/sobjects/{object}/describe")))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    reply.json()["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == name)
        .unwrap_or_else(|| panic!("{object} describes no {name}"))
        .clone()
}
