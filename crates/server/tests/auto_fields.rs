//! Fields the org fills in, over real HTTP on either backend: auto-numbers (`CaseNumber`, a custom object
//! whose Name is an auto-number with its display format) issued on insert by bulk jobs and REST alike and
//! refused when a client sends one; the audit fields a client may set on insert only once the org allows
//! it ("Set Audit Fields upon Record Creation"); and the last-modified stamps of every write path.

mod common;

use bulkforce_core::org::audit_fields::OrgSettings;
use common::{Server, parse_csv, start, start_with};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tempfile::TempDir;

/// Salesforce's row error for a field the operation may not write, as a result file's `sf__Error` cell.
fn not_writable_row_error(field: &str) -> String {
    format!(
        "INVALID_FIELD_FOR_INSERT_UPDATE:Unable to create/update fields: {field}. Please check the security settings of this field and verify that it is read/write for your profile or permission set.:{field} --"
    )
}

/// The same refusal as a REST answer, byte for byte.
fn not_writable_envelope(field: &str) -> String {
    json!([{
        "errorCode": "INVALID_FIELD_FOR_INSERT_UPDATE",
        "message": format!("Unable to create/update fields: {field}. Please check the security settings of this field and verify that it is read/write for your profile or permission set."),
        "fields": [field],
    }])
    .to_string()
}

fn job(object: &str, operation: &str) -> Value {
    json!({"object": object, "operation": operation})
}

/// The sf__Id column of a result file's data rows.
fn result_ids(file: &str) -> Vec<String> {
    parse_csv(file, b',')
        .into_iter()
        .skip(1)
        .map(|r| r[0].clone())
        .collect()
}

/// Freezes the server's clock at `at` (RFC 3339).
async fn freeze(server: &Server, at: &str) {
    let response = server
        .client
        .put(server.url("/_bulkforce/clock"))
        .bearer_auth(server.token())
        .json(&json!({ "now": at }))
        .send()
        .await
        .expect("request sent");
    assert_eq!(response.status(), StatusCode::OK, "freeze at {at}");
}

/// `method` on `/services/data/v62.0{path}` with a JSON body.
async fn rest(server: &Server, method: Method, path: &str, body: Value) -> common::Reply {
    let url = server.url(&format!("/services/data/v62.0{path}"));
    server.send(server.request(method, &url).json(&body)).await
}

async fn rest_get(server: &Server, path: &str) -> Value {
    let reply = server
        .get(&server.url(&format!("/services/data/v62.0{path}")))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    reply.json()
}

/// Creates a record over REST; its id.
async fn create(server: &Server, object: &str, body: Value) -> String {
    let reply = rest(server, Method::POST, &format!("/sobjects/{object}"), body).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
    reply.json()["id"].as_str().expect("an id").to_owned()
}

/// The describe entry of `object.field`.
async fn describe_field(server: &Server, object: &str, field: &str) -> Value {
    let describe = rest_get(server, &format!("/sobjects/{object}/describe")).await;
    describe["fields"]
        .as_array()
        .expect("fields")
        .iter()
        .find(|f| f["name"] == field)
        .unwrap_or_else(|| panic!("no {object}.{field} in describe"))
        .clone()
}

