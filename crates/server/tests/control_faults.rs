//! `/_bulkforce/faults` over real HTTP: rules of every kind fire exactly as declared (`times`, a seeded
//! `probability`), an http rule answers, delays or hangs up instead of the handler, a job rule fails a job
//! after exactly `afterRows` rows, a row rule fails single rows, a limit rule spends the API allocation;
//! rules are listed with their hits, removed one by one or all at once, refused with what is wrong; and
//! `--faults FILE` loads them at start or refuses to start.

mod common;

use common::{Server, accounts_csv, parse_csv, start, start_with, start_with_extension};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

const UPLOAD_PATH: &str = "/services/data/*/jobs/ingest/*/batches";

/// `POST /_bulkforce/faults` with `rule`, as the admin.
async fn post_rule(server: &Server, rule: &Value) -> common::Reply {
    let response = server
        .client
        .post(server.url("/_bulkforce/faults"))
        .bearer_auth(server.token())
        .body(rule.to_string())
        .send()
        .await
        .expect("request sent");
    common::Reply {
        status: response.status(),
        headers: response.headers().clone(),
        body: response.bytes().await.unwrap().to_vec(),
    }
}

/// Adds `rule`; its id.
async fn add(server: &Server, rule: Value) -> String {
    let reply = post_rule(server, &rule).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
    reply.json()["id"].as_str().unwrap().to_owned()
}

/// The listing's rules.
async fn listed(server: &Server) -> Vec<Value> {
    let reply = server
        .control(Method::GET, "/_bulkforce/faults", Some(server.token()))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    reply.json()["faults"].as_array().unwrap().clone()
}

#[tokio::test]
async fn the_fault_controls_need_the_admin_or_control_token() {
    let server = start_with(|c| c.control_token = Some("control-secret".into())).await;
    for method in [Method::GET, Method::POST, Method::DELETE] {
        for token in [None, Some("wrong")] {
            let reply = server
                .control(method.clone(), "/_bulkforce/faults", token)
                .await;
            assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{method} {token:?}");
            assert_eq!(reply.json()["errorCode"], "UNAUTHORIZED");
        }
    }
    let reply = server
        .control(Method::DELETE, "/_bulkforce/faults/f1", None)
        .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    let reply = server
        .control(Method::GET, "/_bulkforce/faults", Some("control-secret"))
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json(), json!({"faults": []}));
    assert!(listed(&server).await.is_empty());
}

#[tokio::test]
async fn a_503_on_upload_fires_exactly_times_then_the_upload_goes_through() {
    let server = start().await;
    let rule = json!({"kind": "http", "method": "PUT", "path": UPLOAD_PATH, "status": 503,
                      "errorCode": "SERVER_UNAVAILABLE", "message": "try again later", "times": 2});
    assert_eq!(add(&server, rule.clone()).await, "f1");
    let id = server
        .create_id(&json!({"object": "Account", "operation": "insert"}))
        .await;
    let csv = accounts_csv("up", 3);
    for _ in 0..2 {
        let reply = server.upload(&id, csv.clone()).await;
        reply.assert_error(503, "SERVER_UNAVAILABLE", "try again later");
    }
    // Nothing was carried out: the job is still Open with no upload, and the next upload is its first.
    assert_eq!(server.info(&id).await["state"], "Open");
    server.upload_ok(&id, csv).await;
    server.close(&id).await;
    let info = server.wait(&id).await;
    assert_eq!(info["state"], "JobComplete", "{info}");
    assert_eq!(info["numberRecordsProcessed"], 3);

    let rules = listed(&server).await;
    assert_eq!(
        rules,
        [json!({"id": "f1", "rule": rule, "hits": 2, "remaining": 0})]
    );
    // Faulted requests are logged and counted like any other.
    let log = server
        .control(
            Method::GET,
            "/_bulkforce/requests?limit=50",
            Some(server.token()),
        )
        .await
        .json();
    let faulted = log["requests"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["method"] == "PUT" && e["status"] == 503)
        .count();
    assert_eq!(faulted, 2, "{log}");
    let metrics = server.control(Method::GET, "/metrics", None).await.text();
    assert!(
        metrics.lines().any(|l| l.contains("status=\"503\"")
            && l.contains("method=\"PUT\"")
            && l.ends_with(" 2")),
        "{metrics}"
    );
}

