//! sObject Collections (`/composite/sobjects`) over real HTTP: create, update, upsert, delete and retrieve,
//! `allOrNone` both ways (what is stored is read back through `GET /query`), the 200-record limit, bad
//! bodies, mixed object types, unknown ids.

mod common;

use common::{Reply, Server, start, start_with_extension};
use reqwest::Method;
use serde_json::{Value, json};

const ROLLED_BACK: &str = "ALL_OR_NONE_OPERATION_ROLLED_BACK";
const ROLLED_BACK_MESSAGE: &str = "Record rolled back because not all records were valid and the request was using AllOrNone header";

async fn call(server: &Server, method: Method, path: &str, body: Option<Value>) -> Reply {
    let mut request = server.request(method, &server.api(path));
    if let Some(body) = body {
        request = request.json(&body);
    }
    server.send(request).await
}

/// A 200 answer's per-record results.
async fn results(server: &Server, method: Method, path: &str, body: Value) -> Vec<Value> {
    let reply = call(server, method, path, Some(body)).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    reply
        .json()
        .as_array()
        .expect("an array of results")
        .clone()
}

/// The records a SOQL statement returns through the REST query resource.
async fn soql(server: &Server, statement: &str) -> Vec<Value> {
    let url = server.api("/query");
    let reply = server
        .send(server.request(Method::GET, &url).query(&[("q", statement)]))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    reply.json()["records"].as_array().unwrap().clone()
}

async fn names(server: &Server, object: &str) -> Vec<String> {
    soql(server, &format!("SELECT Name FROM {object} ORDER BY Name"))
        .await
        .iter()
        .map(|r| r["Name"].as_str().unwrap().to_owned())
        .collect()
}

fn account(name: &str) -> Value {
    json!({"attributes": {"type": "Account"}, "Name": name})
}

fn id(result: &Value) -> String {
    assert_eq!(result["success"], true, "{result}");
    result["id"].as_str().unwrap().to_owned()
}

fn assert_failed(result: &Value, code: &str) {
    assert_eq!(result["success"], false, "{result}");
    assert_eq!(result["errors"][0]["statusCode"], code, "{result}");
    assert!(result["errors"][0]["fields"].is_array(), "{result}");
}

fn assert_rolled_back(result: &Value) {
    assert_eq!(result["success"], false, "{result}");
    assert_eq!(
        result["errors"],
        json!([{"statusCode": ROLLED_BACK, "message": ROLLED_BACK_MESSAGE, "fields": []}])
    );
}

#[tokio::test]
async fn create_saves_mixed_types_in_order() {
    let server = start().await;
    let body = json!({"allOrNone": false, "records": [
        account("Acme"),
        {"attributes": {"type": "Contact"}, "LastName": "Smith", "FirstName": "Ann"},
        {"attributes": {"type": "account"}, "name": "Globex", "NumberOfEmployees": "120"},
    ]});
    let saved = results(&server, Method::POST, "/composite/sobjects", body).await;
    assert_eq!(saved.len(), 3);
    for result in &saved {
        assert_eq!(result["errors"], json!([]));
        assert!(result.get("created").is_none(), "{result}");
    }
    assert!(id(&saved[0]).starts_with("001"));
    assert!(id(&saved[1]).starts_with("003"));
    assert_eq!(names(&server, "Account").await, ["Acme", "Globex"]);
    let globex = soql(
        &server,
        "SELECT Id, NumberOfEmployees FROM Account WHERE Name = 'Globex'",
    )
    .await;
    assert_eq!(globex[0]["Id"], id(&saved[2]).as_str());
    assert_eq!(globex[0]["NumberOfEmployees"], 120);
    let contact = soql(&server, "SELECT Name FROM Contact").await;
    assert_eq!(contact[0]["Name"], "Ann Smith");
}