async fn set_audit_fields(server: &Server, on: bool) {
    let store = server.running.state.store.clone();
    let org = server.org();
    tokio::task::spawn_blocking(move || {
        store.set_org_settings(
            org,
            OrgSettings {
                set_audit_fields: on,
            },
        )
    })
    .await
    .unwrap()
    .expect("settings stored");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn case_numbers_are_issued_in_order_by_bulk_jobs_and_rest() {
    let s = start().await;
    let first = s.insert("Case", "Subject\nOne\nTwo\nThree\n").await;
    let mut numbers = Vec::new();
    for id in &first {
        numbers.push(s.field("Case", id, "CaseNumber").await.expect("a number"));
    }
    assert_eq!(numbers, ["00001000", "00001001", "00001002"]);
    let second = s.insert("Case", "Subject\nFour\nFive\n").await;
    for id in &second {
        numbers.push(s.field("Case", id, "CaseNumber").await.expect("a number"));
    }
    let by_rest = create(&s, "Case", json!({"Subject": "Six"})).await;
    let record = rest_get(&s, &format!("/sobjects/Case/{by_rest}")).await;
    numbers.push(record["CaseNumber"].as_str().expect("a number").to_owned());
    assert!(
        numbers.windows(2).all(|w| w[0] < w[1]),
        "strictly increasing: {numbers:?}"
    );
    assert!(numbers.iter().all(|n| n.len() == 8), "{numbers:?}");

    // An update leaves the number alone.
    let update = format!("Id,Subject\n{},Renamed\n", first[0]);
    s.run_complete(&job("Case", "update"), update).await;
    assert_eq!(
        s.field("Case", &first[0], "CaseNumber").await.as_deref(),
        Some("00001000")
    );
    let field = describe_field(&s, "Case", "CaseNumber").await;
    assert_eq!(field["autoNumber"], true);
    assert_eq!(field["createable"], false);
    assert_eq!(field["updateable"], false);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_case_number_sent_by_a_client_is_refused_by_bulk_and_rest() {
    let s = start().await;
    let (info, results) = s
        .run_complete(
            &job("Case", "insert"),
            "Subject,CaseNumber\nMine,00000001\n",
        )
        .await;
    assert_eq!(info["numberRecordsFailed"], 1);
    assert_eq!(
        results.failed,
        format!(
            "\"sf__Id\",\"sf__Error\",Subject,CaseNumber\n\"\",\"{}\",\"Mine\",\"00000001\"\n",
            not_writable_row_error("CaseNumber")
        )
    );
    let reply = rest(
        &s,
        Method::POST,
        "/sobjects/Case",
        json!({"Subject": "Mine", "CaseNumber": "00000001"}),
    )
    .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.text(), not_writable_envelope("CaseNumber"));
    let id = create(&s, "Case", json!({"Subject": "Theirs"})).await;
    let reply = rest(
        &s,
        Method::PATCH,
        &format!("/sobjects/Case/{id}"),
        json!({"CaseNumber": "00000001"}),
    )
    .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.text(), not_writable_envelope("CaseNumber"));
}