/// Which of 20 `GET /limits` requests a rule with probability 0.5 and seed 42 hits, on a fresh server.
async fn seeded_pattern() -> Vec<bool> {
    let server = start().await;
    add(
        &server,
        json!({"kind": "http", "path": "/services/data/*/limits", "status": 503,
               "probability": 0.5, "seed": 42}),
    )
    .await;
    let mut pattern = Vec::new();
    for _ in 0..20 {
        let reply = server.get(&server.api("/limits")).await;
        match reply.status {
            StatusCode::SERVICE_UNAVAILABLE => pattern.push(true),
            StatusCode::OK => pattern.push(false),
            other => panic!("unexpected {other}: {}", reply.text()),
        }
    }
    let hits = pattern.iter().filter(|&&hit| hit).count();
    assert_eq!(listed(&server).await[0]["hits"], hits);
    assert_eq!(listed(&server).await[0]["remaining"], Value::Null);
    pattern
}

#[tokio::test]
async fn a_seeded_probability_hits_the_same_requests_on_every_run() {
    let first = seeded_pattern().await;
    let second = seeded_pattern().await;
    assert_eq!(first, second);
    assert!(first.contains(&true), "some hits: {first:?}");
    assert!(first.contains(&false), "some misses: {first:?}");
}

/// The 20 answers of `GET /limits` under a rule with both `times: 3` and a seeded `probability: 0.5`:
/// true where it answered 503.
async fn seeded_times_pattern(server: &Server) -> Vec<bool> {
    let mut pattern = Vec::new();
    for _ in 0..20 {
        let reply = server.get(&server.api("/limits")).await;
        match reply.status {
            StatusCode::SERVICE_UNAVAILABLE => pattern.push(true),
            StatusCode::OK => pattern.push(false),
            other => panic!("unexpected {other}: {}", reply.text()),
        }
    }
    pattern
}

#[tokio::test]
async fn times_and_a_seeded_probability_fire_exactly_as_declared() {
    let server = start().await;
    let rule = json!({"kind": "http", "path": "/services/data/*/limits", "status": 503,
                      "probability": 0.5, "seed": 42, "times": 3});
    add(&server, rule.clone()).await;
    let pattern = seeded_times_pattern(&server).await;
    // The rolls of seed 42 (rand's StdRng, pinned by Cargo.lock): misses in between do not use up
    // `times`, and after the third hit the rule no longer rolls.
    let hits: Vec<usize> = (0..pattern.len()).filter(|&i| pattern[i]).collect();
    assert_eq!(hits, SEED_42_HITS, "{pattern:?}");
    assert_eq!(
        listed(&server).await,
        [json!({"id": "f1", "rule": rule, "hits": 3, "remaining": 0})]
    );
    assert!(
        !seeded_times_pattern(&server).await.contains(&true),
        "an expired rule hits no more"
    );
    assert_eq!(listed(&server).await[0]["hits"], 3);
}

/// Where seed 42 with probability 0.5 hits first, three times, among 20 requests.
const SEED_42_HITS: [usize; 3] = [3, 4, 5];

#[tokio::test]
async fn latency_delays_the_real_answer() {
    let server = start().await;
    add(
        &server,
        json!({"kind": "http", "method": "get", "path": "/services/data/*/limits", "latencyMs": 300}),
    )
    .await;
    let started = Instant::now();
    let reply = server.get(&server.api("/limits")).await;
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(reply.status, StatusCode::OK);
    assert!(reply.json()["DailyApiRequests"]["Max"].is_u64());
}

#[tokio::test]
async fn disconnect_closes_the_connection_without_an_answer() {
    let server = start().await;
    let id = add(
        &server,
        json!({"kind": "http", "path": "/services/data/*/limits", "disconnect": true, "times": 1}),
    )
    .await;
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let sent = client
        .get(server.api("/limits"))
        .bearer_auth(server.token())
        .send()
        .await;
    let error = sent.expect_err("no answer");
    assert!(error.is_request() || error.is_connect(), "{error:?}");
    // The server goes on serving, and the rule is spent.
    assert_eq!(
        server.get(&server.api("/limits")).await.status,
        StatusCode::OK
    );
    let rules = listed(&server).await;
    assert_eq!(
        (rules[0]["id"].as_str(), &rules[0]["hits"]),
        (Some(id.as_str()), &json!(1))
    );
    let log = server
        .control(
            Method::GET,
            "/_bulkforce/requests?limit=5",
            Some(server.token()),
        )
        .await
        .json();
    assert!(
        log["requests"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["status"] == 444),
        "the hang-up is logged as 444: {log}"
    );
}