#[tokio::test]
async fn create_without_all_or_none_keeps_the_valid_records() {
    let server = start().await;
    let body = json!({"records": [
        account("Kept"),
        {"attributes": {"type": "Account"}, "Phone": "555"},
        {"attributes": {"type": "Account"}, "Name": "Bad", "NoSuchField__c": 1},
        account("Also kept"),
    ]});
    let saved = results(&server, Method::POST, "/composite/sobjects", body).await;
    id(&saved[0]);
    assert_eq!(
        saved[1],
        json!({"success": false, "errors": [{
            "statusCode": "REQUIRED_FIELD_MISSING",
            "message": "Required fields are missing: [Name]",
            "fields": ["Name"],
        }]})
    );
    assert_eq!(
        saved[2]["errors"][0],
        json!({"statusCode": "INVALID_FIELD",
               "message": "No such column 'NoSuchField__c' on sobject of type Account", "fields": []})
    );
    id(&saved[3]);
    assert_eq!(names(&server, "Account").await, ["Also kept", "Kept"]);
}

#[tokio::test]
async fn create_with_all_or_none_keeps_nothing_when_one_fails() {
    let server = start().await;
    let body = json!({"allOrNone": true, "records": [
        account("First"),
        {"attributes": {"type": "Contact"}, "FirstName": "No last name"},
        account("Third"),
    ]});
    let saved = results(&server, Method::POST, "/composite/sobjects", body).await;
    assert_rolled_back(&saved[0]);
    assert!(
        saved[0].get("id").is_none(),
        "a rolled-back create has no id"
    );
    assert_failed(&saved[1], "REQUIRED_FIELD_MISSING");
    assert_rolled_back(&saved[2]);
    assert!(names(&server, "Account").await.is_empty());
    assert!(soql(&server, "SELECT Id FROM Contact").await.is_empty());

    // The same call with every record valid saves them all.
    let body = json!({"allOrNone": true, "records": [account("First"), account("Second")]});
    let saved = results(&server, Method::POST, "/composite/sobjects", body).await;
    assert!(saved.iter().all(|r| r["success"] == true));
    assert_eq!(names(&server, "Account").await, ["First", "Second"]);
}

#[tokio::test]
async fn records_without_a_known_type_fail_on_their_own() {
    let server = start().await;
    let body = json!({"records": [
        {"Name": "No attributes"},
        {"attributes": {"type": "Nope__c"}, "Name": "Unknown"},
        {"attributes": {"type": "Account"}, "Name": "Given an id", "Id": "001000000000001AAA"},
        account("Fine"),
    ]});
    let saved = results(&server, Method::POST, "/composite/sobjects", body).await;
    assert_eq!(
        saved[0]["errors"][0],
        json!({"statusCode": "INVALID_TYPE", "message": "Must send a concrete entity type.", "fields": []})
    );
    assert_failed(&saved[1], "INVALID_TYPE");
    assert!(
        saved[1]["errors"][0]["message"]
            .as_str()
            .unwrap()
            .starts_with("sObject type 'Nope__c' is not supported.")
    );
    assert_eq!(
        saved[2]["errors"][0]["message"],
        "cannot specify Id in an insert call"
    );
    id(&saved[3]);
    assert_eq!(names(&server, "Account").await, ["Fine"]);
}

#[tokio::test]
async fn update_by_id_with_all_or_none_both_ways() {
    let server = start().await;
    let body = json!({"records": [account("A"), account("B")]});
    let created = results(&server, Method::POST, "/composite/sobjects", body).await;
    let (a, b) = (id(&created[0]), id(&created[1]));

    // jsforce sends a lower-case `id`.
    let body = json!({"allOrNone": false, "records": [
        {"attributes": {"type": "Account"}, "id": a, "Name": "A2"},
        {"attributes": {"type": "Account"}, "Name": "no id"},
        {"attributes": {"type": "Account"}, "Id": "001xx000003DGb2999", "Name": "bad id"},
        {"attributes": {"type": "Account"}, "Id": b, "Name": null},
    ]});
    let updated = results(&server, Method::PATCH, "/composite/sobjects", body).await;
    assert_eq!(updated[0], json!({"id": a, "success": true, "errors": []}));
    assert_eq!(
        updated[1],
        json!({"success": false, "errors": [{"statusCode": "MISSING_ARGUMENT",
               "message": "Id not specified in an update call", "fields": []}]})
    );
    assert_eq!(
        updated[2],
        json!({"success": false, "errors": [{"statusCode": "MALFORMED_ID",
               "message": "Account ID: id value of incorrect type: 001xx000003DGb2999", "fields": ["Id"]}]})
    );
    assert_failed(&updated[3], "REQUIRED_FIELD_MISSING");
    assert_eq!(names(&server, "Account").await, ["A2", "B"]);

    let body = json!({"allOrNone": true, "records": [
        {"attributes": {"type": "Account"}, "id": a, "Name": "A3"},
        {"attributes": {"type": "Account"}, "id": b, "NumberOfEmployees": "many"},
    ]});
    let updated = results(&server, Method::PATCH, "/composite/sobjects", body).await;
    assert_rolled_back(&updated[0]);
    assert_eq!(
        updated[0]["id"],
        a.as_str(),
        "a rolled-back update keeps its id"
    );
    assert_failed(&updated[1], "JSON_PARSER_ERROR");
    assert_eq!(names(&server, "Account").await, ["A2", "B"]);
}