const TICKET: &str = r#"{"name":"Ticket__c","label":"Ticket","keyPrefix":"a07","custom":true,"fields":[
  {"name":"Name","label":"Ticket Number","type":"string","length":30,"autoNumber":true,
   "displayFormat":"TKT-{YYYY}{MM}-{0000}","nillable":false,"createable":false,"updateable":false},
  {"name":"Serial__c","label":"Serial","type":"string","length":30,"autoNumber":true,
   "displayFormat":"S{000000}","startingNumber":500},
  {"name":"Subject__c","label":"Subject","type":"string","length":80,"nillable":true}]}"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_custom_object_numbers_its_records_in_its_display_formats() {
    let schema = TempDir::new().unwrap();
    std::fs::write(schema.path().join("ticket.json"), TICKET).unwrap();
    let dir = schema.path().to_path_buf();
    let s = start_with(move |c| c.schema_dir = Some(dir)).await;
    freeze(&s, "2027-03-09T10:00:00Z").await;
    let ids = s
        .insert("Ticket__c", "Subject__c\nPrinter jam\nNo coffee\n")
        .await;
    let by_rest = create(&s, "Ticket__c", json!({"Subject__c": "Wifi"})).await;
    let mut names = Vec::new();
    let mut serials = Vec::new();
    for id in ids.iter().chain([&by_rest]) {
        names.push(s.field("Ticket__c", id, "Name").await.expect("a name"));
        serials.push(
            s.field("Ticket__c", id, "Serial__c")
                .await
                .expect("a serial"),
        );
    }
    assert_eq!(names[..2], ["TKT-202703-0001", "TKT-202703-0002"]);
    assert!(
        names[2].starts_with("TKT-202703-") && names[2] > names[1],
        "{names:?}"
    );
    assert_eq!(serials[..2], ["S000500", "S000501"]);
    assert!(serials[2] > serials[1], "{serials:?}");

    let (info, results) = s
        .run_complete(&job("Ticket__c", "insert"), "Name,Subject__c\nTKT-1,Mine\n")
        .await;
    assert_eq!(info["numberRecordsFailed"], 1);
    assert!(
        results.failed.contains(&not_writable_row_error("Name")),
        "{}",
        results.failed
    );
    let field = describe_field(&s, "Ticket__c", "Name").await;
    assert_eq!(field["autoNumber"], true);
    assert_eq!(field["createable"], false);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_fields_are_refused_until_the_org_allows_setting_them_on_insert() {
    let s = start().await;
    freeze(&s, "2027-01-01T00:00:00Z").await;
    let csv = "Name,CreatedDate\nOld,2020-01-02T03:04:05.000Z\n";
    let (info, results) = s.run_complete(&job("Account", "insert"), csv).await;
    assert_eq!(info["numberRecordsFailed"], 1);
    assert_eq!(
        results.failed,
        format!(
            "\"sf__Id\",\"sf__Error\",Name,CreatedDate\n\"\",\"{}\",\"Old\",\"2020-01-02T03:04:05.000Z\"\n",
            not_writable_row_error("CreatedDate")
        )
    );
    let body = json!({"Name": "Old", "CreatedDate": "2020-01-02T03:04:05.000Z"});
    let reply = rest(&s, Method::POST, "/sobjects/Account", body.clone()).await;
    assert_eq!(reply.text(), not_writable_envelope("CreatedDate"));
    assert_eq!(
        describe_field(&s, "Account", "CreatedDate").await["createable"],
        false
    );

    set_audit_fields(&s, true).await;
    for field in [
        "CreatedDate",
        "CreatedById",
        "LastModifiedDate",
        "LastModifiedById",
    ] {
        let described = describe_field(&s, "Account", field).await;
        assert_eq!(described["createable"], true, "{field}");
        assert_eq!(described["updateable"], false, "{field}");
    }
    assert_eq!(
        describe_field(&s, "Account", "SystemModstamp").await["createable"],
        false
    );
    let ids = s.insert("Account", csv).await;
    let record = rest_get(&s, &format!("/sobjects/Account/{}", ids[0])).await;
    assert_eq!(record["CreatedDate"], "2020-01-02T03:04:05.000+0000");
    assert_eq!(record["LastModifiedDate"], "2027-01-01T00:00:00.000+0000");
    assert_eq!(record["SystemModstamp"], "2027-01-01T00:00:00.000+0000");
    let by_rest = create(&s, "Account", body).await;
    let record = rest_get(&s, &format!("/sobjects/Account/{by_rest}")).await;
    assert_eq!(record["CreatedDate"], "2020-01-02T03:04:05.000+0000");

    // Insert only: an update or an upsert still may not set them.
    let update = format!("Id,CreatedDate\n{},2019-01-01T00:00:00.000Z\n", ids[0]);
    let (info, results) = s.run_complete(&job("Account", "update"), update).await;
    assert_eq!(info["numberRecordsFailed"], 1);
    assert!(
        results
            .failed
            .contains(&not_writable_row_error("CreatedDate")),
        "{}",
        results.failed
    );
    let upsert = json!({"object": "Account", "operation": "upsert", "externalIdFieldName": "Id"});
    let (info, results) = s
        .run_complete(
            &upsert,
            "Id,Name,CreatedDate\n,New,2019-01-01T00:00:00.000Z\n",
        )
        .await;
    assert_eq!(info["numberRecordsFailed"], 1);
    assert!(
        results
            .failed
            .contains(&not_writable_row_error("CreatedDate")),
        "{}",
        results.failed
    );

    // Objects outside Salesforce's list keep them read-only.
    assert_eq!(
        describe_field(&s, "User", "CreatedDate").await["createable"],
        false
    );
    set_audit_fields(&s, false).await;
    let reply = rest(
        &s,
        Method::POST,
        "/sobjects/Account",
        json!({"Name": "Again", "CreatedDate": "2020-01-02T03:04:05.000Z"}),
    )
    .await;
    assert_eq!(reply.text(), not_writable_envelope("CreatedDate"));
}

