//! sObject rows over real HTTP: create, get, update and delete by id; get, upsert and delete by external id;
//! Salesforce's statuses, error envelopes and version rules; relationship fields by external id in a body;
//! the same refusal whichever API wrote a row; conditional requests against the control clock.

mod common;

use common::{Reply, Server, start_with_extension};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

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

/// `method` on `/services/data/{version}/sobjects{path}` with a JSON body.
async fn call_at(
    server: &Server,
    version: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> Reply {
    let url = server.url(&format!("/services/data/{version}/sobjects{path}"));
    let mut request = server.request(method, &url);
    if let Some(body) = body {
        request = request.json(&body);
    }
    server.send(request).await
}

async fn call(server: &Server, method: Method, path: &str, body: Option<Value>) -> Reply {
    call_at(server, "v62.0", method, path, body).await
}

/// Creates a record through REST; its id.
async fn create(server: &Server, object: &str, body: Value) -> String {
    let reply = call(server, Method::POST, &format!("/{object}"), Some(body)).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
    reply.json()["id"].as_str().expect("an id").to_owned()
}

/// Asserts a REST error: the status and the one error's code, message and `fields` (None: no key).
fn assert_refused(reply: &Reply, status: u16, code: &str, message: &str, fields: Option<&[&str]>) {
    assert_eq!(reply.status.as_u16(), status, "{}", reply.text());
    let mut expected = json!({ "errorCode": code, "message": message });
    if let Some(fields) = fields {
        expected["fields"] = json!(fields);
    }
    assert_eq!(
        reply.text(),
        json!([expected]).to_string(),
        "the envelope, byte for byte"
    );
    assert_eq!(
        reply.header("content-type").as_deref(),
        Some("application/json;charset=UTF-8")
    );
}

#[tokio::test]
async fn a_created_record_answers_201_with_its_location_and_reads_back() {
    let s = start_with_extension(|_| {}).await;
    let reply = call(
        &s,
        Method::POST,
        "/Account/",
        Some(json!({"attributes": {"type": "Account"}, "Name": "Acme", "NumberOfEmployees": "12", "AnnualRevenue": 1500})),
    )
    .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
    let id = reply.json()["id"].as_str().unwrap().to_owned();
    assert_eq!(
        reply.json(),
        json!({"id": id, "success": true, "errors": []})
    );
    assert_eq!(
        reply.header("location"),
        Some(format!("/services/data/v62.0/sobjects/Account/{id}"))
    );

    let got = call(&s, Method::GET, &format!("/account/{id}"), None).await;
    assert_eq!(got.status, StatusCode::OK, "{}", got.text());
    let record = got.json();
    assert_eq!(record["attributes"]["type"], "Account");
    assert_eq!(record["Name"], "Acme");
    assert_eq!(record["NumberOfEmployees"], 12);
    assert_eq!(record["AnnualRevenue"], 1500.0);
    assert_eq!(record["IsDeleted"], false);
    let admin = s.running.principal.user_id.as_str().to_owned();
    assert_eq!(record["CreatedById"], admin.as_str());
    assert_eq!(record["OwnerId"], admin.as_str());

    let some = call(
        &s,
        Method::GET,
        &format!("/Account/{id}?fields=name,Website"),
        None,
    )
    .await;
    let keys: Vec<String> = some.json().as_object().unwrap().keys().cloned().collect();
    assert_eq!(keys, ["attributes", "Name", "Website", "Id"]);
    let bad = call(&s, Method::GET, &format!("/Account/{id}?fields=Nope"), None).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad.json()[0]["errorCode"], "INVALID_FIELD");

    let created = call(
        &s,
        Method::POST,
        "/Account/Id",
        Some(json!({"Name": "By Id"})),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
    assert_eq!(created.json()["created"], true);
    let put = call(&s, Method::PUT, &format!("/Account/{id}"), Some(json!({}))).await;
    assert_eq!(put.status, StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn refused_creates_answer_salesforce_errors_and_write_nothing() {
    let s = start_with_extension(|_| {}).await;
    let post = |body: Value| call(&s, Method::POST, "/Account", Some(body));
    assert_refused(
        &post(json!({"NumberOfEmployees": 3})).await,
        400,
        "REQUIRED_FIELD_MISSING",
        "Required fields are missing: [Name]",
        Some(&["Name"]),
    );
    let long = "x".repeat(256);
    assert_refused(
        &post(json!({"Name": long})).await,
        400,
        "STRING_TOO_LONG",
        &format!("Account Name: data value too large: {long} (max length=255)"),
        Some(&["Name"]),
    );
    assert_refused(
        &post(json!({"Name": "A", "FavoritePet__c": "cat"})).await,
        400,
        "INVALID_FIELD",
        "No such column 'FavoritePet__c' on sobject of type Account",
        None,
    );
    let read_only = post(json!({"Name": "A", "IsDeleted": true})).await;
    assert_eq!(
        read_only.json()[0]["errorCode"],
        "INVALID_FIELD_FOR_INSERT_UPDATE"
    );
    assert_eq!(read_only.json()[0]["fields"], json!(["IsDeleted"]));
    assert_refused(
        &post(json!({"Name": "A", "NumberOfEmployees": "N0100"})).await,
        400,
        "JSON_PARSER_ERROR",
        "Cannot deserialize instance of int from VALUE_STRING value N0100 or request may be missing a required field",
        None,
    );
    let not_json = s
        .send(
            s.request(Method::POST, &s.api("/sobjects/Account"))
                .header("Content-Type", "application/json")
                .body("{\"Name\": "),
        )
        .await;
    assert_eq!(not_json.status, StatusCode::BAD_REQUEST);
    assert_eq!(not_json.json()[0]["errorCode"], "JSON_PARSER_ERROR");
    let unknown = call(&s, Method::POST, "/Nope__c", Some(json!({"Name": "A"}))).await;
    unknown.assert_error(404, "NOT_FOUND", "The requested resource does not exist");
    assert_eq!(
        s.count("Account", true).await,
        0,
        "nothing refused was written"
    );

    let first = create(&s, "Account", json!({"Name": "First", "Code__c": "C1"})).await;
    let duplicate = post(json!({"Name": "Second", "Code__c": "C1"})).await;
    assert_eq!(duplicate.status, StatusCode::BAD_REQUEST);
    assert_eq!(duplicate.json()[0]["errorCode"], "DUPLICATE_VALUE");
    assert_eq!(
        duplicate.json()[0]["message"],
        format!(
            "duplicate value found: Code__c duplicates value on record with id: {}",
            &first[..15]
        )
    );
    assert_eq!(s.count("Account", true).await, 1);
}

#[tokio::test]
async fn rest_refuses_a_bad_value_with_the_code_bulk_gives_it() {
    let s = start_with_extension(|_| {}).await;
    let (_, results) = s
        .run_complete(
            &json!({"object": "Account", "operation": "insert"}),
            "Name,Tier__c\nBulk,Bronze\n",
        )
        .await;
    let bulk_error = "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST:Tier: bad value for restricted picklist field: Bronze:Tier__c --";
    assert!(results.failed.contains(bulk_error), "{}", results.failed);
    let reply = call(
        &s,
        Method::POST,
        "/Account",
        Some(json!({"Name": "Rest", "Tier__c": "Bronze"})),
    )
    .await;
    assert_refused(
        &reply,
        400,
        "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
        "Tier: bad value for restricted picklist field: Bronze",
        Some(&["Tier__c"]),
    );
}

#[tokio::test]
async fn updates_answer_204_and_refuse_bad_ids_and_fields() {
    let s = start_with_extension(|_| {}).await;
    let id = create(
        &s,
        "Account",
        json!({"Name": "Acme", "Website": "acme.test"}),
    )
    .await;
    let path = format!("/Account/{id}");
    let reply = call(
        &s,
        Method::PATCH,
        &path,
        Some(json!({"Name": "Acme Corp", "Website": null})),
    )
    .await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT, "{}", reply.text());
    assert!(reply.body.is_empty());
    assert_eq!(
        s.field("Account", &id, "Name").await.as_deref(),
        Some("Acme Corp")
    );
    assert_eq!(
        s.field("Account", &id, "Website").await,
        None,
        "null clears"
    );

    let contact = "003D000000IqhSLIAZ";
    assert_refused(
        &call(
            &s,
            Method::PATCH,
            &format!("/Account/{contact}"),
            Some(json!({"Name": "x"})),
        )
        .await,
        400,
        "MALFORMED_ID",
        &format!("Account ID: id value of incorrect type: {contact}"),
        Some(&["Id"]),
    );
    let missing = "001D000000IqhSLIAZ";
    call(
        &s,
        Method::PATCH,
        &format!("/Account/{missing}"),
        Some(json!({"Name": "x"})),
    )
    .await
    .assert_error(404, "NOT_FOUND", "The requested resource does not exist");
    assert_refused(
        &call(&s, Method::PATCH, &path, Some(json!({"Nope": 1}))).await,
        400,
        "INVALID_FIELD",
        "No such column 'Nope' on sobject of type Account",
        None,
    );
    assert_refused(
        &call(&s, Method::PATCH, &path, Some(json!({"Name": null}))).await,
        400,
        "REQUIRED_FIELD_MISSING",
        "Required fields are missing: [Name]",
        Some(&["Name"]),
    );
    let empty = s
        .send(s.request(Method::PATCH, &s.api(&format!("/sobjects{path}"))))
        .await;
    assert_eq!(empty.json()[0]["errorCode"], "JSON_PARSER_ERROR");
    assert_eq!(
        s.field("Account", &id, "Name").await.as_deref(),
        Some("Acme Corp")
    );
}

#[tokio::test]
async fn deletes_go_to_the_recycle_bin_once() {
    let s = start_with_extension(|_| {}).await;
    let id = create(&s, "Account", json!({"Name": "Doomed"})).await;
    let path = format!("/Account/{id}");
    let reply = call(&s, Method::DELETE, &path, None).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT, "{}", reply.text());
    assert_eq!(s.count("Account", false).await, 0);
    assert_eq!(
        s.count("Account", true).await,
        1,
        "soft-deleted, as a bulk delete"
    );
    assert_refused(
        &call(&s, Method::DELETE, &path, None).await,
        404,
        "ENTITY_IS_DELETED",
        "entity is deleted",
        Some(&[]),
    );
    assert_refused(
        &call(&s, Method::PATCH, &path, Some(json!({"Name": "Back"}))).await,
        404,
        "ENTITY_IS_DELETED",
        "entity is deleted",
        Some(&[]),
    );
    call(&s, Method::GET, &path, None).await.assert_error(
        404,
        "NOT_FOUND",
        "The requested resource does not exist",
    );
}

#[tokio::test]
async fn upserts_on_an_external_id_follow_the_version_rules() {
    let s = start_with_extension(|_| {}).await;
    let inserted = call(
        &s,
        Method::PATCH,
        "/Account/Ext__c/K-1",
        Some(json!({"Name": "Keyed"})),
    )
    .await;
    assert_eq!(inserted.status, StatusCode::CREATED, "{}", inserted.text());
    let id = inserted.json()["id"].as_str().unwrap().to_owned();
    assert_eq!(
        inserted.json(),
        json!({"id": id, "success": true, "errors": [], "created": true})
    );
    assert_eq!(
        s.field("Account", &id, "Ext__c").await.as_deref(),
        Some("K-1")
    );

    let updated = call(
        &s,
        Method::PATCH,
        "/Account/Ext__c/K-1",
        Some(json!({"Name": "Rekeyed"})),
    )
    .await;
    assert_eq!(updated.status, StatusCode::OK, "{}", updated.text());
    assert_eq!(
        updated.json(),
        json!({"id": id, "success": true, "errors": [], "created": false})
    );
    let old = call_at(
        &s,
        "v45.0",
        Method::PATCH,
        "/Account/Ext__c/K-1",
        Some(json!({"Name": "Old"})),
    )
    .await;
    assert_eq!(old.status, StatusCode::NO_CONTENT, "{}", old.text());
    let old_insert = call_at(
        &s,
        "v45.0",
        Method::PATCH,
        "/Account/Ext__c/K-9",
        Some(json!({"Name": "New"})),
    )
    .await;
    assert_eq!(old_insert.status, StatusCode::CREATED);
    assert_eq!(
        old_insert.json().get("created"),
        None,
        "no created flag before v46.0"
    );
    assert_eq!(
        s.field("Account", &id, "Name").await.as_deref(),
        Some("Old")
    );

    let got = call(&s, Method::GET, "/Account/Ext__c/K-1?fields=Name", None).await;
    assert_eq!(got.status, StatusCode::OK, "{}", got.text());
    assert_eq!(got.json()["Name"], "Old");
    assert_eq!(
        got.json()["attributes"]["url"],
        format!("/services/data/v62.0/sobjects/Account/{id}"),
        "the URL names the record by its Id"
    );

    let twin = create(&s, "Account", json!({"Name": "Twin", "Ext__c": "K-1"})).await;
    let ambiguous = call(
        &s,
        Method::PATCH,
        "/Account/Ext__c/K-1",
        Some(json!({"Name": "Which"})),
    )
    .await;
    assert_eq!(
        ambiguous.status,
        StatusCode::MULTIPLE_CHOICES,
        "{}",
        ambiguous.text()
    );
    let mut urls: Vec<String> = serde_json::from_value(ambiguous.json()).unwrap();
    urls.sort();
    let mut expected = vec![
        format!("/services/data/v62.0/sobjects/Account/{id}"),
        format!("/services/data/v62.0/sobjects/Account/{twin}"),
    ];
    expected.sort();
    assert_eq!(urls, expected);
    let get_twins = call(&s, Method::GET, "/Account/Ext__c/K-1", None).await;
    assert_eq!(get_twins.status, StatusCode::MULTIPLE_CHOICES);

    call(
        &s,
        Method::PATCH,
        "/Account/Ext__c/K-2?updateOnly=true",
        Some(json!({"Name": "No"})),
    )
    .await
    .assert_error(404, "NOT_FOUND", "The requested resource does not exist");
    call(
        &s,
        Method::PATCH,
        "/Account/Nope__c/K-1",
        Some(json!({"Name": "No"})),
    )
    .await
    .assert_error(
        404,
        "NOT_FOUND",
        "Provided external ID field does not exist or is not accessible: Nope__c",
    );
    call(&s, Method::GET, "/Account/Ext__c/K-404", None)
        .await
        .assert_error(404, "NOT_FOUND", "The requested resource does not exist");

    let deleted = call(&s, Method::DELETE, "/Account/Ext__c/K-9", None).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{}", deleted.text());
    assert_eq!(s.count("Account", false).await, 2);
}

#[tokio::test]
async fn relationship_fields_resolve_by_external_id_in_a_body() {
    let s = start_with_extension(|_| {}).await;
    let account = create(&s, "Account", json!({"Name": "Parent", "Ext__c": "A-1"})).await;
    let contact = create(
        &s,
        "Contact",
        json!({"LastName": "Child", "Account": {"attributes": {"type": "Account"}, "Ext__c": "A-1"}}),
    )
    .await;
    assert_eq!(
        s.field("Contact", &contact, "AccountId").await,
        Some(account.clone())
    );
    let upserted = call(
        &s,
        Method::PATCH,
        &format!("/Contact/{contact}"),
        Some(json!({"Account": {"Ext__c": "A-2"}})),
    )
    .await;
    assert_refused(
        &upserted,
        400,
        "INVALID_FIELD",
        "Foreign key external ID: A-2 not found for field Ext__c in entity Account",
        None,
    );
    let bad_shape = call(
        &s,
        Method::POST,
        "/Contact",
        Some(json!({"LastName": "X", "LastName__x": 1, "Account": {"Ext__c": "A-1"}})),
    )
    .await;
    assert_eq!(bad_shape.json()[0]["errorCode"], "INVALID_FIELD");
}

#[tokio::test]
async fn conditional_requests_compare_with_last_modified_date_on_the_clock() {
    let s = start_with_extension(|_| {}).await;
    freeze(&s, "2027-01-01T00:00:00Z").await;
    let id = create(&s, "Account", json!({"Name": "Dated"})).await;
    let path = format!("/Account/{id}");
    let get_since = |since: &'static str| {
        let url = s.api(&format!("/sobjects{path}"));
        s.send(
            s.request(Method::GET, &url)
                .header("If-Modified-Since", since),
        )
    };
    let unchanged = get_since("Fri, 01 Jan 2027 00:00:00 GMT").await;
    assert_eq!(unchanged.status, StatusCode::NOT_MODIFIED);
    assert!(unchanged.body.is_empty());

    freeze(&s, "2027-01-01T01:00:00Z").await;
    let reply = call(&s, Method::PATCH, &path, Some(json!({"Name": "Redated"}))).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    let changed = get_since("Fri, 01 Jan 2027 00:00:00 GMT").await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.text());
    assert_eq!(
        changed.json()["LastModifiedDate"],
        "2027-01-01T01:00:00.000+0000"
    );
    assert_eq!(
        changed.json()["CreatedDate"],
        "2027-01-01T00:00:00.000+0000"
    );

    let url = s.api(&format!("/sobjects{path}"));
    let stale = s
        .send(
            s.request(Method::PATCH, &url)
                .header("If-Unmodified-Since", "Fri, 01 Jan 2027 00:30:00 GMT")
                .json(&json!({"Name": "Lost update"})),
        )
        .await;
    assert_eq!(
        stale.status,
        StatusCode::PRECONDITION_FAILED,
        "{}",
        stale.text()
    );
    assert_eq!(
        s.field("Account", &id, "Name").await.as_deref(),
        Some("Redated")
    );
    let fresh = s
        .send(
            s.request(Method::PATCH, &url)
                .header("If-Unmodified-Since", "Fri, 01 Jan 2027 01:00:00 GMT")
                .json(&json!({"Name": "Kept update"})),
        )
        .await;
    assert_eq!(fresh.status, StatusCode::NO_CONTENT, "{}", fresh.text());
    let bad = s
        .send(
            s.request(Method::PATCH, &url)
                .header("If-Unmodified-Since", "yesterday")
                .json(&json!({"Name": "x"})),
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        s.field("Account", &id, "Name").await.as_deref(),
        Some("Kept update")
    );
}