#[tokio::test]
async fn upsert_reports_created_per_record() {
    let server = start_with_extension(|_| {}).await;
    let body = json!({"records": [
        {"attributes": {"type": "Account"}, "Name": "Old", "Ext__c": "E-1"},
    ]});
    let existing = id(&results(&server, Method::POST, "/composite/sobjects", body).await[0]);

    let body = json!({"allOrNone": false, "records": [
        {"attributes": {"type": "Account"}, "Name": "Updated", "Ext__c": "E-1"},
        {"attributes": {"type": "Account"}, "Name": "New", "Ext__c": "E-2"},
        {"attributes": {"type": "Account"}, "Name": "No key"},
        {"attributes": {"type": "Contact"}, "LastName": "Wrong type", "Ext__c": "E-3"},
    ]});
    let upserted = results(
        &server,
        Method::PATCH,
        "/composite/sobjects/Account/Ext__c",
        body,
    )
    .await;
    assert_eq!(
        upserted[0],
        json!({"id": existing, "success": true, "errors": [], "created": false})
    );
    assert_eq!(upserted[1]["created"], true);
    assert_eq!(upserted[1]["success"], true);
    assert_eq!(upserted[2]["success"], false, "{}", upserted[2]);
    assert_failed(&upserted[3], "INVALID_TYPE");
    assert_eq!(names(&server, "Account").await, ["New", "Updated"]);

    let body = json!({"allOrNone": true, "records": [
        {"attributes": {"type": "Account"}, "Name": "Renamed", "Ext__c": "E-1"},
        {"attributes": {"type": "Account"}, "Name": "Another", "Ext__c": "E-9"},
        {"attributes": {"type": "Account"}, "Name": "Bad tier", "Ext__c": "E-10", "Tier__c": "Bronze"},
    ]});
    let upserted = results(
        &server,
        Method::PATCH,
        "/composite/sobjects/Account/Ext__c",
        body,
    )
    .await;
    assert_eq!(upserted[0]["id"], existing.as_str());
    assert_eq!(upserted[0]["errors"][0]["statusCode"], ROLLED_BACK);
    assert!(upserted[1].get("id").is_none());
    assert_eq!(upserted[1]["errors"][0]["statusCode"], ROLLED_BACK);
    assert_failed(&upserted[2], "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST");
    assert_eq!(names(&server, "Account").await, ["New", "Updated"]);

    let unknown = call(
        &server,
        Method::PATCH,
        "/composite/sobjects/Account/Nope__c",
        Some(json!({"records": []})),
    )
    .await;
    assert_eq!(unknown.status, 404);
    assert_eq!(
        unknown.json()[0]["message"],
        "Provided external ID field does not exist or is not accessible: Nope__c"
    );
    // Collections upsert arrived in API 46.0.
    let old = server
        .send(
            server
                .request(
                    Method::PATCH,
                    &server.url("/services/data/v45.0/composite/sobjects/Account/Ext__c"),
                )
                .json(&json!({"records": []})),
        )
        .await;
    old.assert_error(404, "NOT_FOUND", "The requested resource does not exist");
}

