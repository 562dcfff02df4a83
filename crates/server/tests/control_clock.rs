//! `/_bulkforce/clock` over real HTTP: who may call it, its answers, and that the clock drives what a real
//! org's time drives: record and job timestamps (an incremental sync on `SystemModstamp`), SOQL date
//! literals in REST queries and query jobs, token expiry, and the rolling 24-hour API counters. A setting
//! also survives a restart.

mod common;

use bulkforce_store::Store;
use chrono::{DateTime, TimeDelta, Utc};
use common::{Reply, Server, id_of, parse_csv, start, start_with};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;

const CLOCK: &str = "/_bulkforce/clock";

/// `method /_bulkforce/clock` with the admin token and `body` (raw, JSON or not).
async fn clock_call(server: &Server, method: Method, body: Option<&str>) -> Reply {
    let mut request = server
        .client
        .request(method, server.url(CLOCK))
        .bearer_auth(server.token());
    if let Some(body) = body {
        request = request
            .header("Content-Type", "application/json")
            .body(body.to_owned());
    }
    let response = request.send().await.expect("request sent");
    Reply {
        status: response.status(),
        headers: response.headers().clone(),
        body: response.bytes().await.expect("body read").to_vec(),
    }
}

/// PUTs `body`, asserts 200, returns the answer.
async fn set_clock(server: &Server, body: &Value) -> Value {
    let reply = clock_call(server, Method::PUT, Some(&body.to_string())).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    reply.json()
}

async fn freeze(server: &Server, at: &str) {
    let answer = set_clock(server, &json!({ "now": at })).await;
    assert_eq!(answer["mode"], "frozen", "{answer}");
}

fn time(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap_or_else(|e| panic!("{text}: {e}"))
        .with_timezone(&Utc)
}

/// The Names a REST query returns, sorted.
async fn rest_names(server: &Server, soql: &str) -> Vec<String> {
    let url = reqwest::Url::parse_with_params(&server.api("/query"), [("q", soql)]).unwrap();
    let reply = server.get(url.as_str()).await;
    assert_eq!(reply.status, StatusCode::OK, "{soql}: {}", reply.text());
    let mut names: Vec<String> = reply.json()["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["Name"].as_str().unwrap().to_owned())
        .collect();
    names.sort();
    names
}

/// The Names a query job returns (its first column), sorted; and the job as created.
async fn bulk_names(server: &Server, soql: &str) -> (Vec<String>, Value) {
    let created = server
        .send(
            server
                .request(Method::POST, &server.api("/jobs/query"))
                .json(&json!({"operation": "query", "query": soql})),
        )
        .await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.text());
    let job = created.json();
    let id = id_of(&job);
    for _ in 0..400 {
        let info = server.get(&server.api(&format!("/jobs/query/{id}"))).await;
        match info.json()["state"].as_str() {
            Some("JobComplete") => break,
            Some("Failed" | "Aborted") => panic!("query job ended: {}", info.text()),
            _ => tokio::time::sleep(Duration::from_millis(25)).await,
        }
    }
    let results = server
        .get(&server.api(&format!("/jobs/query/{id}/results")))
        .await;
    assert_eq!(results.status, StatusCode::OK, "{}", results.text());
    let mut names: Vec<String> = parse_csv(&results.text(), b',')
        .into_iter()
        .skip(1)
        .map(|row| row[0].clone())
        .collect();
    names.sort();
    (names, job)
}

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

#[tokio::test]
async fn the_clock_needs_the_control_token() {
    let server = start().await;
    for token in [None, Some("wrong")] {
        let reply = server.control(Method::GET, CLOCK, token).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "token {token:?}");
        assert_eq!(reply.json()["errorCode"], "UNAUTHORIZED");
    }
    let refused = server
        .client
        .put(server.url(CLOCK))
        .bearer_auth("wrong")
        .body(r#"{"offsetSeconds":60}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    let reply = clock_call(&server, Method::GET, None).await;
    assert_eq!(
        reply.json()["mode"],
        "real",
        "a refused PUT changed nothing"
    );
}

