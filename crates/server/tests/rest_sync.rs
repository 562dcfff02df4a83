//! The replication endpoints (`GET /sobjects/{Obj}/updated` and `/deleted`) over real HTTP (`GET
//! /query?explain=` is in rest_explain.rs). Records are created, updated and deleted through bulk jobs under a frozen control clock
//! (`PUT /_bulkforce/clock`), so every stamp is known to the second and every window's answer is exact.

mod common;

use common::{Server, accounts_csv, id_of, start};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// Freezes the server's clock at `at`.
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

/// `GET /sobjects/{object}/{resource}/?start=…&end=…`, both bounds percent-encoded as jsforce sends them.
async fn sync(
    server: &Server,
    resource: &str,
    object: &str,
    start: &str,
    end: &str,
) -> common::Reply {
    let url = reqwest::Url::parse_with_params(
        &server.api(&format!("/sobjects/{object}/{resource}/")),
        [("start", start), ("end", end)],
    )
    .unwrap();
    server.get(url.as_str()).await
}

/// The `ids` of an `updated` answer that must succeed, and its `latestDateCovered`.
async fn updated(server: &Server, object: &str, start: &str, end: &str) -> (Vec<String>, String) {
    let reply = sync(server, "updated", object, start, end).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let body = reply.json();
    assert_eq!(keys(&body), ["ids", "latestDateCovered"], "{body}");
    let ids = body["ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|id| id.as_str().unwrap().to_owned())
        .collect();
    (ids, body["latestDateCovered"].as_str().unwrap().to_owned())
}

/// A `deleted` answer that must succeed.
async fn deleted(server: &Server, object: &str, start: &str, end: &str) -> Value {
    let reply = sync(server, "deleted", object, start, end).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let body = reply.json();
    assert_eq!(
        keys(&body),
        [
            "deletedRecords",
            "earliestDateAvailable",
            "latestDateCovered"
        ],
        "{body}"
    );
    body
}

fn keys(value: &Value) -> Vec<String> {
    let mut keys = common::keys(value);
    keys.sort();
    keys
}

async fn bulk(server: &Server, operation: &str, ids: &[&str]) {
    let csv = format!("Id\n{}\n", ids.join("\n"));
    let (info, _) = server
        .run_complete(&json!({"object": "Account", "operation": operation}), csv)
        .await;
    assert_eq!(info["numberRecordsFailed"], 0, "{info}");
}

async fn rename(server: &Server, id: &str, name: &str) {
    let csv = format!("Id,Name\n{id},{name}\n");
    server
        .run_complete(&json!({"object": "Account", "operation": "update"}), csv)
        .await;
}

fn strings(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

#[tokio::test]
async fn updated_lists_what_was_created_or_changed_in_each_window_in_stamp_order() {
    let server = start().await;
    freeze(&server, "2027-01-01T10:00:00Z").await;
    let first = server.insert("Account", "Name\nAcme\nGlobex\n").await;
    let (acme, globex) = (first[0].as_str(), first[1].as_str());
    freeze(&server, "2027-01-01T10:05:30Z").await;
    let initech = server.insert("Account", "Name\nInitech\n").await.remove(0);
    freeze(&server, "2027-01-01T10:10:00Z").await;
    rename(&server, acme, "Acme Renamed").await;
    freeze(&server, "2027-01-01T10:20:30Z").await;

    let (ids, covered) = updated(
        &server,
        "Account",
        "2027-01-01T10:00:00+00:00",
        "2027-01-01T10:05:00+00:00",
    )
    .await;
    assert_eq!(
        ids,
        strings(&[globex]),
        "Acme's stamp moved to 10:10 when it was renamed"
    );
    assert_eq!(covered, "2027-01-01T10:05:00.000+0000");

    // Seconds are ignored: 10:05:45 is 10:05 and 10:06:10 is 10:06, so Initech (10:05:30) is inside.
    let (ids, covered) = updated(
        &server,
        "Account",
        "2027-01-01T10:05:45+00:00",
        "2027-01-01T10:06:10+00:00",
    )
    .await;
    assert_eq!(ids, strings(&[&initech]));
    assert_eq!(covered, "2027-01-01T10:06:00.000+0000");

    // The window is half-open: a record stamped exactly at `end` belongs to the next window.
    let (ids, _) = updated(
        &server,
        "Account",
        "2027-01-01T09:00:00Z",
        "2027-01-01T10:00:00Z",
    )
    .await;
    assert!(ids.is_empty(), "{ids:?}");
    let (ids, covered) = updated(
        &server,
        "Account",
        "2027-01-01T10:00:00Z",
        "2027-01-01T10:20:00Z",
    )
    .await;
    assert_eq!(ids, strings(&[globex, &initech, acme]), "stamp order");
    assert_eq!(covered, "2027-01-01T10:20:00.000+0000");

    // Offsets are applied: 11:00+01:00 is 10:00 UTC.
    let (ids, _) = updated(
        &server,
        "Account",
        "2027-01-01T11:00:00+01:00",
        "2027-01-01T11:01:00+0100",
    )
    .await;
    assert_eq!(ids, strings(&[globex]));
}

#[tokio::test]
async fn latest_date_covered_stops_at_the_current_minute_so_the_next_window_misses_nothing() {
    let server = start().await;
    freeze(&server, "2027-03-01T08:00:00Z").await;
    let early = server.insert("Account", "Name\nEarly\n").await.remove(0);
    freeze(&server, "2027-03-01T08:30:15Z").await;
    let late = server.insert("Account", "Name\nLate\n").await.remove(0);
    freeze(&server, "2027-03-01T08:30:40Z").await;

    // `end` is in the future: covered up to 08:30, the minute under way is left for the next call.
    let (ids, covered) = updated(
        &server,
        "Account",
        "2027-03-01T08:00:00Z",
        "2027-03-01T09:00:00Z",
    )
    .await;
    assert_eq!(ids, strings(&[&early]));
    assert_eq!(covered, "2027-03-01T08:30:00.000+0000");

    // A start in the current minute covers nothing yet, and is not an error.
    let (ids, covered) = updated(
        &server,
        "Account",
        "2027-03-01T08:30:00Z",
        "2027-03-01T09:00:00Z",
    )
    .await;
    assert!(ids.is_empty(), "{ids:?}");
    assert_eq!(covered, "2027-03-01T08:30:00.000+0000");

    freeze(&server, "2027-03-01T08:31:05Z").await;
    let (ids, covered) = updated(&server, "Account", &covered, "2027-03-01T09:00:00Z").await;
    assert_eq!(
        ids,
        strings(&[&late]),
        "the next window starts at latestDateCovered"
    );
    assert_eq!(covered, "2027-03-01T08:31:00.000+0000");
}

#[tokio::test]
async fn deleted_lists_soft_deletes_with_their_dates_and_updated_leaves_them_out() {
    let server = start().await;
    freeze(&server, "2027-02-01T09:00:00Z").await;
    let ids = server.insert("Account", "Name\nX\nY\nZ\nKept\n").await;
    let (x, y, z, kept) = (
        ids[0].as_str(),
        ids[1].as_str(),
        ids[2].as_str(),
        ids[3].as_str(),
    );
    freeze(&server, "2027-02-01T09:30:20Z").await;
    bulk(&server, "delete", &[x]).await;
    freeze(&server, "2027-02-01T09:45:00Z").await;
    bulk(&server, "delete", &[y]).await;
    freeze(&server, "2027-02-01T09:50:00Z").await;
    bulk(&server, "hardDelete", &[z]).await;
    freeze(&server, "2027-02-01T10:00:00Z").await;

    let body = deleted(
        &server,
        "Account",
        "2027-02-01T09:00:00Z",
        "2027-02-01T10:00:00Z",
    )
    .await;
    assert_eq!(
        body["deletedRecords"],
        json!([
            {"id": x, "deletedDate": "2027-02-01T09:30:20.000+0000"},
            {"id": y, "deletedDate": "2027-02-01T09:45:00.000+0000"},
        ]),
        "a hard delete skips the recycle bin and leaves no trace"
    );
    assert_eq!(
        body["earliestDateAvailable"], "2027-02-01T09:30:00.000+0000",
        "the oldest deletion kept, to the minute"
    );
    assert_eq!(body["latestDateCovered"], "2027-02-01T10:00:00.000+0000");

    let body = deleted(
        &server,
        "Account",
        "2027-02-01T09:31:00Z",
        "2027-02-01T09:46:00Z",
    )
    .await;
    assert_eq!(
        body["deletedRecords"],
        json!([{"id": y, "deletedDate": "2027-02-01T09:45:00.000+0000"}])
    );
    assert_eq!(
        body["earliestDateAvailable"],
        "2027-02-01T09:30:00.000+0000"
    );
    assert_eq!(body["latestDateCovered"], "2027-02-01T09:46:00.000+0000");

    let (updated_ids, _) = updated(
        &server,
        "Account",
        "2027-02-01T09:00:00Z",
        "2027-02-01T10:00:00Z",
    )
    .await;
    assert_eq!(
        updated_ids,
        strings(&[kept]),
        "deleted records are deleted's to report"
    );

    // Nothing of Contact was ever deleted: the earliest date is the oldest the server answers for.
    let body = deleted(
        &server,
        "Contact",
        "2027-02-01T09:00:00Z",
        "2027-02-01T10:00:00Z",
    )
    .await;
    assert_eq!(body["deletedRecords"], json!([]));
    assert_eq!(
        body["earliestDateAvailable"],
        "2027-01-02T10:00:00.000+0000"
    );

    // Forty days on, the deletions are older than the 30 days answered for.
    freeze(&server, "2027-03-13T10:00:00Z").await;
    let body = deleted(
        &server,
        "Account",
        "2027-02-11T10:00:00Z",
        "2027-03-13T10:00:00Z",
    )
    .await;
    assert_eq!(body["deletedRecords"], json!([]));
    assert_eq!(
        body["earliestDateAvailable"],
        "2027-02-11T10:00:00.000+0000"
    );
}

#[tokio::test]
async fn every_client_spelling_of_the_dates_and_path_is_accepted() {
    let server = start().await;
    freeze(&server, "2027-04-01T12:00:00Z").await;
    let id = server.insert("Account", "Name\nSpelled\n").await.remove(0);
    freeze(&server, "2027-04-01T13:00:00Z").await;
    for query in [
        // jsforce: encodeURIComponent, no trailing slash.
        "updated?start=2027-04-01T12%3A00%3A00%2B00%3A00&end=2027-04-01T12%3A01%3A00%2B00%3A00",
        // simple-salesforce: pre-encoded, trailing slash.
        "updated/?start=2027-04-01T12%3A00%3A00%2B00%3A00&end=2027-04-01T12%3A01%3A00%2B00%3A00",
        // A raw `+`, `Z`, millis and a lower-case object name.
        "updated/?start=2027-04-01T12:00:00+00:00&end=2027-04-01T12:01:00.000Z",
    ] {
        let object = if query.contains("000Z") {
            "account"
        } else {
            "Account"
        };
        let reply = server
            .get(&server.api(&format!("/sobjects/{object}/{query}")))
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{query}: {}", reply.text());
        assert_eq!(
            reply.json(),
            json!({"ids": [id], "latestDateCovered": "2027-04-01T12:01:00.000+0000"}),
            "{query}"
        );
        assert_eq!(
            reply.header("content-type").as_deref(),
            Some("application/json;charset=UTF-8")
        );
    }
}

#[tokio::test]
async fn bad_windows_and_objects_get_salesforces_errors_on_both_endpoints() {
    let server = start().await;
    freeze(&server, "2027-05-31T12:00:30Z").await;
    for resource in ["updated", "deleted"] {
        let reply = sync(
            &server,
            resource,
            "Account",
            "2027-05-31T10:30:00Z",
            "2027-05-31T10:30:59Z",
        )
        .await;
        reply.assert_error(
            400,
            "INVALID_REPLICATION_DATE",
            "startDate must be at least one minute greater than endDate",
        );
        let reply = sync(
            &server,
            resource,
            "Account",
            "2027-05-31T11:00:00Z",
            "2027-05-31T10:00:00Z",
        )
        .await;
        reply.assert_error(
            400,
            "INVALID_REPLICATION_DATE",
            "startDate must be at least one minute greater than endDate",
        );
        // 30 days back from 12:00 is May 1st 12:00: a minute earlier is refused, that minute is not.
        let reply = sync(
            &server,
            resource,
            "Account",
            "2027-05-01T11:59:00Z",
            "2027-05-02T00:00:00Z",
        )
        .await;
        reply.assert_error(
            400,
            "INVALID_REPLICATION_DATE",
            "startDate before org replication enabled date",
        );
        let reply = sync(
            &server,
            resource,
            "Account",
            "2027-05-01T12:00:00Z",
            "2027-05-02T00:00:00Z",
        )
        .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
        let reply = sync(
            &server,
            resource,
            "Account",
            "2027-05-31T12:01:00Z",
            "2027-05-31T13:00:00Z",
        )
        .await;
        reply.assert_error(
            400,
            "INVALID_REPLICATION_DATE",
            "startDate cannot be later than the current time",
        );
        let reply = sync(
            &server,
            resource,
            "Account",
            "2027-05-31",
            "2027-05-31T12:00:00Z",
        )
        .await;
        reply.assert_error(
            400,
            "INVALID_REPLICATION_DATE",
            "Unable to parse start date: '2027-05-31'. Expected a UTC date and time with an offset, such as \
             2027-01-01T00:00:00+00:00",
        );
        let reply = server
            .get(&server.api(&format!(
                "/sobjects/Account/{resource}/?start=2027-05-31T10:00:00Z"
            )))
            .await;
        reply.assert_error(400, "MISSING_ARGUMENT", "Missing required parameter: end");
        let reply = server
            .get(&server.api(&format!("/sobjects/Account/{resource}")))
            .await;
        reply.assert_error(400, "MISSING_ARGUMENT", "Missing required parameter: start");

        let reply = sync(
            &server,
            resource,
            "Nope__c",
            "2027-05-31T10:00:00Z",
            "2027-05-31T11:00:00Z",
        )
        .await;
        reply.assert_error(404, "NOT_FOUND", "The requested resource does not exist");
        let reply = sync(
            &server,
            resource,
            "Organization",
            "2027-05-31T10:00:00Z",
            "2027-05-31T11:00:00Z",
        )
        .await;
        reply.assert_error(
            400,
            "INVALID_TYPE_FOR_OPERATION",
            "entity type Organization does not support replication (it is not replicateable)",
        );

        let url = server.api(&format!("/sobjects/Account/{resource}/"));
        let reply = server.send(server.request(Method::POST, &url)).await;
        assert_eq!(
            reply.status,
            StatusCode::METHOD_NOT_ALLOWED,
            "{}",
            reply.text()
        );
        assert_eq!(reply.json()[0]["errorCode"], "METHOD_NOT_ALLOWED");
        let reply = server.client.get(&url).send().await.unwrap();
        assert_eq!(reply.status(), StatusCode::UNAUTHORIZED);
    }
}

/// Inserts `n` Accounts in one bulk job and waits for it (a large job: a deadline of minutes, not the
/// harness's seconds); no result file is read.
async fn insert_many(server: &Server, n: usize) {
    let id = id_of(
        &server
            .create(&json!({"object": "Account", "operation": "insert"}))
            .await,
    );
    server.upload_ok(&id, accounts_csv("Many", n)).await;
    server.close(&id).await;
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        let info = server.info(&id).await;
        match info["state"].as_str() {
            Some("JobComplete") => {
                assert_eq!(info["numberRecordsProcessed"], n, "{info}");
                assert_eq!(info["numberRecordsFailed"], 0, "{info}");
                return;
            }
            Some("Failed" | "Aborted") => panic!("the load ended: {info}"),
            _ => assert!(Instant::now() < deadline, "the load did not finish: {info}"),
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn more_than_600000_ids_in_a_window_is_exceeded_id_limit() {
    let server = start().await;
    freeze(&server, "2027-06-01T00:00:00Z").await;
    insert_many(&server, 600_000).await;
    freeze(&server, "2027-06-01T00:10:00Z").await;
    let (ids, _) = updated(
        &server,
        "Account",
        "2027-06-01T00:00:00Z",
        "2027-06-01T00:10:00Z",
    )
    .await;
    assert_eq!(ids.len(), 600_000, "exactly the limit is answered");

    server.insert("Account", "Name\nOne Too Many\n").await;
    freeze(&server, "2027-06-01T00:20:00Z").await;
    let reply = sync(
        &server,
        "updated",
        "Account",
        "2027-06-01T00:00:00Z",
        "2027-06-01T00:20:00Z",
    )
    .await;
    reply.assert_error(
        400,
        "EXCEEDED_ID_LIMIT",
        "record limit reached. cannot return more than 600000 ids: use a shorter window",
    );
    let (ids, _) = updated(
        &server,
        "Account",
        "2027-06-01T00:10:00Z",
        "2027-06-01T00:20:00Z",
    )
    .await;
    assert_eq!(ids.len(), 1, "a shorter window is answered");
}

/// A REST call with a JSON body (or none) that must answer `status`; its body as JSON if it has one.
async fn rest(
    server: &Server,
    method: Method,
    path: &str,
    body: Option<Value>,
    status: u16,
) -> Value {
    let mut request = server.request(method, &server.api(path));
    if let Some(body) = body {
        request = request.json(&body);
    }
    let reply = server.send(request).await;
    assert_eq!(reply.status.as_u16(), status, "{path}: {}", reply.text());
    if reply.body.is_empty() {
        Value::Null
    } else {
        reply.json()
    }
}

#[tokio::test]
async fn rest_record_writes_are_replicated_like_bulk_ones() {
    let server = start().await;
    freeze(&server, "2027-07-01T08:00:00Z").await;
    let created = rest(
        &server,
        Method::POST,
        "/sobjects/Account",
        Some(json!({"Name": "Rest One"})),
        201,
    )
    .await;
    let id = created["id"].as_str().unwrap().to_owned();
    let other = rest(
        &server,
        Method::POST,
        "/sobjects/Account/",
        Some(json!({"Name": "Rest Two"})),
        201,
    )
    .await;
    let other = other["id"].as_str().unwrap().to_owned();
    freeze(&server, "2027-07-01T08:10:00Z").await;
    rest(
        &server,
        Method::PATCH,
        &format!("/sobjects/Account/{other}"),
        Some(json!({"Name": "Renamed"})),
        204,
    )
    .await;
    freeze(&server, "2027-07-01T08:20:10Z").await;
    rest(
        &server,
        Method::DELETE,
        &format!("/sobjects/Account/{id}"),
        None,
        204,
    )
    .await;
    freeze(&server, "2027-07-01T08:30:00Z").await;

    let (ids, _) = updated(
        &server,
        "Account",
        "2027-07-01T08:00:00Z",
        "2027-07-01T08:10:00Z",
    )
    .await;
    assert!(
        ids.is_empty(),
        "one was renamed later, the other deleted: {ids:?}"
    );
    let (ids, _) = updated(
        &server,
        "Account",
        "2027-07-01T08:10:00Z",
        "2027-07-01T08:30:00Z",
    )
    .await;
    assert_eq!(ids, [other]);
    let body = deleted(
        &server,
        "Account",
        "2027-07-01T08:00:00Z",
        "2027-07-01T08:30:00Z",
    )
    .await;
    assert_eq!(
        body["deletedRecords"],
        json!([{"id": id, "deletedDate": "2027-07-01T08:20:10.000+0000"}])
    );
    assert_eq!(
        body["earliestDateAvailable"],
        "2027-07-01T08:20:00.000+0000"
    );
}