#[tokio::test]
async fn delete_by_ids_with_all_or_none_both_ways() {
    let server = start().await;
    let body = json!({"records": [account("A"), account("B"), account("C")]});
    let created = results(&server, Method::POST, "/composite/sobjects", body).await;
    let ids: Vec<String> = created.iter().map(id).collect();

    let path = format!(
        "/composite/sobjects?ids={},{},001RM000003oLrB000&allOrNone=true",
        ids[0], ids[1]
    );
    let reply = call(&server, Method::DELETE, &path, None).await;
    let deleted = reply.json();
    assert_eq!(deleted[0]["id"], ids[0].as_str());
    assert_rolled_back(&deleted[0]);
    assert_rolled_back(&deleted[1]);
    assert_eq!(
        deleted[2],
        json!({"success": false, "errors": [{"statusCode": "MALFORMED_ID",
               "message": "malformed id 001RM000003oLrB000", "fields": []}]})
    );
    assert_eq!(names(&server, "Account").await, ["A", "B", "C"]);

    let path = format!("/composite/sobjects?ids={},{},{}", ids[0], ids[1], ids[0]);
    let deleted = call(&server, Method::DELETE, &path, None).await.json();
    assert_eq!(
        deleted[0],
        json!({"id": ids[0], "success": true, "errors": []})
    );
    assert_eq!(
        deleted[1],
        json!({"id": ids[1], "success": true, "errors": []})
    );
    assert_failed(&deleted[2], "ENTITY_IS_DELETED");
    assert_eq!(names(&server, "Account").await, ["C"]);

    let none = call(&server, Method::DELETE, "/composite/sobjects?ids=", None).await;
    none.assert_error(400, "REQUIRED_FIELD_MISSING", "At least 1 Id is required.");
}