#[tokio::test]
async fn a_job_fault_fails_the_job_after_exactly_after_rows_rows() {
    let server = start_with_extension(|_| {}).await;
    add(
        &server,
        json!({"kind": "job", "object": "account", "operation": "upsert", "afterRows": 5000,
               "message": "InvalidBatch : injected failure"}),
    )
    .await;
    let mut csv = String::from("Name,Ext__c\n");
    for i in 0..12_000 {
        csv.push_str(&format!("Row {i},K{i}\n"));
    }
    let job = json!({"object": "Account", "operation": "upsert", "externalIdFieldName": "Ext__c"});
    let (info, results) = server.run(&job, csv).await;
    assert_eq!(info["state"], "Failed", "{info}");
    assert_eq!(info["errorMessage"], "InvalidBatch : injected failure");
    assert_eq!(info["numberRecordsProcessed"], 5000);
    assert_eq!(info["numberRecordsFailed"], 0);
    assert_eq!(server.count("Account", false).await, 5000);
    let successful = parse_csv(&results.successful, b',');
    assert_eq!(successful.len(), 1 + 5000);
    assert_eq!(successful[5000][3], "K4999", "{:?}", successful[5000]);
    assert_eq!(listed(&server).await[0]["hits"], 1);
    // Another object's job is not matched.
    let (info, _) = server
        .run_complete(
            &json!({"object": "Contact", "operation": "insert"}),
            "LastName\nX\n",
        )
        .await;
    assert_eq!(info["numberRecordsProcessed"], 1);
}

#[tokio::test]
async fn a_row_fault_fails_exactly_times_rows_and_applies_the_rest() {
    let server = start().await;
    let message = "unable to obtain exclusive access to this record or 1 records: 001000000000001";
    add(
        &server,
        json!({"kind": "row", "object": "Account", "errorCode": "UNABLE_TO_LOCK_ROW",
               "message": message, "times": 3}),
    )
    .await;
    let job = json!({"object": "Account", "operation": "insert"});
    let (info, results) = server.run_complete(&job, accounts_csv("row", 10)).await;
    assert_eq!(info["numberRecordsProcessed"], 10);
    assert_eq!(info["numberRecordsFailed"], 3);
    assert_eq!(server.count("Account", false).await, 7);
    let failed = parse_csv(&results.failed, b',');
    assert_eq!(failed.len(), 1 + 3);
    for row in &failed[1..] {
        assert_eq!(row[0], "", "no id for a row never applied");
        assert_eq!(row[1], format!("UNABLE_TO_LOCK_ROW:{message}:--"));
    }
    let names: Vec<&str> = failed[1..].iter().map(|r| r[2].as_str()).collect();
    assert_eq!(names, ["row-0", "row-1", "row-2"]);
    assert_eq!(parse_csv(&results.successful, b',').len(), 1 + 7);

    // A rule limited to a field's value fails only the rows holding it.
    add(
        &server,
        json!({"kind": "row", "field": "name", "value": "only-4", "errorCode": "ENTITY_IS_LOCKED",
               "message": "locked"}),
    )
    .await;
    let (info, results) = server.run_complete(&job, accounts_csv("only", 6)).await;
    assert_eq!(info["numberRecordsFailed"], 1);
    let failed = parse_csv(&results.failed, b',');
    assert_eq!(failed[1][1], "ENTITY_IS_LOCKED:locked:--");
    assert_eq!(failed[1][2], "only-4");
}

