//! Polymorphic lookups over real HTTP: Task `WhoId`/`WhatId` and `OwnerId` to a user or a queue accept an
//! id of any object they may point at and refuse others with Salesforce's row error, on bulk and REST
//! writes alike; SOQL reads them through the `Name` object (`What.Type`, `What.Name`, `Owner.Type`) over
//! REST and Bulk query jobs, and `TYPEOF` over REST. Backend-neutral (SQLite, or PostgreSQL with
//! BULKFORCE_TEST_BACKEND=postgres).

mod common;

use common::{Server, parse_csv, start};
use reqwest::Method;
use serde_json::{Value, json};

fn row(cells: &[&str]) -> String {
    let quoted: Vec<String> = cells
        .iter()
        .map(|c| format!("\"{}\"", c.replace('"', "\"\"")))
        .collect();
    format!("{}\n", quoted.join(","))
}

fn failed(header: &str, rows: &[String]) -> String {
    format!("\"sf__Id\",\"sf__Error\",{header}\n{}", rows.concat())
}

fn insert_job(object: &str) -> Value {
    json!({"object": object, "operation": "insert"})
}

fn encode(soql: &str) -> String {
    soql.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The records of a REST query (asserting 200).
async fn query(server: &Server, soql: &str) -> Vec<Value> {
    let reply = server
        .get(&server.api(&format!("/query?q={}", encode(soql))))
        .await;
    assert_eq!(reply.status, 200, "{soql}: {}", reply.text());
    reply.json()["records"].as_array().unwrap().clone()
}

/// The records every test reads through: an account, a contact, a lead, an opportunity, a case, a queue
/// and a public group.
struct Org {
    account: String,
    contact: String,
    lead: String,
    opportunity: String,
    case: String,
    queue: String,
    group: String,
}

async fn org(server: &Server) -> Org {
    let account = server
        .insert(
            "Account",
            "Name,Phone,NumberOfEmployees\nAcme,555-0100,42\n",
        )
        .await;
    let contact = server
        .insert("Contact", "FirstName,LastName\nAda,Lovelace\n")
        .await;
    let lead = server
        .insert(
            "Lead",
            "FirstName,LastName,Company\nAlan,Turing,Bletchley\n",
        )
        .await;
    let opportunity = server
        .insert(
            "Opportunity",
            "Name,StageName,CloseDate,Amount\nBig Deal,Prospecting,2026-06-30,1000\n",
        )
        .await;
    let case = server.insert("Case", "Subject\nBroken\n").await;
    let groups = server
        .insert(
            "Group",
            "Name,Type\nSupport Queue,Queue\nEveryone,Regular\n",
        )
        .await;
    Org {
        account: account[0].clone(),
        contact: contact[0].clone(),
        lead: lead[0].clone(),
        opportunity: opportunity[0].clone(),
        case: case[0].clone(),
        queue: groups[0].clone(),
        group: groups[1].clone(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bulk_lookups_take_any_allowed_object_and_refuse_others() {
    let server = start().await;
    let o = org(&server).await;
    let csv = format!(
        "Subject,WhoId,WhatId\nT1,{c},{a}\nT2,{l},\nT3,,{op}\nT4,{a},\nT5,,{c}\nT6,,abc\n",
        c = o.contact,
        a = o.account,
        l = o.lead,
        op = o.opportunity
    );
    let (info, results) = server.run_complete(&insert_job("Task"), csv).await;
    assert_eq!(info["numberRecordsFailed"], 3, "{}", results.failed);
    let header = "Subject,WhoId,WhatId";
    assert_eq!(
        results.failed,
        failed(
            header,
            &[
                row(&[
                    "",
                    &format!(
                        "FIELD_INTEGRITY_EXCEPTION:Name ID: id value of incorrect type: {}:WhoId --",
                        o.account
                    ),
                    "T4",
                    &o.account,
                    ""
                ]),
                row(&[
                    "",
                    &format!(
                        "FIELD_INTEGRITY_EXCEPTION:Related To ID: id value of incorrect type: {}:WhatId --",
                        o.contact
                    ),
                    "T5",
                    "",
                    &o.contact
                ]),
                row(&[
                    "",
                    "MALFORMED_ID:Related To ID: id value of incorrect type: abc:WhatId --",
                    "T6",
                    "",
                    "abc"
                ]),
            ]
        )
    );

    // Owners: a queue owns Cases and Leads; a public group owns nothing; an Account's owner is a user.
    let csv = format!("Subject,OwnerId\nQueued,{}\nGrouped,{}\n", o.queue, o.group);
    let (_, results) = server.run_complete(&insert_job("Case"), csv).await;
    assert_eq!(
        results.failed,
        failed(
            "Subject,OwnerId",
            &[row(&[
                "",
                &format!(
                    "FIELD_INTEGRITY_EXCEPTION:Owner ID: id value of incorrect type: {}:OwnerId --",
                    o.group
                ),
                "Grouped",
                &o.group
            ])]
        )
    );
    let csv = format!("LastName,Company,OwnerId\nQueued,Q,{}\n", o.queue);
    let (info, _) = server.run_complete(&insert_job("Lead"), csv).await;
    assert_eq!(info["numberRecordsFailed"], 0);
    let csv = format!("Name,OwnerId\nQueued,{}\n", o.queue);
    let (_, results) = server.run_complete(&insert_job("Account"), csv).await;
    assert_eq!(
        results.failed,
        failed(
            "Name,OwnerId",
            &[row(&[
                "",
                &format!(
                    "FIELD_INTEGRITY_EXCEPTION:Owner ID: id value of incorrect type: {}:OwnerId --",
                    o.queue
                ),
                "Queued",
                &o.queue
            ])]
        )
    );
    // Updates are checked alike.
    let csv = format!("Id,OwnerId\n{},{}\n", o.case, o.group);
    let (_, results) = server
        .run_complete(&json!({"object": "Case", "operation": "update"}), csv)
        .await;
    assert!(
        results.failed.contains(&format!(
            "FIELD_INTEGRITY_EXCEPTION:Owner ID: id value of incorrect type: {}:OwnerId --",
            o.group
        )),
        "{}",
        results.failed
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rest_writes_refuse_the_wrong_object_alike() {
    let server = start().await;
    let o = org(&server).await;
    let send = |method: Method, path: String, body: Value| {
        let server = &server;
        async move {
            let url = server.api(&format!("/sobjects{path}"));
            server.send(server.request(method, &url).json(&body)).await
        }
    };
    let reply = send(
        Method::POST,
        "/Task".into(),
        json!({"Subject": "Call", "WhoId": o.account}),
    )
    .await;
    assert_eq!(reply.status, 400, "{}", reply.text());
    assert_eq!(
        reply.json(),
        json!([{"errorCode": "FIELD_INTEGRITY_EXCEPTION",
                "message": format!("Name ID: id value of incorrect type: {}", o.account),
                "fields": ["WhoId"]}])
    );
    let reply = send(
        Method::POST,
        "/Task".into(),
        json!({"Subject": "Call", "WhoId": o.lead, "WhatId": o.case, "OwnerId": o.queue}),
    )
    .await;
    assert_eq!(reply.status, 201, "{}", reply.text());
    let reply = send(
        Method::PATCH,
        format!("/Case/{}", o.case),
        json!({"OwnerId": o.group}),
    )
    .await;
    assert_eq!(reply.status, 400, "{}", reply.text());
    assert_eq!(
        reply.json(),
        json!([{"errorCode": "FIELD_INTEGRITY_EXCEPTION",
                "message": format!("Owner ID: id value of incorrect type: {}", o.group),
                "fields": ["OwnerId"]}])
    );
    let reply = send(
        Method::PATCH,
        format!("/Case/{}", o.case),
        json!({"OwnerId": o.queue}),
    )
    .await;
    assert_eq!(reply.status, 204, "{}", reply.text());
    assert_eq!(
        server.field("Case", &o.case, "OwnerId").await,
        Some(o.queue.clone())
    );
}

/// Tasks related to each kind of record: an account (with a contact), an opportunity (with a lead), a
/// case, and nothing.
async fn tasks(server: &Server, o: &Org) {
    let csv = format!(
        "Subject,WhoId,WhatId\nA,{},{}\nB,{},{}\nC,,{}\nD,,\n",
        o.contact, o.account, o.lead, o.opportunity, o.case
    );
    let (info, results) = server.run_complete(&insert_job("Task"), csv).await;
    assert_eq!(info["numberRecordsFailed"], 0, "{}", results.failed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn soql_reads_polymorphic_relationships_through_the_name_object() {
    let server = start().await;
    let o = org(&server).await;
    tasks(&server, &o).await;
    let records = query(
        &server,
        "SELECT Subject, What.Type, What.Name, Who.Name FROM Task ORDER BY Subject",
    )
    .await;
    let url_of = |record: &Value| record["attributes"]["url"].as_str().unwrap().to_owned();
    let what = |i: usize| records[i]["What"].clone();
    assert_eq!(what(0)["attributes"]["type"], "Name");
    assert!(url_of(&what(0)).ends_with(&format!("/sobjects/Account/{}", o.account)));
    assert_eq!(
        (&what(0)["Type"], &what(0)["Name"]),
        (&json!("Account"), &json!("Acme"))
    );
    assert_eq!(records[0]["Who"]["Name"], "Ada Lovelace");
    assert!(url_of(&records[0]["Who"]).ends_with(&format!("/sobjects/Contact/{}", o.contact)));
    assert_eq!(
        (&what(1)["Type"], &what(1)["Name"]),
        (&json!("Opportunity"), &json!("Big Deal"))
    );
    assert_eq!(records[1]["Who"]["Name"], "Alan Turing");
    assert_eq!(what(2)["Type"], "Case");
    assert_eq!(records[2]["Who"], Value::Null);
    assert_eq!(
        (&records[3]["What"], &records[3]["Who"]),
        (&Value::Null, &Value::Null)
    );

    // Filters on the type, and on a Name field.
    let subjects = |records: Vec<Value>| -> Vec<String> {
        records
            .iter()
            .map(|r| r["Subject"].as_str().unwrap().to_owned())
            .collect()
    };
    let found = query(
        &server,
        "SELECT Subject FROM Task WHERE What.Type IN ('Account', 'Case') ORDER BY Subject",
    )
    .await;
    assert_eq!(subjects(found), ["A", "C"]);
    let found = query(
        &server,
        "SELECT Subject FROM Task WHERE Who.Name LIKE 'alan%'",
    )
    .await;
    assert_eq!(subjects(found), ["B"]);

    // Owners: a user or a queue, told apart by Owner.Type.
    let csv = format!("Subject,OwnerId\nQueued,{}\n", o.queue);
    server.insert("Case", &csv).await;
    let records = query(
        &server,
        "SELECT Subject, Owner.Type, Owner.Name FROM Case WHERE Owner.Type = 'Queue'",
    )
    .await;
    assert_eq!(records.len(), 1);
    assert_eq!(records[0]["Owner"]["Type"], "Queue");
    assert_eq!(records[0]["Owner"]["Name"], "Support Queue");
    let records = query(
        &server,
        "SELECT Subject, Owner.Type FROM Case WHERE Owner.Type = 'User'",
    )
    .await;
    assert_eq!(subjects(records), ["Broken"]);

    // A field the Name object lacks is refused, as Salesforce refuses it.
    let reply = server
        .get(&server.api(&format!(
            "/query?q={}",
            encode("SELECT What.Industry FROM Task")
        )))
        .await;
    assert_eq!(reply.status, 400, "{}", reply.text());
    assert_eq!(reply.json()[0]["errorCode"], "INVALID_FIELD");
    assert!(
        reply.json()[0]["message"]
            .as_str()
            .unwrap()
            .contains("No such column 'Industry' on entity 'Name'"),
        "{}",
        reply.text()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bulk_query_jobs_read_name_fields_and_refuse_typeof() {
    let server = start().await;
    let o = org(&server).await;
    tasks(&server, &o).await;
    let create = |soql: &str| {
        let server = &server;
        let body = json!({"operation": "query", "query": soql});
        async move {
            server
                .send(
                    server
                        .request(Method::POST, &server.api("/jobs/query"))
                        .json(&body),
                )
                .await
        }
    };
    let reply = create("SELECT Subject, What.Type, What.Name FROM Task ORDER BY Subject").await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let id = reply.json()["id"].as_str().unwrap().to_owned();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let info = server
            .get(&server.api(&format!("/jobs/query/{id}")))
            .await
            .json();
        if info["state"] == "JobComplete" {
            break;
        }
        assert!(info["state"] != "Failed", "{info}");
        assert!(std::time::Instant::now() < deadline, "{info}");
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    let csv = server
        .get(&server.api(&format!("/jobs/query/{id}/results")))
        .await
        .text();
    // A Case is named by its number.
    let case_number = server
        .field("Case", &o.case, "CaseNumber")
        .await
        .unwrap_or_default();
    assert_eq!(
        parse_csv(&csv, b','),
        [
            ["Subject", "What.Type", "What.Name"],
            ["A", "Account", "Acme"],
            ["B", "Opportunity", "Big Deal"],
            ["C", "Case", case_number.as_str()],
            ["D", "", ""],
        ]
    );
    create("SELECT TYPEOF What WHEN Account THEN Phone END FROM Task")
        .await
        .assert_error(400, "API_ERROR", "TYPEOF not supported in Bulk Query");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typeof_answers_the_fields_of_the_branch_each_record_takes() {
    let server = start().await;
    let o = org(&server).await;
    tasks(&server, &o).await;
    let records = query(
        &server,
        "SELECT Subject, TYPEOF What WHEN Account THEN Phone, NumberOfEmployees \
         WHEN Opportunity THEN Amount ELSE Name END FROM Task ORDER BY Subject",
    )
    .await;
    let without_url = |mut what: Value| {
        what["attributes"].as_object_mut().unwrap().remove("url");
        what
    };
    assert_eq!(
        without_url(records[0]["What"].clone()),
        json!({"attributes": {"type": "Account"}, "Phone": "555-0100", "NumberOfEmployees": 42})
    );
    assert!(
        records[0]["What"]["attributes"]["url"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/sobjects/Account/{}", o.account))
    );
    assert_eq!(
        without_url(records[1]["What"].clone()),
        json!({"attributes": {"type": "Opportunity"}, "Amount": 1000.0})
    );
    let case_number = server.field("Case", &o.case, "CaseNumber").await;
    assert_eq!(
        without_url(records[2]["What"].clone()),
        json!({"attributes": {"type": "Case"}, "Name": case_number})
    );
    assert_eq!(records[3]["What"], Value::Null);
    assert_eq!(records[3]["Subject"], "D");
}
