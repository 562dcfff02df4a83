//! The reset controls over real HTTP: `POST /_bulkforce/reset` and `POST /_bulkforce/orgs/{orgId}/reset`
//! refuse callers without the control credential; a reset takes records, jobs, results and query
//! cursors away while tokens, users, apps and logins keep working; an org's reset leaves the other orgs
//! alone; and a reset in the middle of a job stops its worker cleanly while the server goes on serving.

mod common;

use bulkforce_store::{Principal, Store};
use common::{Server, id_of, start, start_with};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::sync::Arc;

const CONTROL_TOKEN: &str = "control-token-for-reset-tests";
const TENANT_PASSWORD: &str = "Tenant-Pa55word";
const ACCOUNT_INSERT: &str = r#"{"object":"Account","operation":"insert"}"#;

/// An Account CSV of `rows` rows named `{prefix} 0`, `{prefix} 1`, ….
fn accounts(prefix: &str, rows: usize) -> String {
    let mut csv = String::from("Name\n");
    for n in 0..rows {
        csv.push_str(&format!("{prefix} {n}\n"));
    }
    csv
}

async fn start_controlled() -> Server {
    start_with(|c| c.control_token = Some(CONTROL_TOKEN.into())).await
}

/// `POST path` with `token` as the bearer (none when `None`).
async fn post(server: &Server, path: &str, token: Option<&str>) -> common::Reply {
    server.control(Method::POST, path, token).await
}

