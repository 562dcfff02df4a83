//! Values an org derives, over real HTTP and on either backend: an Opportunity's flags, probability and
//! forecast categories from its stage, Case and Task flags from their status and priority (bulk and REST
//! writes alike), person names from their parts (in SOQL, REST records and Bulk query results), and
//! compound address and geolocation fields as REST JSON (refused by Bulk query jobs).

mod common;

use common::{Reply, Server, parse_csv, start, start_with};
use reqwest::Method;
use serde_json::{Value, json};
use tempfile::TempDir;

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

/// `method` on `/sobjects{path}` with an optional JSON body.
async fn sobjects(server: &Server, method: Method, path: &str, body: Option<Value>) -> Reply {
    let mut request = server.request(method, &server.api(&format!("/sobjects{path}")));
    if let Some(body) = body {
        request = request.json(&body);
    }
    server.send(request).await
}

/// Runs an update job; every row must succeed.
async fn update(server: &Server, object: &str, csv: &str) {
    let (info, results) = server
        .run_complete(&json!({"object": object, "operation": "update"}), csv)
        .await;
    assert_eq!(info["numberRecordsFailed"], 0, "{}", results.failed);
}

const OPPORTUNITY_FIELDS: &str =
    "Name, StageName, IsClosed, IsWon, Probability, ForecastCategory, ForecastCategoryName";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bulk_load_gets_what_each_stage_implies_and_keeps_what_it_gives() {
    let server = start().await;
    let ids = server
        .insert(
            "Opportunity",
            "Name,StageName,CloseDate,Probability,ForecastCategoryName\n\
             A Won,Closed Won,2026-01-31,,\n\
             B Lost,Closed Lost,2026-01-31,,\n\
             C Early,Prospecting,2026-01-31,35,Best Case\n\
             D Review,Negotiation/Review,2026-01-31,,\n",
        )
        .await;
    let soql = format!("SELECT {OPPORTUNITY_FIELDS} FROM Opportunity ORDER BY Name");
    assert_eq!(
        query(&server, &soql).await,
        [
            json!({"Name": "A Won", "StageName": "Closed Won", "IsClosed": true, "IsWon": true,
                   "Probability": 100.0, "ForecastCategory": "Closed", "ForecastCategoryName": "Closed"}),
            json!({"Name": "B Lost", "StageName": "Closed Lost", "IsClosed": true, "IsWon": false,
                   "Probability": 0.0, "ForecastCategory": "Omitted", "ForecastCategoryName": "Omitted"}),
            json!({"Name": "C Early", "StageName": "Prospecting", "IsClosed": false, "IsWon": false,
                   "Probability": 35.0, "ForecastCategory": "BestCase", "ForecastCategoryName": "Best Case"}),
            json!({"Name": "D Review", "StageName": "Negotiation/Review", "IsClosed": false, "IsWon": false,
                   "Probability": 90.0, "ForecastCategory": "Pipeline", "ForecastCategoryName": "Pipeline"}),
        ]
    );
    // A new stage brings its own values; a row that leaves the stage alone leaves them too.
    update(
        &server,
        "Opportunity",
        &format!(
            "Id,StageName,Amount\n{},Closed Won,\n{},,5000\n",
            ids[2], ids[0]
        ),
    )
    .await;
    let filtered =
        format!("SELECT {OPPORTUNITY_FIELDS} FROM Opportunity WHERE IsWon = true ORDER BY Name");
    let won = query(&server, &filtered).await;
    assert_eq!(won.len(), 2, "{won:?}");
    assert_eq!(won[0]["Probability"], 100.0);
    assert_eq!(won[1]["Name"], "C Early");
    assert_eq!(won[1]["IsClosed"], true);
    assert_eq!(won[1]["Probability"], 100.0);
    assert_eq!(won[1]["ForecastCategory"], "Closed");
    // IsClosed cannot be written: the row error names it.
    let (_, results) = server
        .run(
            &json!({"object": "Opportunity", "operation": "update"}),
            format!("Id,IsClosed\n{},true\n", ids[3]),
        )
        .await;
    assert_eq!(
        parse_csv(&results.failed, b',')[1][1],
        "INVALID_FIELD_FOR_INSERT_UPDATE:Unable to create/update fields: IsClosed. Please check the security settings of this field and verify that it is read/write for your profile or permission set.:IsClosed --"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rest_creates_and_updates_derive_the_same_values() {
    let server = start().await;
    let created = sobjects(
        &server,
        Method::POST,
        "/Opportunity",
        Some(json!({"Name": "Deal", "StageName": "Closed Lost", "CloseDate": "2026-03-01"})),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.text());
    let id = created.json()["id"].as_str().unwrap().to_owned();
    let fields = "IsClosed,IsWon,Probability,ForecastCategory,ForecastCategoryName";
    let read = sobjects(
        &server,
        Method::GET,
        &format!("/Opportunity/{id}?fields={fields}"),
        None,
    )
    .await
    .json();
    assert_eq!(
        (
            &read["IsClosed"],
            &read["IsWon"],
            &read["Probability"],
            &read["ForecastCategory"]
        ),
        (&json!(true), &json!(false), &json!(0.0), &json!("Omitted"))
    );
    let patched = sobjects(
        &server,
        Method::PATCH,
        &format!("/Opportunity/{id}"),
        Some(json!({"StageName": "Closed Won"})),
    )
    .await;
    assert_eq!(patched.status, 204, "{}", patched.text());
    let read = sobjects(
        &server,
        Method::GET,
        &format!("/Opportunity/{id}?fields={fields}"),
        None,
    )
    .await
    .json();
    assert_eq!(
        (
            &read["IsWon"],
            &read["Probability"],
            &read["ForecastCategoryName"]
        ),
        (&json!(true), &json!(100.0), &json!("Closed"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn case_and_task_flags_follow_status_and_priority() {
    let server = start().await;
    let cases = server
        .insert("Case", "Subject,Status\nShut,Closed\nFresh,\n")
        .await;
    assert_eq!(
        query(
            &server,
            "SELECT Subject, Status, IsClosed FROM Case ORDER BY Subject"
        )
        .await,
        [
            json!({"Subject": "Fresh", "Status": "New", "IsClosed": false}),
            json!({"Subject": "Shut", "Status": "Closed", "IsClosed": true}),
        ]
    );
    let patched = sobjects(
        &server,
        Method::PATCH,
        &format!("/Case/{}", cases[1]),
        Some(json!({"Status": "Closed"})),
    )
    .await;
    assert_eq!(patched.status, 204, "{}", patched.text());
    update(
        &server,
        "Case",
        &format!("Id,Status\n{},Working\n", cases[0]),
    )
    .await;
    assert_eq!(
        query(
            &server,
            "SELECT Subject, IsClosed FROM Case ORDER BY Subject"
        )
        .await,
        [
            json!({"Subject": "Fresh", "IsClosed": true}),
            json!({"Subject": "Shut", "IsClosed": false}),
        ]
    );
    server
        .insert(
            "Task",
            "Subject,Status,Priority\nCall,Completed,High\nEmail,Not Started,Normal\n",
        )
        .await;
    assert_eq!(
        query(
            &server,
            "SELECT Subject, IsClosed, IsHighPriority FROM Task ORDER BY Subject"
        )
        .await,
        [
            json!({"Subject": "Call", "IsClosed": true, "IsHighPriority": true}),
            json!({"Subject": "Email", "IsClosed": false, "IsHighPriority": false}),
        ]
    );
}

/// Creates a Bulk query job for `soql`, waits for it and returns its CSV results.
async fn bulk_query(server: &Server, soql: &str) -> String {
    let reply = server
        .send(
            server
                .request(Method::POST, &server.api("/jobs/query"))
                .json(&json!({"operation": "query", "query": soql})),
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn person_names_join_first_and_last_name_everywhere() {
    let server = start().await;
    let ids = server
        .insert(
            "Contact",
            "FirstName,LastName,Salutation\nAda,Lovelace,Ms.\n,Hopper,Rear Admiral\n",
        )
        .await;
    server
        .insert(
            "Lead",
            "FirstName,LastName,Company\nAlan,Turing,Bletchley\n",
        )
        .await;
    assert_eq!(
        query(&server, "SELECT Name FROM Contact ORDER BY LastName").await,
        [json!({"Name": "Hopper"}), json!({"Name": "Ada Lovelace"})]
    );
    assert_eq!(
        query(
            &server,
            "SELECT Id FROM Contact WHERE Name = 'Ada Lovelace'"
        )
        .await,
        [json!({"Id": ids[0]})]
    );
    assert_eq!(
        query(&server, "SELECT Name FROM Lead").await,
        [json!({"Name": "Alan Turing"})]
    );
    assert_eq!(
        bulk_query(&server, "SELECT Name FROM Contact ORDER BY LastName").await,
        "\"Name\"\n\"Hopper\"\n\"Ada Lovelace\"\n"
    );
    let record = sobjects(&server, Method::GET, &format!("/Contact/{}", ids[0]), None)
        .await
        .json();
    assert_eq!(record["Name"], "Ada Lovelace");
    // A new last name is the name at once.
    update(
        &server,
        "Contact",
        &format!("Id,LastName\n{},Byron\n", ids[0]),
    )
    .await;
    assert_eq!(
        query(&server, "SELECT Name FROM Contact WHERE FirstName = 'Ada'").await,
        [json!({"Name": "Ada Byron"})]
    );
}

/// A custom object with a geolocation field (the built-in objects bring their addresses).
const COMPOUND_SCHEMA: [(&str, &str); 1] = [(
    "site.json",
    r#"{"name":"Site__c","label":"Site","labelPlural":"Sites","custom":true,"fields":[
            {"name":"Name","type":"string","length":80,"nillable":true,"createable":true,"updateable":true},
            {"name":"Spot__c","type":"location","nillable":true},
            {"name":"Spot__Latitude__s","type":"double","precision":9,"scale":6,"nillable":true,"createable":true,
             "updateable":true,"compoundFieldName":"Spot__c"},
            {"name":"Spot__Longitude__s","type":"double","precision":9,"scale":6,"nillable":true,"createable":true,
             "updateable":true,"compoundFieldName":"Spot__c"}]}"#,
)];

async fn start_with_compounds() -> (Server, TempDir) {
    let dir = TempDir::new().unwrap();
    for (name, text) in COMPOUND_SCHEMA {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    let path = dir.path().to_path_buf();
    (start_with(move |c| c.schema_dir = Some(path)).await, dir)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compound_fields_are_objects_of_their_parts_in_rest_json() {
    let (server, _schema) = start_with_compounds().await;
    let ids = server
        .insert(
            "Account",
            "Name,BillingStreet,BillingCity,BillingCountry,BillingLatitude\n\
             Acme,1 Main St,Springfield,US,37.79\n\
             Bare,,,,\n",
        )
        .await;
    let records = query(
        &server,
        "SELECT Name, BillingAddress, BillingCity FROM Account ORDER BY Name",
    )
    .await;
    let address = &records[0]["BillingAddress"];
    let keys: Vec<&str> = address
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "city",
            "country",
            "geocodeAccuracy",
            "latitude",
            "longitude",
            "postalCode",
            "state",
            "street"
        ],
        "every part, in alphabetical order"
    );
    assert_eq!(
        (
            &address["city"],
            &address["street"],
            &address["latitude"],
            &address["state"]
        ),
        (
            &json!("Springfield"),
            &json!("1 Main St"),
            &json!(37.79),
            &Value::Null
        )
    );
    assert_eq!(records[0]["BillingCity"], "Springfield");
    assert_eq!(records[1]["BillingAddress"], Value::Null, "no part set");

    // A record GET shows the compound with every field, and by name.
    let record = sobjects(&server, Method::GET, &format!("/Account/{}", ids[0]), None)
        .await
        .json();
    assert_eq!(&record["BillingAddress"], address);
    let record = sobjects(
        &server,
        Method::GET,
        &format!("/Account/{}?fields=BillingAddress", ids[1]),
        None,
    )
    .await
    .json();
    assert_eq!(
        record.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["attributes", "BillingAddress", "Id"]
    );
    assert_eq!(record["BillingAddress"], Value::Null);

    // A geolocation field is {latitude, longitude}.
    server
        .insert(
            "Site__c",
            "Name,Spot__Latitude__s,Spot__Longitude__s\nPier,37.8,-122.4\n",
        )
        .await;
    assert_eq!(
        query(&server, "SELECT Spot__c FROM Site__c").await,
        [json!({"Spot__c": {"latitude": 37.8, "longitude": -122.4}})]
    );

    // A Lead's address has no prefix: `Address` of `Street`, `City`, ….
    server
        .insert("Lead", "LastName,Company,City\nTuring,Bletchley,London\n")
        .await;
    let leads = query(&server, "SELECT Address FROM Lead").await;
    assert_eq!(
        (&leads[0]["Address"]["city"], &leads[0]["Address"]["street"]),
        (&json!("London"), &Value::Null)
    );

    // Bulk query jobs refuse compound fields, as Salesforce does.
    let reply = server
        .send(
            server
                .request(Method::POST, &server.api("/jobs/query"))
                .json(
                    &json!({"operation": "query", "query": "SELECT BillingAddress FROM Account"}),
                ),
        )
        .await;
    reply.assert_error(
        400,
        "API_ERROR",
        "Selecting compound data not supported in Bulk Query",
    );
}
