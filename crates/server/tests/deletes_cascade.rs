//! Deletes as an org does them, over real HTTP on every delete path (bulk delete and hardDelete jobs, REST
//! DELETE, sObject Collections delete, composite): an Account takes its Contacts and Opportunities (and
//! a master-detail child with its own child) to the recycle bin, optional lookups to it are cleared, a
//! restricting lookup refuses the delete with Salesforce's `DELETE_FAILED` (checked byte for byte),
//! `queryAll` shows what was deleted with `IsDeleted = true`, a hard delete removes what cascaded, and
//! the recycle bin is emptied once the server's clock is 15 days past the delete.
//!
//! Backend-neutral: run with `BULKFORCE_TEST_BACKEND=postgres` for PostgreSQL.

mod common;

use common::{Server, parse_csv, start_with};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use tempfile::TempDir;

/// Account's cascading standard relationships, declared as a new org's describe does (so the test does
/// not depend on how complete the built-in files are), and custom objects: `Child__c` (master-detail of
/// Account), `Grand__c` (master-detail of `Child__c`), `Note__c` (optional lookup: cleared), `Block__c`
/// (a lookup that restricts the delete of its Account).
const SCHEMA: [(&str, &str); 5] = [
    (
        "account.json",
        r#"{"name":"Account","fields":[],"childRelationships":[
            {"childSObject":"Contact","field":"AccountId","relationshipName":"Contacts","cascadeDelete":true,"restrictedDelete":false},
            {"childSObject":"Opportunity","field":"AccountId","relationshipName":"Opportunities","cascadeDelete":true,"restrictedDelete":false},
            {"childSObject":"Account","field":"ParentId","relationshipName":"ChildAccounts","cascadeDelete":false,"restrictedDelete":false}]}"#,
    ),
    (
        "child.json",
        r#"{"name":"Child__c","custom":true,"label":"Child","labelPlural":"Children","fields":[
            {"name":"Account__c","type":"reference","referenceTo":["Account"],"relationshipName":"Account__r",
             "nillable":false,"createable":true,"updateable":false,"cascadeDelete":true,"custom":true}]}"#,
    ),
    (
        "grand.json",
        r#"{"name":"Grand__c","custom":true,"label":"Grandchild","labelPlural":"Grandchildren","fields":[
            {"name":"Child__c","type":"reference","referenceTo":["Child__c"],"relationshipName":"Child__r",
             "nillable":false,"createable":true,"updateable":false,"cascadeDelete":true,"custom":true}]}"#,
    ),
    (
        "note.json",
        r#"{"name":"Note__c","custom":true,"label":"Note","labelPlural":"Notes","fields":[
            {"name":"Account__c","type":"reference","referenceTo":["Account"],"relationshipName":"Account__r",
             "nillable":true,"createable":true,"updateable":true,"custom":true}]}"#,
    ),
    (
        "block.json",
        r#"{"name":"Block__c","custom":true,"label":"Block","labelPlural":"Blocks","fields":[
            {"name":"Account__c","type":"reference","referenceTo":["Account"],"relationshipName":"Account__r",
             "nillable":true,"createable":true,"updateable":true,"restrictedDelete":true,"custom":true}]}"#,
    ),
];