#[tokio::test]
async fn the_clock_is_real_until_frozen_or_shifted_and_delete_makes_it_real_again() {
    let server = start().await;
    let before = Utc::now();
    let real = clock_call(&server, Method::GET, None).await;
    assert_eq!(real.status, StatusCode::OK);
    let body = real.json();
    assert_eq!(body["mode"], "real");
    assert!(body.get("offsetSeconds").is_none(), "{body}");
    let now = time(body["now"].as_str().unwrap());
    assert!(
        now >= before - TimeDelta::milliseconds(1) && now <= Utc::now(),
        "{body}"
    );

    let frozen = set_clock(&server, &json!({"now": "2027-01-01T01:00:00+01:00"})).await;
    assert_eq!(
        frozen,
        json!({"mode": "frozen", "now": "2027-01-01T00:00:00.000Z"}),
        "a frozen time is shown in UTC with milliseconds"
    );
    let again = clock_call(&server, Method::GET, None).await.json();
    assert_eq!(again, frozen, "a frozen clock does not move");

    let before = Utc::now();
    let shifted = set_clock(&server, &json!({"offsetSeconds": -172_800})).await;
    let after = Utc::now();
    assert_eq!(shifted["mode"], "offset");
    assert_eq!(shifted["offsetSeconds"], -172_800);
    let now = time(shifted["now"].as_str().unwrap());
    let two_days = TimeDelta::days(2);
    assert!(
        now >= before - two_days - TimeDelta::milliseconds(1) && now <= after - two_days,
        "{shifted}"
    );

    let before = Utc::now();
    let deleted = clock_call(&server, Method::DELETE, None).await;
    assert_eq!(deleted.status, StatusCode::OK, "{}", deleted.text());
    let body = deleted.json();
    assert_eq!(body["mode"], "real");
    assert!(body.get("offsetSeconds").is_none(), "{body}");
    let now = time(body["now"].as_str().unwrap());
    assert!(
        now >= before - TimeDelta::milliseconds(1) && now <= Utc::now(),
        "{body}"
    );
}

#[tokio::test]
async fn bad_clock_bodies_are_refused_and_change_nothing() {
    let server = start().await;
    freeze(&server, "2027-01-01T00:00:00Z").await;
    for body in [
        "",
        "not json",
        "[]",
        "{}",
        r#"{"now": null}"#,
        r#"{"now": "tomorrow"}"#,
        r#"{"now": "2027-01-01"}"#,
        r#"{"now": "1600-01-01T00:00:00Z"}"#,
        r#"{"now": 1798761600}"#,
        r#"{"offsetSeconds": "60"}"#,
        r#"{"offsetSeconds": 1.5}"#,
        r#"{"offsetSeconds": 99999999999}"#,
        r#"{"now": "2027-01-01T00:00:00Z", "offsetSeconds": 60}"#,
        r#"{"mode": "real"}"#,
        r#"{"now": "2027-01-01T00:00:00Z", "extra": 1}"#,
    ] {
        let reply = clock_call(&server, Method::PUT, Some(body)).await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{body:?}: {}",
            reply.text()
        );
        let answer = reply.json();
        assert_eq!(answer["errorCode"], "INVALID_CLOCK", "{body:?}");
        assert!(
            !answer["message"].as_str().unwrap().is_empty(),
            "{body:?}: says what is wrong"
        );
    }
    let still = clock_call(&server, Method::GET, None).await.json();
    assert_eq!(
        still,
        json!({"mode": "frozen", "now": "2027-01-01T00:00:00.000Z"})
    );
}

#[tokio::test]
async fn other_methods_are_not_allowed() {
    let server = start().await;
    for method in [Method::POST, Method::PATCH] {
        let reply = clock_call(&server, method.clone(), Some("{}")).await;
        assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED, "{method}");
        assert_eq!(reply.json()["errorCode"], "METHOD_NOT_ALLOWED");
        assert_eq!(
            reply.header("allow").as_deref(),
            Some("GET, HEAD, PUT, DELETE")
        );
    }
}