#[tokio::test]
async fn account_etags_answer_if_match_and_if_none_match() {
    let s = start_with_extension(|_| {}).await;
    let id = create(&s, "Account", json!({"Name": "Tagged"})).await;
    let url = s.api(&format!("/sobjects/Account/{id}"));
    let first = s.get(&url).await;
    let etag = first.header("etag").expect("an Account read has an ETag");
    assert!(etag.starts_with('"') && etag.ends_with('"'), "{etag}");
    let same = s
        .send(s.request(Method::GET, &url).header("If-None-Match", &etag))
        .await;
    assert_eq!(same.status, StatusCode::NOT_MODIFIED);
    assert!(same.body.is_empty());

    let wrong = s
        .send(
            s.request(Method::PATCH, &url)
                .header("If-Match", "\"not-it\"")
                .json(&json!({"Name": "Lost"})),
        )
        .await;
    assert_eq!(
        wrong.status,
        StatusCode::PRECONDITION_FAILED,
        "{}",
        wrong.text()
    );
    assert_eq!(wrong.json()[0]["errorCode"], "PRECONDITION_FAILED");
    let right = s
        .send(
            s.request(Method::PATCH, &url)
                .header("If-Match", &etag)
                .json(&json!({"Name": "Kept"})),
        )
        .await;
    assert_eq!(right.status, StatusCode::NO_CONTENT, "{}", right.text());
    let changed = s.get(&url).await;
    assert_ne!(
        changed.header("etag"),
        Some(etag.clone()),
        "a change gives a new ETag"
    );
    let stale = s
        .send(s.request(Method::GET, &url).header("If-None-Match", &etag))
        .await;
    assert_eq!(stale.status, StatusCode::OK);

    let contact = create(&s, "Contact", json!({"LastName": "Untagged"})).await;
    let read = s.get(&s.api(&format!("/sobjects/Contact/{contact}"))).await;
    assert_eq!(read.header("etag"), None, "only Account records have ETags");
}