#[tokio::test]
async fn a_limit_fault_spends_the_api_allocation() {
    let server = start().await;
    let id = add(&server, json!({"kind": "limit", "remaining": 0})).await;
    let reply = server.get(&server.api("/limits")).await;
    reply.assert_error(
        403,
        "REQUEST_LIMIT_EXCEEDED",
        "TotalRequests Limit exceeded.",
    );
    assert_eq!(
        reply.header("sforce-limit-info").as_deref(),
        Some("api-usage=100000/100000")
    );
    let reply = server
        .send(
            server
                .request(Method::POST, &server.api("/jobs/ingest"))
                .json(&json!({"object": "Account", "operation": "insert"})),
        )
        .await;
    reply.assert_error(
        403,
        "REQUEST_LIMIT_EXCEEDED",
        "TotalRequests Limit exceeded.",
    );

    let deleted = server
        .control(
            Method::DELETE,
            &format!("/_bulkforce/faults/{id}"),
            Some(server.token()),
        )
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    add(&server, json!({"kind": "limit", "remaining": 5})).await;
    let reply = server.get(&server.api("/limits")).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(
        reply.header("sforce-limit-info").as_deref(),
        Some("api-usage=99995/100000")
    );
    assert_eq!(
        reply.json()["DailyApiRequests"],
        json!({"Max": 100000, "Remaining": 5})
    );
}

#[tokio::test]
async fn rules_are_deleted_one_by_one_or_all_at_once() {
    let server = start().await;
    for remaining in [1, 2, 3] {
        add(&server, json!({"kind": "limit", "remaining": remaining})).await;
    }
    let token = Some(server.token());
    let deleted = server
        .control(Method::DELETE, "/_bulkforce/faults/f2", token)
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    let ids: Vec<Value> = listed(&server)
        .await
        .iter()
        .map(|r| r["id"].clone())
        .collect();
    assert_eq!(ids, [json!("f1"), json!("f3")]);
    let unknown = server
        .control(Method::DELETE, "/_bulkforce/faults/f2", token)
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(unknown.json()["errorCode"], "NOT_FOUND");
    let all = server
        .control(Method::DELETE, "/_bulkforce/faults", token)
        .await;
    assert_eq!(all.status, StatusCode::NO_CONTENT);
    assert!(listed(&server).await.is_empty());
    // Ids are never reused.
    assert_eq!(
        add(&server, json!({"kind": "limit", "remaining": 9})).await,
        "f4"
    );
    let wrong = server
        .control(Method::PUT, "/_bulkforce/faults", token)
        .await;
    assert_eq!(wrong.status, StatusCode::METHOD_NOT_ALLOWED);
    // Without rules the allocation is the real one again.
    server
        .control(Method::DELETE, "/_bulkforce/faults", token)
        .await;
    assert_eq!(
        server.get(&server.api("/limits")).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn bad_rules_are_refused_with_what_is_wrong() {
    let server = start().await;
    let cases = [
        (json!({"kind": "http", "status": 503}), "needs `path`"),
        (
            json!({"kind": "http", "path": "/x"}),
            "one of `status`, `latencyMs` or `disconnect: true`",
        ),
        (
            json!({"kind": "http", "path": "/x", "status": 302}),
            "400 to 599",
        ),
        (
            json!({"kind": "http", "path": "/x", "status": 503, "probability": 2}),
            "between 0 and 1",
        ),
        (json!({"kind": "job", "afterRows": -1}), "afterRows"),
        (
            json!({"kind": "job", "status": 503}),
            "`status` is not a key of a job rule",
        ),
        (
            json!({"kind": "row", "colour": "red"}),
            "unknown field `colour`",
        ),
        (json!({"kind": "flood"}), "unknown kind `flood`"),
        (json!({"kind": "limit"}), "`remaining`"),
        (json!("http"), "a fault rule is a JSON object"),
    ];
    for (rule, expected) in cases {
        let reply = post_rule(&server, &rule).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{rule}");
        let body = reply.json();
        assert_eq!(body["errorCode"], "INVALID_FAULT", "{rule}");
        let message = body["message"].as_str().unwrap();
        assert!(message.contains(expected), "{rule}: {message}");
    }
    let not_json = server
        .client
        .post(server.url("/_bulkforce/faults"))
        .bearer_auth(server.token())
        .body("{kind:")
        .send()
        .await
        .unwrap();
    assert_eq!(not_json.status(), StatusCode::BAD_REQUEST);
    let body: Value = not_json.json().await.unwrap();
    assert_eq!(body["errorCode"], "INVALID_FAULT");
    assert!(listed(&server).await.is_empty(), "nothing was added");
}

#[tokio::test]
async fn a_faults_file_loads_its_rules_at_start() {
    let dir = tempfile::TempDir::new().unwrap();
    let file = dir.path().join("faults.json");
    let rules = json!([
        {"kind": "http", "path": UPLOAD_PATH, "status": 503, "times": 1},
        {"kind": "row", "object": "Account"}
    ]);
    std::fs::write(&file, rules.to_string()).unwrap();
    let server = start_with(|c| c.faults_file = Some(file.clone())).await;
    let listed = listed(&server).await;
    let ids: Vec<&str> = listed.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["f1", "f2"]);
    assert_eq!(listed[1]["rule"], rules[1]);
    let id = server
        .create_id(&json!({"object": "Account", "operation": "insert"}))
        .await;
    let reply = server.upload(&id, accounts_csv("f", 1)).await;
    reply.assert_error(
        503,
        "SERVER_UNAVAILABLE",
        "Server unavailable (bulkforce fault f1)",
    );
}

#[tokio::test]
async fn a_bad_faults_file_refuses_the_start_naming_the_file_and_the_rule() {
    let dir = tempfile::TempDir::new().unwrap();
    let file = dir.path().join("faults.json");
    std::fs::write(
        &file,
        json!([{"kind": "limit", "remaining": 1}, {"kind": "http", "status": 503}]).to_string(),
    )
    .unwrap();
    let data = tempfile::TempDir::new().unwrap();
    let config = bulkforce_server::ServerConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        data_dir: data.path().to_path_buf(),
        faults_file: Some(file.clone()),
        ..Default::default()
    };
    let error = match bulkforce_server::start(config).await {
        Ok(_) => panic!("a bad faults file must refuse the start"),
        Err(e) => format!("{e:#}"),
    };
    assert!(error.contains(&file.display().to_string()), "{error}");
    assert!(error.contains("rule 2"), "{error}");
    assert!(error.contains("needs `path`"), "{error}");

    std::fs::write(&file, "{not json").unwrap();
    let config = bulkforce_server::ServerConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        data_dir: data.path().to_path_buf(),
        faults_file: Some(file.clone()),
        ..Default::default()
    };
    let error = format!("{:#}", bulkforce_server::start(config).await.err().unwrap());
    assert!(error.contains("not a JSON array of rules"), "{error}");
}