#[tokio::test]
async fn a_frozen_clock_stamps_ingested_records_and_their_job() {
    let server = start().await;
    freeze(&server, "2027-01-01T00:00:00Z").await;
    let job = server
        .create(&json!({"object": "Account", "operation": "insert"}))
        .await;
    assert_eq!(job["createdDate"], "2027-01-01T00:00:00.000+0000");
    assert_eq!(job["systemModstamp"], "2027-01-01T00:00:00.000+0000");
    let id = id_of(&job);
    server
        .upload_ok(&id, "Name\nFrozen One\nFrozen Two\n")
        .await;
    server.close(&id).await;
    let info = server.wait(&id).await;
    assert_eq!(info["state"], "JobComplete", "{info}");
    assert_eq!(info["createdDate"], "2027-01-01T00:00:00.000+0000");
    assert_eq!(info["systemModstamp"], "2027-01-01T00:00:00.000+0000");

    let results = server.result(&id, "successfulResults").await;
    let rows = parse_csv(&results, b',');
    assert_eq!(rows.len(), 3, "{results}");
    for row in &rows[1..] {
        for field in ["CreatedDate", "LastModifiedDate", "SystemModstamp"] {
            assert_eq!(
                server.field("Account", &row[0], field).await.as_deref(),
                Some("2027-01-01T00:00:00.000Z"),
                "{field}"
            );
        }
    }
    let url = reqwest::Url::parse_with_params(
        &server.api("/query"),
        [(
            "q",
            "SELECT CreatedDate, SystemModstamp FROM Account WHERE Name = 'Frozen One'",
        )],
    )
    .unwrap();
    let record = &server.get(url.as_str()).await.json()["records"][0];
    assert_eq!(record["CreatedDate"], "2027-01-01T00:00:00.000+0000");
    assert_eq!(record["SystemModstamp"], "2027-01-01T00:00:00.000+0000");
}

#[tokio::test]
async fn an_incremental_sync_on_system_modstamp_sees_only_what_changed_since_its_last_run() {
    let server = start().await;
    freeze(&server, "2027-01-01T00:00:00Z").await;
    let first = server.insert("Account", "Name\nAcme\nGlobex\n").await;
    // The sync runs at 00:30 and remembers that time.
    let last_run = "2027-01-01T00:30:00Z";
    let since = format!("SELECT Name FROM Account WHERE SystemModstamp > {last_run}");
    freeze(&server, last_run).await;
    assert_eq!(rest_names(&server, &since).await, Vec::<String>::new());

    freeze(&server, "2027-01-01T01:00:00Z").await;
    server.insert("Account", "Name\nInitech\n").await;
    let update = format!("Id,Name\n{},Acme Renamed\n", first[0]);
    server
        .run_complete(&json!({"object": "Account", "operation": "update"}), update)
        .await;

    assert_eq!(
        rest_names(&server, &since).await,
        names(&["Acme Renamed", "Initech"]),
        "the new record and the updated one, not the untouched Globex"
    );
    let (bulk, _) = bulk_names(&server, &since).await;
    assert_eq!(bulk, names(&["Acme Renamed", "Initech"]), "a query job too");
    assert_eq!(
        server
            .field("Account", &first[0], "CreatedDate")
            .await
            .as_deref(),
        Some("2027-01-01T00:00:00.000Z"),
        "an update keeps the creation time"
    );
}

#[tokio::test]
async fn date_literals_follow_the_clock() {
    let server = start().await;
    freeze(&server, "2027-01-01T08:00:00Z").await;
    server.insert("Account", "Name\nNew Year\n").await;
    freeze(&server, "2027-01-10T12:00:00Z").await;
    server.insert("Account", "Name\nTenth\n").await;

    let today = "SELECT Name FROM Account WHERE CreatedDate = TODAY";
    let last_3 = "SELECT Name FROM Account WHERE CreatedDate = LAST_N_DAYS:3";
    let last_10 = "SELECT Name FROM Account WHERE CreatedDate = LAST_N_DAYS:10";
    assert_eq!(rest_names(&server, today).await, names(&["Tenth"]));
    assert_eq!(rest_names(&server, last_3).await, names(&["Tenth"]));
    assert_eq!(
        rest_names(&server, last_10).await,
        names(&["New Year", "Tenth"])
    );
    let (bulk, job) = bulk_names(&server, last_3).await;
    assert_eq!(
        bulk,
        names(&["Tenth"]),
        "a query job anchors at its creation"
    );
    assert_eq!(job["createdDate"], "2027-01-10T12:00:00.000+0000");

    freeze(&server, "2027-01-01T23:00:00Z").await;
    assert_eq!(rest_names(&server, today).await, names(&["New Year"]));
    let (bulk, _) = bulk_names(&server, today).await;
    assert_eq!(bulk, names(&["New Year"]));
    let yesterday = "SELECT Name FROM Account WHERE CreatedDate = YESTERDAY";
    freeze(&server, "2027-01-11T00:00:00Z").await;
    assert_eq!(rest_names(&server, yesterday).await, names(&["Tenth"]));
}

