//! Query jobs and the REST read surface over real HTTP: creation errors, paging edges, locators, values
//! as Salesforce writes them, abort, delete, and REST queries with `nextRecordsUrl`.

mod common;

use common::{Reply, Server, V, id_of, keys, parse_csv, start, start_with};
use reqwest::Method;
use serde_json::{Value, json};

/// Creates a query job; returns the reply.
async fn create_query(server: &Server, body: &Value) -> Reply {
    server
        .send(
            server
                .request(Method::POST, &server.api("/jobs/query"))
                .json(body),
        )
        .await
}

/// Creates a query job and waits for JobComplete; returns its id.
async fn run_query(server: &Server, soql: &str) -> String {
    let reply = create_query(server, &json!({"operation": "query", "query": soql})).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let id = id_of(&reply.json());
    wait_query(server, &id, "JobComplete").await;
    id
}

async fn query_info(server: &Server, id: &str) -> Value {
    server
        .get(&server.api(&format!("/jobs/query/{id}")))
        .await
        .json()
}

async fn wait_query(server: &Server, id: &str, state: &str) -> Value {
    for _ in 0..400 {
        let info = query_info(server, id).await;
        if info["state"] == state {
            return info;
        }
        if matches!(
            info["state"].as_str(),
            Some("JobComplete" | "Failed" | "Aborted")
        ) {
            panic!("query job ended {info}, expected {state}");
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("query job {id} never reached {state}");
}

async fn page(server: &Server, id: &str, params: &str) -> Reply {
    server
        .get(&server.api(&format!("/jobs/query/{id}/results{params}")))
        .await
}

fn accounts(n: usize) -> String {
    let mut csv = String::from("Name,NumberOfEmployees\n");
    for i in 0..n {
        csv.push_str(&format!("Account {i:04},{i}\n"));
    }
    csv
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_query_job_has_salesforce_json_and_pages_with_locators() {
    let server = start().await;
    server.insert("Account", &accounts(10)).await;
    let reply = create_query(
        &server,
        &json!({"operation": "query", "query": "SELECT Name, NumberOfEmployees FROM Account ORDER BY Name"}),
    )
    .await;
    assert_eq!(reply.status, 200);
    let job = reply.json();
    assert_eq!(
        keys(&job),
        [
            "id",
            "operation",
            "object",
            "createdById",
            "createdDate",
            "systemModstamp",
            "state",
            "concurrencyMode",
            "contentType",
            "apiVersion",
            "lineEnding",
            "columnDelimiter"
        ]
    );
    assert_eq!(job["state"], "UploadComplete");
    assert_eq!(job["object"], "Account");
    assert!(
        reply.header("sforce-locator").is_none(),
        "no locator on job responses"
    );
    let id = id_of(&job);
    let info = wait_query(&server, &id, "JobComplete").await;
    assert_eq!(info["jobType"], "V2Query");
    assert_eq!(info["numberRecordsProcessed"], 10);
    assert!(info.get("numberRecordsFailed").is_none());

    // An exact multiple of maxRecords: two full pages, the second says null, no empty third page.
    let first = page(&server, &id, "?maxRecords=5").await;
    assert_eq!(first.status, 200);
    assert_eq!(first.header("sforce-numberofrecords").as_deref(), Some("5"));
    let locator = first.header("sforce-locator").unwrap();
    assert_eq!(locator, "NQ", "base64 of the next offset, as Salesforce");
    assert!(
        first
            .text()
            .starts_with("\"Name\",\"NumberOfEmployees\"\n\"Account 0000\",\"0\"\n")
    );
    let second = page(&server, &id, &format!("?locator={locator}&maxRecords=5")).await;
    assert_eq!(second.header("sforce-locator").as_deref(), Some("null"));
    assert_eq!(
        second.header("sforce-numberofrecords").as_deref(),
        Some("5")
    );
    let rows = parse_csv(&second.text(), b',');
    assert_eq!(
        rows[0],
        ["Name", "NumberOfEmployees"],
        "the header row repeats on every page"
    );
    assert_eq!(rows[1], ["Account 0005", "5"]);
    assert_eq!(rows.len(), 6);

    // maxRecords larger than the result, and no maxRecords at all: one page with everything.
    for params in ["?maxRecords=1000", ""] {
        let all = page(&server, &id, params).await;
        assert_eq!(all.header("sforce-locator").as_deref(), Some("null"));
        assert_eq!(all.header("sforce-numberofrecords").as_deref(), Some("10"));
        assert_eq!(parse_csv(&all.text(), b',').len(), 11);
    }

    // The double-slash URL jsforce builds for later pages.
    let quirky = server
        .get(&server.url(&format!(
            "/services/data/{V}/jobs/query//{id}/results?locator={locator}"
        )))
        .await;
    assert_eq!(quirky.status, 200);
    assert_eq!(
        quirky.header("sforce-numberofrecords").as_deref(),
        Some("5")
    );

    // Bad locators and a page past the end are clean 400s.
    page(&server, &id, "?locator=%21%21").await.assert_error(
        400,
        "INVALID_LOCATOR",
        "The locator is not valid for this job's results",
    );
    assert_eq!(page(&server, &id, "?locator=MTAw").await.status, 400);
    assert_eq!(page(&server, &id, "?maxRecords=0").await.status, 400);

    // Another API version: 409.
    let other = server
        .get(&server.url(&format!("/services/data/v59.0/jobs/query/{id}/results")))
        .await;
    assert_eq!(other.status, 409);

    // gzip on request.
    let gz = server
        .send(
            server
                .request(
                    Method::GET,
                    &server.api(&format!("/jobs/query/{id}/results")),
                )
                .header("Accept-Encoding", "gzip"),
        )
        .await;
    assert_eq!(gz.header("content-encoding").as_deref(), Some("gzip"));
    assert_eq!(&gz.body[..2], &[0x1f, 0x8b]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_result_is_a_header_and_null() {
    let server = start().await;
    let id = run_query(&server, "SELECT Id, Name FROM Account").await;
    let reply = page(&server, &id, "").await;
    assert_eq!(reply.text(), "\"Id\",\"Name\"\n");
    assert_eq!(reply.header("sforce-locator").as_deref(), Some("null"));
    assert_eq!(reply.header("sforce-numberofrecords").as_deref(), Some("0"));
    assert_eq!(query_info(&server, &id).await["numberRecordsProcessed"], 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn values_are_written_as_salesforce_writes_them() {
    let server = start().await;
    let ids = server
        .insert(
            "Account",
            "Name,AnnualRevenue,NumberOfEmployees,Description\nAcme,912260031,12,\"a, \"\"b\"\"\nc\"\nBeta,,,\n",
        )
        .await;
    server
        .insert(
            "Contact",
            &format!("LastName,FirstName,AccountId,Birthdate,DoNotCall\nDoe,Jane,{},1980-02-03,true\nRoe,,,,\n", ids[0]),
        )
        .await;
    let id = run_query(
        &server,
        "SELECT Name, Account.Name, Account.AnnualRevenue, Birthdate, DoNotCall, Account.Description FROM Contact ORDER BY LastName",
    )
    .await;
    let text = page(&server, &id, "").await.text();
    assert_eq!(
        text,
        "\"Name\",\"Account.Name\",\"Account.AnnualRevenue\",\"Birthdate\",\"DoNotCall\",\"Account.Description\"\n\
         \"Jane Doe\",\"Acme\",\"9.12260031E8\",\"1980-02-03\",\"true\",\"a, \"\"b\"\"\nc\"\n\
         \"Roe\",\"\",\"\",\"\",\"false\",\"\"\n"
    );
    // dateTimes with milliseconds and Z.
    let id = run_query(&server, "SELECT CreatedDate FROM Account LIMIT 1").await;
    let rows = parse_csv(&page(&server, &id, "").await.text(), b',');
    let created = &rows[1][0];
    assert!(
        created.ends_with(".000Z") || created.len() == 24,
        "{created}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dialects_apply_to_query_results() {
    let server = start().await;
    server.insert("Account", "Name\nA;1\nB\n").await;
    let reply = create_query(
        &server,
        &json!({"operation": "query", "query": "SELECT Name FROM Account ORDER BY Name",
                "columnDelimiter": "SEMICOLON", "lineEnding": "CRLF"}),
    )
    .await;
    let id = id_of(&reply.json());
    wait_query(&server, &id, "JobComplete").await;
    assert_eq!(
        page(&server, &id, "").await.text(),
        "\"Name\"\r\n\"A;1\"\r\n\"B\"\r\n"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn query_all_returns_deleted_rows() {
    let server = start().await;
    let ids = server.insert("Account", "Name\nKeep\nGone\n").await;
    let (info, _) = server
        .run_complete(
            &json!({"object": "Account", "operation": "delete"}),
            format!("Id\n{}\n", ids[1]),
        )
        .await;
    assert_eq!(info["numberRecordsFailed"], 0);
    let live = run_query(&server, "SELECT Name, IsDeleted FROM Account ORDER BY Name").await;
    assert_eq!(
        page(&server, &live, "").await.text(),
        "\"Name\",\"IsDeleted\"\n\"Keep\",\"false\"\n"
    );
    let reply = create_query(
        &server,
        &json!({"operation": "queryAll", "query": "SELECT Name, IsDeleted FROM Account ORDER BY Name"}),
    )
    .await;
    let all = id_of(&reply.json());
    wait_query(&server, &all, "JobComplete").await;
    assert_eq!(
        page(&server, &all, "").await.text(),
        "\"Name\",\"IsDeleted\"\n\"Gone\",\"true\"\n\"Keep\",\"false\"\n"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_queries_are_refused_at_create() {
    let server = start().await;
    let reply = create_query(
        &server,
        &json!({"operation": "query", "query": "SELECT Foo FROM Account"}),
    )
    .await;
    assert_eq!(reply.status, 400);
    let body = reply.json();
    assert_eq!(body[0]["errorCode"], "INVALID_FIELD");
    assert!(
        body[0]["message"]
            .as_str()
            .unwrap()
            .contains("No such column 'Foo' on entity 'Account'")
    );
    let reply = create_query(
        &server,
        &json!({"operation": "query", "query": "SELECT Id FROM Missing__c"}),
    )
    .await;
    assert_eq!(reply.json()[0]["errorCode"], "INVALID_TYPE");
    let reply = create_query(
        &server,
        &json!({"operation": "query", "query": "SELECT COUNT() FROM Account"}),
    )
    .await;
    assert_eq!(reply.status, 400);
    let reply = create_query(&server, &json!({"operation": "query", "query": "SELECT Name, (SELECT Id FROM Contacts) FROM Account"})).await;
    assert_eq!(reply.status, 400);
    let reply = create_query(
        &server,
        &json!({"operation": "insert", "query": "SELECT Id FROM Account"}),
    )
    .await;
    reply.assert_error(
        400,
        "API_ERROR",
        "Invalid value: 'insert' supplied for property: 'operation'",
    );
    let old = server
        .send(
            server
                .request(Method::POST, &server.url("/services/data/v46.0/jobs/query"))
                .json(&json!({"operation": "query", "query": "SELECT Id FROM Account"})),
        )
        .await;
    assert_eq!(old.status, 404, "query jobs start at v47.0");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_running_query_can_be_aborted_and_finished_jobs_deleted() {
    let server = start_with(|c| {
        c.chunk_rows = 5;
        c.chunk_delay_ms = 150;
    })
    .await;
    server.insert("Account", &accounts(60)).await;
    let reply = create_query(
        &server,
        &json!({"operation": "query", "query": "SELECT Name FROM Account"}),
    )
    .await;
    let id = id_of(&reply.json());
    wait_query(&server, &id, "InProgress").await;
    let results = page(&server, &id, "").await;
    assert_eq!(results.status, 400);
    assert_eq!(results.json()[0]["errorCode"], "JOB_NOT_COMPLETE");
    let abort = server
        .send(
            server
                .request(Method::PATCH, &server.api(&format!("/jobs/query/{id}")))
                .json(&json!({"state": "Aborted"})),
        )
        .await;
    assert_eq!(abort.status, 200);
    assert_eq!(abort.json()["state"], "Aborted");
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    assert_eq!(
        query_info(&server, &id).await["state"],
        "Aborted",
        "the worker does not complete an aborted job"
    );
    let again = server
        .send(
            server
                .request(Method::PATCH, &server.api(&format!("/jobs/query/{id}")))
                .json(&json!({"state": "Aborted"})),
        )
        .await;
    again.assert_error(
        400,
        "INVALIDJOBSTATE",
        "Aborting already Completed Job not allowed",
    );
    let delete = server
        .send(server.request(Method::DELETE, &server.api(&format!("/jobs/query/{id}"))))
        .await;
    assert_eq!(delete.status, 204);
    assert_eq!(
        server
            .get(&server.api(&format!("/jobs/query/{id}")))
            .await
            .status,
        404
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn query_jobs_are_listed_apart_from_ingest_jobs() {
    let server = start().await;
    server.insert("Account", "Name\nA\n").await;
    let id = run_query(&server, "SELECT Id FROM Account").await;
    let list = server.get(&server.api("/jobs/query")).await.json();
    assert_eq!(list["done"], true);
    let records = list["records"].as_array().unwrap();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0]["id"], id.as_str());
    assert_eq!(records[0]["jobType"], "V2Query");
    let ingest = server.get(&server.api("/jobs/ingest")).await.json();
    assert!(
        ingest["records"]
            .as_array()
            .unwrap()
            .iter()
            .all(|j| j["jobType"] == "V2Ingest")
    );
    let filtered = server
        .get(&server.api("/jobs/query?jobType=V2Query"))
        .await
        .json();
    assert_eq!(filtered["records"].as_array().unwrap().len(), 1);
    let other = server
        .get(&server.api("/jobs/query?jobType=V2Ingest"))
        .await
        .json();
    assert_eq!(other["records"], json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn query_job_lists_page_with_a_query_locator() {
    let server = start().await;
    for _ in 0..1001 {
        let reply = create_query(
            &server,
            &json!({"operation": "query", "query": "SELECT Id FROM Account"}),
        )
        .await;
        assert_eq!(reply.status, 200);
    }
    let first = server.get(&server.api("/jobs/query")).await.json();
    assert_eq!(first["done"], false);
    assert_eq!(first["records"].as_array().unwrap().len(), 1000);
    let next = first["nextRecordsUrl"].as_str().unwrap();
    assert!(
        next.starts_with(&format!("/services/data/{V}/jobs/query?queryLocator=")),
        "{next}"
    );
    let second = server.get(&server.url(next)).await.json();
    assert_eq!(second["done"], true);
    assert_eq!(second["records"].as_array().unwrap().len(), 1);
    assert_eq!(second["nextRecordsUrl"], Value::Null);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn result_pages_split_the_result_for_parallel_download() {
    let server = start().await;
    server.insert("Account", &accounts(23)).await;
    let id = run_query(&server, "SELECT Name FROM Account ORDER BY Name").await;
    let pages = server
        .get(&server.api(&format!("/jobs/query/{id}/resultPages?maxRecords=2")))
        .await
        .json();
    assert_eq!(pages["done"], false);
    let urls = pages["resultPages"].as_array().unwrap();
    assert_eq!(urls.len(), 5);
    let mut names = Vec::new();
    let mut next = Some(format!(
        "/services/data/{V}/jobs/query/{id}/resultPages?maxRecords=2"
    ));
    while let Some(url) = next.take() {
        let answer = server.get(&server.url(&url)).await.json();
        for entry in answer["resultPages"].as_array().unwrap() {
            let text = server
                .get(&server.url(entry["resultUrl"].as_str().unwrap()))
                .await
                .text();
            names.extend(
                parse_csv(&text, b',')
                    .into_iter()
                    .skip(1)
                    .map(|r| r[0].clone()),
            );
        }
        next = answer["nextRecordsUrl"].as_str().map(str::to_owned);
    }
    let expected: Vec<String> = (0..23).map(|i| format!("Account {i:04}")).collect();
    assert_eq!(names, expected);
    let old = server
        .get(&server.url(&format!("/services/data/v57.0/jobs/query/{id}/resultPages")))
        .await;
    assert_eq!(old.status, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rest_query_pages_with_next_records_url() {
    let server = start().await;
    server.insert("Account", &accounts(2500)).await;
    let reply = server
        .get(&server.api("/query?q=SELECT+Name,+Owner.Name+FROM+Account+ORDER+BY+Name"))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let body = reply.json();
    assert_eq!(body["totalSize"], 2500);
    assert_eq!(body["done"], false);
    let records = body["records"].as_array().unwrap();
    assert_eq!(records.len(), 2000);
    assert_eq!(records[0]["attributes"]["type"], "Account");
    assert!(
        records[0]["attributes"]["url"]
            .as_str()
            .unwrap()
            .starts_with(&format!("/services/data/{V}/sobjects/Account/001"))
    );
    assert_eq!(records[0]["Name"], "Account 0000");
    assert_eq!(records[0]["Owner"]["attributes"]["type"], "User");
    assert_eq!(records[0]["Owner"]["Name"], "Bulkforce Admin");
    let next = body["nextRecordsUrl"].as_str().unwrap();
    assert!(
        next.starts_with(&format!("/services/data/{V}/query/01g")),
        "{next}"
    );
    let rest = server.get(&server.url(next)).await.json();
    assert_eq!(rest["done"], true);
    assert_eq!(rest["records"].as_array().unwrap().len(), 500);
    assert!(rest.get("nextRecordsUrl").is_none());
    assert_eq!(rest["records"][0]["Name"], "Account 2000");

    let count = server
        .get(&server.api("/query?q=SELECT+COUNT()+FROM+Account"))
        .await
        .json();
    assert_eq!(
        count,
        json!({"totalSize": 2500, "done": true, "records": []})
    );
    let grouped = server
        .get(&server.api("/query?q=SELECT+COUNT(Id)+n,+MAX(NumberOfEmployees)+FROM+Account+WHERE+NumberOfEmployees+<+10"))
        .await
        .json();
    assert_eq!(grouped["records"][0]["n"], 10);
    assert_eq!(grouped["records"][0]["expr0"], 9);
    let bad = server
        .get(&server.api("/query?q=SELECT+Id+FROM+ScratchOrgInfo+limit+1"))
        .await;
    assert_eq!(bad.status, 400);
    assert_eq!(bad.json()[0]["errorCode"], "INVALID_TYPE");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn describe_and_records_over_rest() {
    let server = start().await;
    let ids = server
        .insert("Account", "Name,NumberOfEmployees\nAcme,7\n")
        .await;
    let global = server.get(&server.api("/sobjects")).await.json();
    let names: Vec<&str> = global["sobjects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["name"].as_str().unwrap())
        .collect();
    for name in ["Account", "Contact", "Lead", "Opportunity", "Case", "User"] {
        assert!(names.contains(&name), "{name} in {names:?}");
    }
    let describe = server
        .get(&server.api("/sobjects/account/describe"))
        .await
        .json();
    assert_eq!(describe["name"], "Account");
    assert_eq!(describe["keyPrefix"], "001");
    let name = describe["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "Name")
        .unwrap();
    assert_eq!(name["type"], "string");
    assert_eq!(name["length"], 255);
    let record = server
        .get(&server.api(&format!("/sobjects/Account/{}", ids[0])))
        .await
        .json();
    assert_eq!(record["Name"], "Acme");
    assert_eq!(record["NumberOfEmployees"], 7);
    assert_eq!(record["IsDeleted"], false);
    assert_eq!(record["attributes"]["type"], "Account");
    server
        .get(&server.api("/sobjects/Account/001000000000000AAA"))
        .await
        .assert_error(404, "NOT_FOUND", "The requested resource does not exist");
    assert_eq!(
        server
            .get(&server.api("/sobjects/Nope__c/describe"))
            .await
            .status,
        404
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rest_query_describes_its_columns_when_asked() {
    let server = start().await;
    let reply = server
        .get(&server.api("/query?q=SELECT+Id,+Name,+Owner.Name,+COUNT(Id)+FROM+Account+GROUP+BY+Id,+Name,+Owner.Name&columns=true"))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let body = reply.json();
    assert_eq!(body["entityName"], "Account");
    assert_eq!(body["idSelected"], true);
    assert_eq!(body["groupBy"], true);
    let columns = body["columnMetadata"].as_array().unwrap();
    assert_eq!(columns[0]["columnName"], "Id");
    assert_eq!(columns[1]["columnName"], "Name");
    assert_eq!(columns[1]["joinColumns"], json!([]));
    assert_eq!(columns[2]["columnName"], "Owner");
    assert_eq!(columns[2]["joinColumns"][0]["columnName"], "Name");
    assert_eq!(columns[3]["aggregate"], true);
    assert_eq!(columns[3]["columnName"], "expr0");
    assert_eq!(columns[3]["displayName"], "COUNT(Id)");
}