/// A server whose ingest jobs commit every 10 rows, 40 ms apart, so that a test can hold one part-way.
async fn slow_server() -> Server {
    start_with(|c| {
        c.chunk_rows = 10;
        c.chunk_delay_ms = 40;
    })
    .await
}

/// Polls, with a deadline, until `done` holds for the job's Salesforce info; that info.
async fn poll_job(server: &Server, id: &str, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let info = server.info(id).await;
        if done(&info) {
            return info;
        }
        assert!(
            Instant::now() < deadline,
            "job {id} never got there: {info}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// `POST /_bulkforce/jobs/{id}/{action}` (hold or release) → 200.
async fn job_control(server: &Server, id: &str, action: &str) {
    let path = format!("/_bulkforce/jobs/{id}/{action}");
    let reply = server
        .control(Method::POST, &path, Some(server.token()))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{path}: {}", reply.text());
}

/// Holds the InProgress job and waits until its worker has given it up: its processed count stays put
/// across several chunk delays. That count.
async fn hold_until_stopped(server: &Server, id: &str) -> u64 {
    job_control(server, id, "hold").await;
    let (mut last, mut unchanged) = (u64::MAX, 0);
    let deadline = Instant::now() + Duration::from_secs(30);
    while unchanged < 8 {
        assert!(Instant::now() < deadline, "held job {id} never stopped");
        tokio::time::sleep(Duration::from_millis(50)).await;
        let processed = server.info(id).await["numberRecordsProcessed"]
            .as_u64()
            .unwrap();
        unchanged = if processed == last { unchanged + 1 } else { 0 };
        last = processed;
    }
    last
}

/// An Account insert job of `rows` rows named `Row 0`, `Row 1`, …, closed; its id once it has processed
/// some rows.
async fn running_job(server: &Server, rows: usize) -> String {
    let id = server
        .create_id(&json!({"object": "Account", "operation": "insert"}))
        .await;
    let mut csv = String::from("Name\n");
    for n in 0..rows {
        csv.push_str(&format!("Row {n}\n"));
    }
    server.upload_ok(&id, csv).await;
    server.close(&id).await;
    poll_job(server, &id, |info| info["numberRecordsProcessed"] != 0).await;
    id
}

/// The hits of rule `id`, from the listing.
async fn hits_of(server: &Server, id: &str) -> u64 {
    let rules = listed(server).await;
    let rule = rules
        .iter()
        .find(|r| r["id"] == id)
        .expect("the rule is listed");
    rule["hits"].as_u64().unwrap()
}

#[tokio::test]
async fn a_job_fault_is_decided_once_per_job_and_holds_across_a_resume() {
    let server = slow_server().await;
    // With `times: 1` the rule has expired by the resume; without `times` it would hit again: either way
    // the job fails once, after exactly afterRows rows from its start.
    for times in [Some(1), None] {
        let mut rule = json!({"kind": "job", "object": "Account", "afterRows": 200,
                              "message": "InvalidBatch : injected"});
        if let Some(times) = times {
            rule["times"] = json!(times);
        }
        let fault = add(&server, rule).await;
        let id = running_job(&server, 300).await;
        let held_at = hold_until_stopped(&server, &id).await;
        assert!(held_at < 200, "held before afterRows: {held_at}");
        assert_eq!(hits_of(&server, &fault).await, 1);
        job_control(&server, &id, "release").await;
        let info = server.wait(&id).await;
        assert_eq!(info["state"], "Failed", "{info}");
        assert_eq!(info["errorMessage"], "InvalidBatch : injected");
        assert_eq!(info["numberRecordsProcessed"], 200);
        let successful = parse_csv(&server.results(&id).await.successful, b',');
        assert_eq!(successful.len(), 1 + 200);
        assert_eq!(hits_of(&server, &fault).await, 1, "one hit for one job");
        let deleted = server
            .control(
                Method::DELETE,
                &format!("/_bulkforce/faults/{fault}"),
                Some(server.token()),
            )
            .await;
        assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    }
    assert_eq!(server.count("Account", false).await, 2 * 200);
}

#[tokio::test]
async fn row_hits_count_only_rows_whose_failure_is_committed() {
    let server = slow_server().await;
    let id = running_job(&server, 300).await;
    // Hold, then add the rule at once: the reader, ahead of the commit, tries it on rows that the worker
    // drops as it gives the job up. Those rows are tried again when it resumes.
    job_control(&server, &id, "hold").await;
    add(
        &server,
        json!({"kind": "row", "object": "Account", "errorCode": "UNABLE_TO_LOCK_ROW",
               "message": "locked", "times": 5}),
    )
    .await;
    let held_at = hold_until_stopped(&server, &id).await;
    assert!(held_at < 300, "stopped part-way: {held_at}");
    let info = server.info(&id).await;
    let rules = listed(&server).await;
    assert_eq!(
        rules[0]["hits"], info["numberRecordsFailed"],
        "while held, hits are the committed failures: {rules:?} {info}"
    );
    job_control(&server, &id, "release").await;
    let info = server.wait(&id).await;
    assert_eq!(info["state"], "JobComplete", "{info}");
    assert_eq!(info["numberRecordsProcessed"], 300);
    assert_eq!(info["numberRecordsFailed"], 5, "{info}");
    let failed = parse_csv(&server.results(&id).await.failed, b',');
    assert_eq!(failed.len(), 1 + 5);
    assert!(
        failed[1..]
            .iter()
            .all(|row| row[1] == "UNABLE_TO_LOCK_ROW:locked:--")
    );
    assert_eq!(
        listed(&server).await[0],
        json!({"id": "f1", "rule": {"kind": "row", "object": "Account",
               "errorCode": "UNABLE_TO_LOCK_ROW", "message": "locked", "times": 5},
               "hits": 5, "remaining": 0})
    );
    assert_eq!(server.count("Account", false).await, 295);
}