#[tokio::test]
async fn an_offset_clock_shifts_record_times() {
    let server = start().await;
    let before = Utc::now();
    set_clock(&server, &json!({"offsetSeconds": 3 * 86_400})).await;
    let ids = server.insert("Account", "Name\nLater\n").await;
    let after = Utc::now();
    let created = server
        .field("Account", &ids[0], "CreatedDate")
        .await
        .unwrap();
    let created = time(&created);
    let shift = TimeDelta::days(3);
    assert!(
        created >= before + shift - TimeDelta::milliseconds(1) && created <= after + shift,
        "{created} is three days after real time"
    );
    let last_n = "SELECT Name FROM Account WHERE CreatedDate = LAST_N_DAYS:1";
    assert_eq!(rest_names(&server, last_n).await, names(&["Later"]));
    clock_call(&server, Method::DELETE, None).await;
    assert_eq!(
        rest_names(
            &server,
            "SELECT Name FROM Account WHERE CreatedDate > TODAY"
        )
        .await,
        names(&["Later"]),
        "back on real time, the record is in the future"
    );
}

/// A second org with a password user and a connected app; returns (username, client id, secret).
async fn tenant(server: &Server) -> (String, String, String) {
    let store: Arc<dyn Store> = server.running.state.store.clone();
    tokio::task::spawn_blocking(move || {
        let principal = store
            .create_org("acme", "ann@acme.test", Some("correct horse"))
            .unwrap();
        let (app, secret) = store.create_app(principal.org_id, "cli", None).unwrap();
        (principal.username, app.client_id, secret)
    })
    .await
    .unwrap()
}