#[tokio::test]
async fn retrieve_aligns_records_with_ids_and_nulls_for_misses() {
    let server = start().await;
    let body = json!({"records": [
        {"attributes": {"type": "Account"}, "Name": "A", "NumberOfEmployees": 7},
        account("Gone"),
        {"attributes": {"type": "Contact"}, "LastName": "C"},
    ]});
    let created = results(&server, Method::POST, "/composite/sobjects", body).await;
    let ids: Vec<String> = created.iter().map(id).collect();
    call(
        &server,
        Method::DELETE,
        &format!("/composite/sobjects?ids={}", ids[1]),
        None,
    )
    .await;

    let unknown = "001000000000999AAA";
    let path = format!(
        "/composite/sobjects/Account?ids={},{},{},{unknown},junk&fields=Name,NumberOfEmployees",
        ids[0], ids[1], ids[2]
    );
    let reply = call(&server, Method::GET, &path, None).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let records = reply.json();
    assert_eq!(
        records[0],
        json!({"attributes": {"type": "Account", "url": format!("/services/data/v62.0/sobjects/Account/{}", ids[0])},
               "Name": "A", "NumberOfEmployees": 7})
    );
    assert_eq!(
        records.as_array().unwrap()[1..],
        [Value::Null, Value::Null, Value::Null, Value::Null]
    );

    // The POST form, as jsforce sends it; Id may be asked for.
    let body = json!({"ids": [ids[2], ids[2]], "fields": ["Id", "LastName"]});
    let records = results(&server, Method::POST, "/composite/sobjects/Contact", body).await;
    assert_eq!(records.len(), 2);
    assert_eq!(records[0]["Id"], ids[2].as_str());
    assert_eq!(records[1]["LastName"], "C");

    // jsforce without fields: every field the describe lists (compound ones included).
    let describe = call(&server, Method::GET, "/sobjects/Account/describe", None)
        .await
        .json();
    let every: Vec<Value> = describe["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].clone())
        .collect();
    let body = json!({"ids": [ids[0]], "fields": every});
    let records = results(&server, Method::POST, "/composite/sobjects/Account", body).await;
    assert_eq!(records[0]["Name"], "A");
    assert_eq!(records[0]["Id"], ids[0].as_str());

    let bad_field = call(
        &server,
        Method::GET,
        &format!("/composite/sobjects/Account?ids={}&fields=Nope__c", ids[0]),
        None,
    )
    .await;
    assert_eq!(bad_field.status, 400, "{}", bad_field.text());
    assert_eq!(bad_field.json()[0]["errorCode"], "INVALID_FIELD");
    let no_fields = call(
        &server,
        Method::GET,
        &format!("/composite/sobjects/Account?ids={}", ids[0]),
        None,
    )
    .await;
    assert_eq!(no_fields.status, 400);
    let unknown_object = call(
        &server,
        Method::GET,
        "/composite/sobjects/Nope__c?ids=a&fields=Id",
        None,
    )
    .await;
    assert_eq!(unknown_object.status, 404);
}

#[tokio::test]
async fn more_than_200_records_are_refused_whole() {
    let server = start().await;
    let records: Vec<Value> = (0..201).map(|i| account(&format!("A{i}"))).collect();
    let message = "record limit reached. cannot submit more than 200 records into this call";
    let reply = call(
        &server,
        Method::POST,
        "/composite/sobjects",
        Some(json!({"records": records})),
    )
    .await;
    reply.assert_error(400, "EXCEEDED_ID_LIMIT", message);
    assert!(names(&server, "Account").await.is_empty());

    let ids = vec!["001000000000001AAA"; 201].join(",");
    let reply = call(
        &server,
        Method::DELETE,
        &format!("/composite/sobjects?ids={ids}"),
        None,
    )
    .await;
    reply.assert_error(400, "EXCEEDED_ID_LIMIT", message);

    // Exactly 200 is allowed.
    let records: Vec<Value> = (0..200).map(|i| account(&format!("A{i}"))).collect();
    let saved = results(
        &server,
        Method::POST,
        "/composite/sobjects",
        json!({"records": records}),
    )
    .await;
    assert_eq!(saved.len(), 200);
    assert_eq!(names(&server, "Account").await.len(), 200);
}

#[tokio::test]
async fn malformed_requests_are_refused_whole() {
    let server = start().await;
    let url = server.api("/composite/sobjects");
    let not_json = server
        .send(
            server
                .request(Method::POST, &url)
                .header("Content-Type", "application/json")
                .body("{\"records\":["),
        )
        .await;
    assert_eq!(not_json.status, 400);
    assert_eq!(not_json.json()[0]["errorCode"], "JSON_PARSER_ERROR");

    let bare_string = call(
        &server,
        Method::POST,
        "/composite/sobjects",
        Some(json!({"records": ["x", account("A")]})),
    )
    .await;
    bare_string.assert_error(
        400,
        "INVALID_FIELD",
        "Json Deserialization failed on token 'null' and has left off in the middle of parsing a row. Will go to end of row to begin parsing the next row",
    );
    let no_records = call(
        &server,
        Method::POST,
        "/composite/sobjects",
        Some(json!({"allOrNone": true})),
    )
    .await;
    assert_eq!(no_records.status, 400);

    // Eleven runs of alternating types: more than the ten chunks Salesforce allows.
    let records: Vec<Value> = (0..11)
        .map(|i| {
            if i % 2 == 0 {
                account("A")
            } else {
                json!({"attributes": {"type": "Contact"}, "LastName": "C"})
            }
        })
        .collect();
    let chunky = call(
        &server,
        Method::POST,
        "/composite/sobjects",
        Some(json!({"records": records})),
    )
    .await;
    assert_eq!(chunky.status, 400);
    assert!(names(&server, "Account").await.is_empty());

    let put = call(
        &server,
        Method::PUT,
        "/composite/sobjects",
        Some(json!({"records": []})),
    )
    .await;
    put.assert_error(
        405,
        "METHOD_NOT_ALLOWED",
        "HTTP Method 'PUT' not allowed. Allowed are DELETE,PATCH,POST",
    );
    let empty = results(
        &server,
        Method::POST,
        "/composite/sobjects",
        json!({"records": []}),
    )
    .await;
    assert!(empty.is_empty());
}