/// A REST query's JSON with `token`.
async fn query_with(server: &Server, token: &str, soql: &str) -> Value {
    let response = server
        .client
        .get(server.api("/query"))
        .query(&[("q", soql)])
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

async fn account_total(server: &Server, token: &str) -> u64 {
    query_with(server, token, "SELECT COUNT() FROM Account").await["totalSize"]
        .as_u64()
        .expect("a count")
}

/// The ingest jobs a bulk job listing shows to `token`.
async fn ingest_jobs(server: &Server, token: &str) -> Vec<String> {
    let response = server
        .client
        .get(server.api("/jobs/ingest"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    body["records"]
        .as_array()
        .expect("records")
        .iter()
        .map(id_of)
        .collect()
}

/// A second org whose admin has a password and a connected app; its access token from a password login.
struct Tenant {
    principal: Principal,
    client_id: String,
    client_secret: String,
}

async fn tenant(server: &Server) -> Tenant {
    let store: Arc<dyn Store> = server.running.state.store.clone();
    tokio::task::spawn_blocking(move || {
        let principal = store
            .create_org("tenant", "tess@tenant.test", Some(TENANT_PASSWORD))
            .unwrap();
        let (app, secret) = store.create_app(principal.org_id, "ci", None).unwrap();
        Tenant {
            principal,
            client_id: app.client_id,
            client_secret: secret,
        }
    })
    .await
    .unwrap()
}

/// A password login of the tenant's admin; the access token.
async fn login(server: &Server, tenant: &Tenant) -> String {
    let response = server
        .client
        .post(server.url("/services/oauth2/token"))
        .form(&[
            ("grant_type", "password"),
            ("client_id", tenant.client_id.as_str()),
            ("client_secret", tenant.client_secret.as_str()),
            ("username", "tess@tenant.test"),
            ("password", TENANT_PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK, "the tenant logs in");
    let body: Value = response.json().await.unwrap();
    body["access_token"].as_str().expect("a token").to_owned()
}

/// Runs an Account insert job of `rows` rows with `token` to JobComplete; its id.
async fn load_with(server: &Server, token: &str, prefix: &str, rows: usize) -> String {
    let send = |method: Method, url: String| server.client.request(method, url).bearer_auth(token);
    let created: Value = send(Method::POST, server.api("/jobs/ingest"))
        .header("Content-Type", "application/json")
        .body(ACCOUNT_INSERT)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = id_of(&created);
    let uploaded = send(
        Method::PUT,
        server.api(&format!("/jobs/ingest/{id}/batches")),
    )
    .header("Content-Type", "text/csv")
    .body(accounts(prefix, rows))
    .send()
    .await
    .unwrap();
    assert_eq!(uploaded.status(), StatusCode::CREATED);
    let closed = send(Method::PATCH, server.job_url(&id))
        .header("Content-Type", "application/json")
        .body(json!({"state": "UploadComplete"}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(closed.status(), StatusCode::OK);
    for _ in 0..400 {
        let info: Value = send(Method::GET, server.job_url(&id))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if info["state"] == "JobComplete" {
            assert_eq!(info["numberRecordsProcessed"], rows);
            return id;
        }
        assert!(
            info["state"] != "Failed" && info["state"] != "Aborted",
            "{info}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("job {id} did not complete");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reset_needs_the_control_credential() {
    let server = start_controlled().await;
    let token = server.token().to_owned();
    load_with(&server, &token, "Kept", 3).await;
    let org = server.org();
    for path in [
        "/_bulkforce/reset".to_owned(),
        format!("/_bulkforce/orgs/{org}/reset"),
    ] {
        for credential in [None, Some("not-the-token")] {
            let reply = post(&server, &path, credential).await;
            assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{path}");
            assert_eq!(reply.json()["errorCode"], "UNAUTHORIZED");
        }
    }
    assert_eq!(account_total(&server, &token).await, 3, "nothing was reset");
    let reply = server
        .control(Method::GET, "/_bulkforce/reset", Some(CONTROL_TOKEN))
        .await;
    assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(reply.header("allow").as_deref(), Some("POST"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reset_takes_records_jobs_and_cursors_but_keeps_tokens_and_logins() {
    let server = start_controlled().await;
    let token = server.token().to_owned();
    let tenant = tenant(&server).await;
    let tenant_token = login(&server, &tenant).await;
    // More rows than one REST page, so the query hands out a cursor.
    let job = load_with(&server, &token, "Before", 2_050).await;
    load_with(&server, &tenant_token, "Theirs", 4).await;
    let page = query_with(&server, &token, "SELECT Id FROM Account").await;
    let next = page["nextRecordsUrl"]
        .as_str()
        .expect("a cursor")
        .to_owned();

    let reply = post(&server, "/_bulkforce/reset", Some(CONTROL_TOKEN)).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT, "{}", reply.text());
    assert!(reply.body.is_empty());

    // The same token works, and sees nothing left.
    assert_eq!(account_total(&server, &token).await, 0);
    assert!(ingest_jobs(&server, &token).await.is_empty());
    let gone = server.get(&server.job_url(&job)).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND, "{}", gone.text());
    let cursor = server.get(&server.url(&next)).await;
    assert_eq!(cursor.status, StatusCode::BAD_REQUEST, "{}", cursor.text());
    assert!(cursor.text().contains("INVALID_QUERY_LOCATOR"));

    // Every org was reset; its user logs in again with the same app, and its old token still works.
    assert_eq!(account_total(&server, &tenant_token).await, 0);
    let again = login(&server, &tenant).await;
    assert_eq!(account_total(&server, &again).await, 0);
    let users = query_with(&server, &again, "SELECT Username FROM User").await;
    assert_eq!(users["records"][0]["Username"], "tess@tenant.test");

    // And the org goes on working.
    load_with(&server, &token, "After", 2).await;
    assert_eq!(account_total(&server, &token).await, 2);
    assert_eq!(tenant.principal.username, "tess@tenant.test");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_org_reset_leaves_the_other_orgs_alone() {
    let server = start().await;
    let token = server.token().to_owned();
    let tenant = tenant(&server).await;
    let tenant_token = login(&server, &tenant).await;
    let ours = load_with(&server, &token, "Ours", 5).await;
    load_with(&server, &tenant_token, "Theirs", 3).await;

    // The org as a 15-character id, as Salesforce shows it too.
    let org = tenant.principal.org_id;
    let path = format!("/_bulkforce/orgs/{}/reset", &org.as_str()[..15]);
    let reply = post(&server, &path, Some(&token)).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT, "{}", reply.text());
    assert_eq!(account_total(&server, &tenant_token).await, 0);
    assert!(ingest_jobs(&server, &tenant_token).await.is_empty());
    assert_eq!(account_total(&server, &token).await, 5);
    assert_eq!(ingest_jobs(&server, &token).await, vec![ours]);

    let unknown = format!("/_bulkforce/orgs/{}/reset", "00D000000000999AAA");
    for path in [unknown.as_str(), "/_bulkforce/orgs/not-an-org/reset"] {
        let reply = post(&server, path, Some(&token)).await;
        assert_eq!(
            reply.status,
            StatusCode::NOT_FOUND,
            "{path}: {}",
            reply.text()
        );
        assert_eq!(reply.json()["errorCode"], "NOT_FOUND");
    }
    let default_org = format!("/_bulkforce/orgs/{}/reset", server.org());
    let reply = post(&server, &default_org, Some(&token)).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    assert_eq!(account_total(&server, &token).await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reset_while_a_job_runs_stops_its_worker_cleanly() {
    // One worker: the next job can only run once the worker has let go of the one that was reset.
    let server = start_with(|c| {
        c.workers = 1;
        c.chunk_rows = 5;
        c.chunk_delay_ms = 50;
    })
    .await;
    let id = server
        .create_id(&serde_json::from_str(ACCOUNT_INSERT).unwrap())
        .await;
    server.upload_ok(&id, accounts("Running", 400)).await;
    server.close(&id).await;
    server.wait_for_state(&id, "InProgress").await;

    let reply = post(&server, "/_bulkforce/reset", Some(server.token())).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT, "{}", reply.text());
    let gone = server.get(&server.job_url(&id)).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);

    let token = server.token().to_owned();
    load_with(&server, &token, "Next", 12).await;
    assert_eq!(
        account_total(&server, &token).await,
        12,
        "nothing of the reset job was applied after the reset"
    );
    let health = server.control(Method::GET, "/_bulkforce/ready", None).await;
    assert_eq!(health.status, StatusCode::OK, "{}", health.text());
}

/// The API calls the org used so far: `(DailyApiRequests used per /limits, used per Sforce-Limit-Info)`,
/// both from one `GET /limits` (which counts itself).
async fn api_usage(server: &Server) -> (u64, u64) {
    let reply = server.get(&server.api("/limits")).await;
    assert_eq!(reply.status, StatusCode::OK);
    let daily = &reply.json()["DailyApiRequests"];
    let used_by_limits = daily["Max"].as_u64().unwrap() - daily["Remaining"].as_u64().unwrap();
    let header = reply
        .header("sforce-limit-info")
        .expect("Sforce-Limit-Info");
    let used_by_header = header
        .strip_prefix("api-usage=")
        .and_then(|rest| rest.split_once('/'))
        .and_then(|(used, _)| used.parse().ok())
        .unwrap_or_else(|| panic!("malformed Sforce-Limit-Info: {header}"));
    (used_by_limits, used_by_header)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reset_starts_the_api_counters_again_from_zero() {
    let server = start_controlled().await;
    let token = server.token().to_owned();
    load_with(&server, &token, "Counted", 3).await;
    for _ in 0..40 {
        assert_eq!(
            server.get(&server.api("/limits")).await.status,
            StatusCode::OK
        );
    }
    let (before, header_before) = api_usage(&server).await;
    assert!(before >= 45, "the calls above were counted: {before}");
    assert!(
        header_before >= 45,
        "the header counts them too: {header_before}"
    );

    assert_eq!(
        post(&server, "/_bulkforce/reset", Some(CONTROL_TOKEN))
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    // The first call after the reset counts itself (and the control call is not an API call): near zero.
    let (after, header_after) = api_usage(&server).await;
    assert!(
        after <= 2,
        "/limits after the reset: {after} used (was {before})"
    );
    assert!(
        header_after <= 2,
        "Sforce-Limit-Info after the reset: {header_after} used (was {header_before})"
    );

    // One org's reset clears that org's counters too.
    for _ in 0..10 {
        server.get(&server.api("/limits")).await;
    }
    assert!(api_usage(&server).await.0 >= 10);
    let org = server.org();
    assert_eq!(
        post(
            &server,
            &format!("/_bulkforce/orgs/{org}/reset"),
            Some(CONTROL_TOKEN)
        )
        .await
        .status,
        StatusCode::NO_CONTENT
    );
    let (after, header_after) = api_usage(&server).await;
    assert!(after <= 2 && header_after <= 2, "{after}, {header_after}");
}