async fn start() -> (Server, TempDir) {
    let dir = TempDir::new().unwrap();
    for (name, text) in SCHEMA {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    let path = dir.path().to_path_buf();
    let server = start_with(move |c| c.schema_dir = Some(path)).await;
    (server, dir)
}

/// An Account with a Contact, an Opportunity, a child account, a master-detail child and grandchild,
/// and a note.
struct Family {
    account: String,
    contact: String,
    opportunity: String,
    child_account: String,
    child: String,
    grand: String,
    note: String,
}

async fn family(s: &Server, name: &str) -> Family {
    let account = s
        .insert("Account", &format!("Name\n{name}\n"))
        .await
        .remove(0);
    let child_account = s
        .insert("Account", &format!("Name,ParentId\n{name} Sub,{account}\n"))
        .await
        .remove(0);
    let contact = s
        .insert(
            "Contact",
            &format!("LastName,AccountId\nOf {name},{account}\n"),
        )
        .await
        .remove(0);
    let opportunity = s
        .insert(
            "Opportunity",
            &format!(
                "Name,StageName,CloseDate,AccountId\n{name} Deal,Prospecting,2026-06-30,{account}\n"
            ),
        )
        .await
        .remove(0);
    let child = s
        .insert("Child__c", &format!("Name,Account__c\nC,{account}\n"))
        .await
        .remove(0);
    let grand = s
        .insert("Grand__c", &format!("Name,Child__c\nG,{child}\n"))
        .await
        .remove(0);
    let note = s
        .insert("Note__c", &format!("Name,Account__c\nN,{account}\n"))
        .await
        .remove(0);
    Family {
        account,
        contact,
        opportunity,
        child_account,
        child,
        grand,
        note,
    }
}

/// The records of a SOQL statement over `/query` (`all`: `/queryAll`).
async fn soql(s: &Server, all: bool, statement: &str) -> Vec<Value> {
    let resource = if all { "/queryAll" } else { "/query" };
    let reply = s
        .send(
            s.request(Method::GET, &s.api(resource))
                .query(&[("q", statement)]),
        )
        .await;
    assert_eq!(
        reply.status,
        StatusCode::OK,
        "{statement}: {}",
        reply.text()
    );
    reply.json()["records"].as_array().unwrap().clone()
}

/// `IsDeleted` of one record as `queryAll` shows it (None: not there at all).
async fn deleted_flag(s: &Server, object: &str, id: &str) -> Option<bool> {
    let rows = soql(
        s,
        true,
        &format!("SELECT Id, IsDeleted FROM {object} WHERE Id = '{id}'"),
    )
    .await;
    rows.first()
        .map(|r| r["IsDeleted"].as_bool().expect("a boolean"))
}

async fn assert_cascaded(s: &Server, f: &Family) {
    for (object, id) in [
        ("Account", &f.account),
        ("Contact", &f.contact),
        ("Opportunity", &f.opportunity),
        ("Child__c", &f.child),
        ("Grand__c", &f.grand),
    ] {
        assert_eq!(
            deleted_flag(s, object, id).await,
            Some(true),
            "{object} {id} is in the recycle bin"
        );
        let live = soql(
            s,
            false,
            &format!("SELECT Id FROM {object} WHERE Id = '{id}'"),
        )
        .await;
        assert!(live.is_empty(), "{object} {id} is gone from /query");
    }
    assert_eq!(
        deleted_flag(s, "Account", &f.child_account).await,
        Some(false)
    );
    assert_eq!(s.field("Account", &f.child_account, "ParentId").await, None);
    assert_eq!(deleted_flag(s, "Note__c", &f.note).await, Some(false));
    assert_eq!(s.field("Note__c", &f.note, "Account__c").await, None);
}

async fn assert_untouched(s: &Server, f: &Family) {
    for (object, id) in [
        ("Account", &f.account),
        ("Contact", &f.contact),
        ("Opportunity", &f.opportunity),
        ("Child__c", &f.child),
        ("Grand__c", &f.grand),
    ] {
        assert_eq!(deleted_flag(s, object, id).await, Some(false), "{object}");
    }
    assert_eq!(
        s.field("Note__c", &f.note, "Account__c").await.as_deref(),
        Some(f.account.as_str())
    );
}

/// A REST call under `/services/data/v62.0`.
async fn call(s: &Server, method: Method, path: &str, body: Option<Value>) -> common::Reply {
    let mut request = s.request(method, &s.api(path));
    if let Some(body) = body {
        request = request.json(&body);
    }
    s.send(request).await
}

fn refusal(name: &str, blocks: &str) -> String {
    format!(
        "Your attempt to delete {name} could not be completed because it is associated with the \
         following blocks.: {blocks}\n"
    )
}

#[tokio::test]
async fn a_bulk_delete_takes_the_children_to_the_recycle_bin_and_clears_lookups() {
    let (s, _schema) = start().await;
    let gone = family(&s, "Gone").await;
    let kept = family(&s, "Kept").await;
    let (info, results) = s
        .run_complete(
            &json!({"object": "Account", "operation": "delete"}),
            format!("Id\n{}\n", gone.account),
        )
        .await;
    assert_eq!(info["numberRecordsFailed"], 0, "{}", results.failed);
    assert_cascaded(&s, &gone).await;
    assert_untouched(&s, &kept).await;
    let contacts = soql(
        &s,
        true,
        "SELECT LastName, IsDeleted FROM Contact ORDER BY LastName",
    )
    .await;
    let flags: Vec<(String, bool)> = contacts
        .iter()
        .map(|r| {
            (
                r["LastName"].as_str().unwrap().to_owned(),
                r["IsDeleted"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        flags,
        [("Of Gone".to_owned(), true), ("Of Kept".to_owned(), false)]
    );
}

#[tokio::test]
async fn a_restricting_lookup_refuses_the_delete_on_every_path() {
    let (s, _schema) = start().await;
    let held = family(&s, "Acme").await;
    s.insert(
        "Block__c",
        &format!("Name,Account__c\nBlocker,{}\n", held.account),
    )
    .await;
    let id = held.account.as_str();

    let (info, results) = s
        .run_complete(
            &json!({"object": "Account", "operation": "delete"}),
            format!("Id\n{id}\n"),
        )
        .await;
    assert_eq!(info["numberRecordsFailed"], 1);
    let message = refusal("Acme", "Blocker");
    assert_eq!(
        results.failed,
        format!("\"sf__Id\",\"sf__Error\",Id\n\"{id}\",\"DELETE_FAILED:{message}:--\",\"{id}\"\n"),
        "the failed results, byte for byte"
    );
    let rows = parse_csv(&results.failed, b',');
    assert_eq!(
        rows.len(),
        2,
        "one header, one row: the newline is inside the quoted cell"
    );

    let reply = call(&s, Method::DELETE, &format!("/sobjects/Account/{id}"), None).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        reply.text(),
        json!([{"errorCode": "DELETE_FAILED", "message": message, "fields": []}]).to_string()
    );

    let reply = call(
        &s,
        Method::DELETE,
        &format!("/composite/sobjects?ids={id}&allOrNone=false"),
        None,
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let result = &reply.json()[0];
    assert_eq!(result["success"], false, "{result}");
    assert_eq!(
        result["errors"],
        json!([{"statusCode": "DELETE_FAILED", "message": message, "fields": []}])
    );

    let reply = call(
        &s,
        Method::POST,
        "/composite",
        Some(json!({"allOrNone": false, "compositeRequest": [{
            "method": "DELETE", "referenceId": "gone",
            "url": format!("/services/data/v62.0/sobjects/Account/{id}")}]})),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let answer = &reply.json()["compositeResponse"][0];
    assert_eq!(answer["httpStatusCode"], 400, "{answer}");
    assert_eq!(
        answer["body"],
        json!([{"errorCode": "DELETE_FAILED", "message": message, "fields": []}])
    );

    let (info, _) = s
        .run_complete(
            &json!({"object": "Account", "operation": "hardDelete"}),
            format!("Id\n{id}\n"),
        )
        .await;
    assert_eq!(
        info["numberRecordsFailed"], 1,
        "a hard delete is refused alike"
    );
    assert_untouched(&s, &held).await;
}

#[tokio::test]
async fn rest_collections_and_composite_deletes_cascade() {
    let (s, _schema) = start().await;
    let by_rest = family(&s, "Rest").await;
    let by_collection = family(&s, "Collection").await;
    let by_composite = family(&s, "Composite").await;

    let path = format!("/sobjects/Account/{}", by_rest.account);
    let reply = call(&s, Method::DELETE, &path, None).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT, "{}", reply.text());
    assert_cascaded(&s, &by_rest).await;

    let path = format!("/composite/sobjects?ids={}", by_collection.account);
    let reply = call(&s, Method::DELETE, &path, None).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    assert_eq!(reply.json()[0]["success"], true, "{}", reply.text());
    assert_cascaded(&s, &by_collection).await;

    let reply = call(
        &s,
        Method::POST,
        "/composite",
        Some(json!({"allOrNone": true, "compositeRequest": [{
            "method": "DELETE", "referenceId": "gone",
            "url": format!("/services/data/v62.0/sobjects/Account/{}", by_composite.account)}]})),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    assert_eq!(reply.json()["compositeResponse"][0]["httpStatusCode"], 204);
    assert_cascaded(&s, &by_composite).await;
}

#[tokio::test]
async fn a_hard_delete_removes_what_cascaded_even_from_the_recycle_bin() {
    let (s, _schema) = start().await;
    let binned = family(&s, "Binned").await;
    let live = family(&s, "Live").await;
    s.run_complete(
        &json!({"object": "Account", "operation": "delete"}),
        format!("Id\n{}\n", binned.account),
    )
    .await;
    let (info, results) = s
        .run_complete(
            &json!({"object": "Account", "operation": "hardDelete"}),
            format!("Id\n{}\n{}\n", binned.account, live.account),
        )
        .await;
    assert_eq!(info["numberRecordsFailed"], 0, "{}", results.failed);
    for f in [&binned, &live] {
        for (object, id) in [
            ("Account", &f.account),
            ("Contact", &f.contact),
            ("Opportunity", &f.opportunity),
            ("Child__c", &f.child),
            ("Grand__c", &f.grand),
        ] {
            assert_eq!(deleted_flag(&s, object, id).await, None, "{object} removed");
        }
        assert_eq!(
            deleted_flag(&s, "Account", &f.child_account).await,
            Some(false)
        );
        assert_eq!(s.field("Account", &f.child_account, "ParentId").await, None);
        assert_eq!(s.field("Note__c", &f.note, "Account__c").await, None);
    }
}

/// Moves the server's clock to `days` days after real time.
async fn clock_offset_days(s: &Server, days: i64) {
    let reply = s
        .client
        .put(s.url("/_bulkforce/clock"))
        .bearer_auth(s.token())
        .json(&json!({"offsetSeconds": days * 24 * 3600}))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), StatusCode::OK);
}

#[tokio::test]
async fn the_recycle_bin_is_emptied_15_days_after_the_delete_by_the_server_clock() {
    let (s, _schema) = start().await;
    let gone = family(&s, "Gone").await;
    let kept = family(&s, "Kept").await;
    let recent = family(&s, "Recent").await;
    s.run_complete(
        &json!({"object": "Account", "operation": "delete"}),
        format!("Id\n{}\n", gone.account),
    )
    .await;
    assert_cascaded(&s, &gone).await;
    // Two days later another family goes: at 16 days of the first delete it is 14 days in the bin.
    clock_offset_days(&s, 2).await;
    s.run_complete(
        &json!({"object": "Account", "operation": "delete"}),
        format!("Id\n{}\n", recent.account),
    )
    .await;
    clock_offset_days(&s, 16).await;
    let deadline = Instant::now() + Duration::from_secs(30);
    while deleted_flag(&s, "Account", &gone.account).await.is_some() {
        assert!(Instant::now() < deadline, "the recycle bin was not emptied");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for (object, id) in [
        ("Contact", &gone.contact),
        ("Opportunity", &gone.opportunity),
        ("Child__c", &gone.child),
        ("Grand__c", &gone.grand),
    ] {
        assert_eq!(deleted_flag(&s, object, id).await, None, "{object} purged");
    }
    assert_eq!(deleted_flag(&s, "Note__c", &gone.note).await, Some(false));
    assert_untouched(&s, &kept).await;
    // The purge that emptied the 16-day-old records kept the 14-day-old ones in the recycle bin.
    assert_cascaded(&s, &recent).await;
}

/// Account → Cases and Contact → Cases restrict, as a real org's describe says (`restrictedDelete`):
/// "You can't delete an account if it has associated cases". The refusal names the case by its number.
#[tokio::test]
async fn an_account_or_contact_with_a_case_is_not_deleted() {
    let s = common::start().await;
    let account = s.insert("Account", "Name\nAcme\n").await.remove(0);
    let contact = s.insert("Contact", "LastName\nDavis\n").await.remove(0);
    let for_account = s
        .insert("Case", &format!("Subject,AccountId\nBroken,{account}\n"))
        .await
        .remove(0);
    let for_contact = s
        .insert("Case", &format!("Subject,ContactId\nLost,{contact}\n"))
        .await
        .remove(0);
    for (object, id, name, case) in [
        ("Account", &account, "Acme", &for_account),
        ("Contact", &contact, "Davis", &for_contact),
    ] {
        let number = s.field("Case", case, "CaseNumber").await.expect("a number");
        let (info, results) = s
            .run_complete(
                &json!({"object": object, "operation": "delete"}),
                format!("Id\n{id}\n"),
            )
            .await;
        assert_eq!(
            info["numberRecordsFailed"], 1,
            "{object}: {}",
            results.successful
        );
        let message = format!(
            "Your attempt to delete {name} could not be completed because it is associated with the \
             following cases.: {number}\n"
        );
        assert_eq!(
            results.failed,
            format!(
                "\"sf__Id\",\"sf__Error\",Id\n\"{id}\",\"DELETE_FAILED:{message}:--\",\"{id}\"\n"
            ),
            "{object}: the failed results, byte for byte"
        );
        assert_eq!(deleted_flag(&s, object, id).await, Some(false));
        assert_eq!(deleted_flag(&s, "Case", case).await, Some(false));
    }
}