async fn password_grant(server: &Server) -> Value {
    let (username, client_id, secret) = tenant(server).await;
    let response = server
        .client
        .post(server.url("/services/oauth2/token"))
        .form(&[
            ("grant_type", "password"),
            ("client_id", &client_id),
            ("client_secret", &secret),
            ("username", &username),
            ("password", "correct horse"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

async fn bulk_call(server: &Server, token: &str) -> (StatusCode, String) {
    let response = server
        .client
        .get(server.api("/jobs/ingest"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    (response.status(), response.text().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_are_issued_and_expire_on_the_clock() {
    let server = start().await;
    freeze(&server, "2027-01-01T00:00:00Z").await;
    let grant = password_grant(&server).await;
    assert_eq!(
        grant["issued_at"],
        time("2027-01-01T00:00:00Z").timestamp_millis().to_string()
    );
    let token = grant["access_token"].as_str().unwrap().to_owned();
    assert_eq!(bulk_call(&server, &token).await.0, StatusCode::OK);

    // Two hours is the session timeout: one hour on the token lives, three hours on it has expired.
    freeze(&server, "2027-01-01T01:00:00Z").await;
    assert_eq!(bulk_call(&server, &token).await.0, StatusCode::OK);
    freeze(&server, "2027-01-01T03:00:00Z").await;
    let (status, body) = bulk_call(&server, &token).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        body,
        r#"[{"errorCode":"INVALID_SESSION_ID","message":"Session expired or invalid"}]"#
    );

    // A token issued on real time expires when the clock is shifted past its timeout.
    clock_call(&server, Method::DELETE, None).await;
    let fresh = soap_login(&server).await;
    assert_eq!(bulk_call(&server, &fresh).await.0, StatusCode::OK);
    set_clock(&server, &json!({"offsetSeconds": 3 * 3600})).await;
    assert_eq!(bulk_call(&server, &fresh).await.0, StatusCode::UNAUTHORIZED);
    // The admin token never expires, and controls keep working whatever the time.
    assert_eq!(bulk_call(&server, server.token()).await.0, StatusCode::OK);
    clock_call(&server, Method::DELETE, None).await;
    assert_eq!(bulk_call(&server, &fresh).await.0, StatusCode::OK);
}

/// A SOAP login of the user [`password_grant`]'s tenant has; returns the session id.
async fn soap_login(server: &Server) -> String {
    let envelope = r#"<?xml version="1.0" encoding="utf-8"?>
<env:Envelope xmlns:env="http://schemas.xmlsoap.org/soap/envelope/"><env:Body>
<n1:login xmlns:n1="urn:partner.soap.sforce.com"><n1:username>ann@acme.test</n1:username>
<n1:password>correct horse</n1:password></n1:login></env:Body></env:Envelope>"#;
    let response = server
        .client
        .post(server.url("/services/Soap/u/62.0"))
        .header("Content-Type", "text/xml; charset=UTF-8")
        .header("SOAPAction", "login")
        .body(envelope)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let text = response.text().await.unwrap();
    let start = text.find("<sessionId>").expect("a session id") + "<sessionId>".len();
    let end = text[start..].find("</sessionId>").unwrap() + start;
    text[start..end].to_owned()
}

/// The `used` of `Sforce-Limit-Info: api-usage=used/max`, and `/limits`' remaining API requests.
async fn usage(server: &Server) -> (u64, u64) {
    let reply = server.get(&server.api("/limits")).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let header = reply.header("sforce-limit-info").unwrap();
    let used = header
        .strip_prefix("api-usage=")
        .and_then(|rest| rest.split_once('/'))
        .map(|(used, _)| used.parse().unwrap())
        .unwrap();
    let remaining = reply.json()["DailyApiRequests"]["Remaining"]
        .as_u64()
        .unwrap();
    (used, remaining)
}

#[tokio::test]
async fn the_rolling_api_counter_follows_the_clock() {
    let server = start().await;
    freeze(&server, "2027-01-01T00:00:00Z").await;
    assert_eq!(usage(&server).await, (1, 99_999));
    assert_eq!(usage(&server).await, (2, 99_998));
    assert_eq!(usage(&server).await, (3, 99_997));
    // 23 hours on, the morning's calls still count; 25 hours on, they are out of the 24-hour window.
    freeze(&server, "2027-01-01T23:00:00Z").await;
    assert_eq!(usage(&server).await, (4, 99_996));
    freeze(&server, "2027-01-02T01:00:00Z").await;
    assert_eq!(
        usage(&server).await,
        (2, 99_998),
        "only the 23:00 call and this one"
    );
    freeze(&server, "2027-01-03T01:30:00Z").await;
    assert_eq!(usage(&server).await, (1, 99_999), "only this one");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_clock_survives_a_restart() {
    let data = tempfile::TempDir::new().unwrap();
    let dir = data.path().to_path_buf();
    let first = start_with(|c| c.data_dir = dir.clone()).await;
    freeze(&first, "2030-06-01T12:00:00Z").await;
    first.running.server.abort();
    drop(first);

    let second = start_with(|c| c.data_dir = dir.clone()).await;
    let clock = clock_call(&second, Method::GET, None).await.json();
    assert_eq!(
        clock,
        json!({"mode": "frozen", "now": "2030-06-01T12:00:00.000Z"})
    );
    let job = second
        .create(&json!({"object": "Account", "operation": "insert"}))
        .await;
    assert_eq!(job["createdDate"], "2030-06-01T12:00:00.000+0000");
}

/// Many PUTs at once: the clock the server then tells is the setting it stored, and a restart (which
/// starts from the stored setting) tells the same.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_settings_leave_the_clock_on_the_stored_one() {
    let data = tempfile::TempDir::new().unwrap();
    let dir = data.path().to_path_buf();
    let first = Arc::new(start_with(|c| c.data_dir = dir.clone()).await);
    for round in 0..5_i64 {
        let puts: Vec<_> = (0..16_i64)
            .map(|n| {
                let server = first.clone();
                tokio::spawn(async move {
                    let at = format!("2030-01-01T00:00:{:02}Z", (round * 16 + n) % 60);
                    set_clock(&server, &json!({"now": at})).await;
                })
            })
            .collect();
        for put in puts {
            put.await.unwrap();
        }
    }
    let told = clock_call(&first, Method::GET, None).await.json();
    // The store is synchronous (PostgreSQL's client may not block an async thread).
    let stored = tokio::task::block_in_place(|| first.running.state.store.clock_setting().unwrap());
    assert_eq!(
        told["now"],
        bulkforce_core::clock::format_instant(match stored {
            bulkforce_core::clock::ClockSetting::Frozen(at) => at,
            other => panic!("a frozen setting was stored, not {other:?}"),
        }),
        "the clock is on the stored setting"
    );
    first.running.server.abort();
    drop(first);

    let second = start_with(|c| c.data_dir = dir.clone()).await;
    assert_eq!(
        clock_call(&second, Method::GET, None).await.json(),
        told,
        "after a restart, the stored setting is the one the server told"
    );
}