/// The last-modified stamps a record carries after a write at `at`.
async fn assert_modified_at(s: &Server, id: &str, at: &str) {
    for field in ["LastModifiedDate", "SystemModstamp"] {
        assert_eq!(
            s.field("Account", id, field).await.as_deref(),
            Some(at),
            "{field}"
        );
    }
    let created_by = s.field("Account", id, "CreatedById").await;
    assert_eq!(s.field("Account", id, "LastModifiedById").await, created_by);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_write_path_stamps_the_last_modified_fields() {
    let s = start().await;
    freeze(&s, "2027-01-01T00:00:00Z").await;
    let ids = s.insert("Account", "Name\nA\n").await;
    let id = ids[0].clone();
    assert_modified_at(&s, &id, "2027-01-01T00:00:00.000Z").await;

    freeze(&s, "2027-01-02T00:00:00Z").await;
    s.run_complete(&job("Account", "update"), format!("Id,Name\n{id},B\n"))
        .await;
    assert_modified_at(&s, &id, "2027-01-02T00:00:00.000Z").await;

    freeze(&s, "2027-01-03T00:00:00Z").await;
    let upsert = json!({"object": "Account", "operation": "upsert", "externalIdFieldName": "Id"});
    s.run_complete(&upsert, format!("Id,Name\n{id},C\n")).await;
    assert_modified_at(&s, &id, "2027-01-03T00:00:00.000Z").await;

    freeze(&s, "2027-01-04T00:00:00Z").await;
    let reply = rest(
        &s,
        Method::PATCH,
        &format!("/sobjects/Account/{id}"),
        json!({"Name": "D"}),
    )
    .await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT, "{}", reply.text());
    assert_modified_at(&s, &id, "2027-01-04T00:00:00.000Z").await;

    freeze(&s, "2027-01-05T00:00:00Z").await;
    let reply = rest(
        &s,
        Method::PATCH,
        "/composite/sobjects",
        json!({"records": [{"attributes": {"type": "Account"}, "Id": id, "Name": "E"}]}),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    assert_modified_at(&s, &id, "2027-01-05T00:00:00.000Z").await;

    freeze(&s, "2027-01-06T00:00:00Z").await;
    let reply = rest(
        &s,
        Method::POST,
        "/composite",
        json!({"compositeRequest": [{"method": "PATCH", "referenceId": "r",
            "url": format!("/services/data/v62.0/sobjects/Account/{id}"), "body": {"Name": "F"}}]}),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    assert_modified_at(&s, &id, "2027-01-06T00:00:00.000Z").await;

    freeze(&s, "2027-01-07T00:00:00Z").await;
    let (_, results) = s
        .run_complete(&job("Account", "delete"), format!("Id\n{id}\n"))
        .await;
    assert_eq!(result_ids(&results.successful), std::slice::from_ref(&id));
    assert_modified_at(&s, &id, "2027-01-07T00:00:00.000Z").await;

    // A tree insert stamps its records as any insert does.
    freeze(&s, "2027-01-08T00:00:00Z").await;
    let reply = rest(
        &s,
        Method::POST,
        "/composite/tree/Account",
        json!({"records": [{"attributes": {"type": "Account", "referenceId": "t"}, "Name": "Tree"}]}),
    )
    .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
    let tree_id = reply.json()["results"][0]["id"]
        .as_str()
        .expect("an id")
        .to_owned();
    assert_modified_at(&s, &tree_id, "2027-01-08T00:00:00.000Z").await;
    for field in ["CreatedDate", "LastModifiedDate"] {
        assert_eq!(
            s.field("Account", &tree_id, field).await.as_deref(),
            Some("2027-01-08T00:00:00.000Z")
        );
    }
}
