//! The control surface's doors: health, readiness and metrics open to all; every other control only with
//! the default org admin's token or the `--control-token`, and a JSON 401 otherwise.

mod common;

use common::{Server, start, start_with};
use reqwest::{Method, StatusCode};

const CONTROL: &str = "/_bulkforce/requests";

async fn assert_refused(server: &Server, token: Option<&str>) {
    let reply = server.control(Method::GET, CONTROL, token).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "token {token:?}");
    assert_eq!(reply.json()["errorCode"], "UNAUTHORIZED");
    assert_eq!(reply.header("www-authenticate").as_deref(), Some("Bearer"));
}

#[tokio::test]
async fn health_readiness_and_metrics_need_no_token() {
    let server = start().await;
    let health = server
        .control(Method::GET, "/_bulkforce/health", None)
        .await;
    assert_eq!(health.status, StatusCode::OK);
    assert_eq!(
        health.json(),
        serde_json::json!({"status": "UP", "version": env!("CARGO_PKG_VERSION")})
    );
    let ready = server.control(Method::GET, "/_bulkforce/ready", None).await;
    assert_eq!(ready.status, StatusCode::OK, "{}", ready.text());
    assert_eq!(
        ready.json(),
        serde_json::json!({"status": "READY", "checks": {"store": "UP", "blobs": "UP", "workers": "UP"}})
    );
    let metrics = server.control(Method::GET, "/metrics", None).await;
    assert_eq!(metrics.status, StatusCode::OK);
    assert!(
        metrics
            .header("content-type")
            .is_some_and(|t| t.starts_with("application/openmetrics-text")),
        "{:?}",
        metrics.header("content-type")
    );
    assert!(metrics.text().ends_with("# EOF\n"), "{}", metrics.text());
}

#[tokio::test]
async fn a_broken_blob_store_makes_the_server_not_ready() {
    if common::sqlite_only("the blob store broken here is the data dir's blobs folder") {
        return;
    }
    let server = start().await;
    let blobs = server.running.state.config.data_dir.join("blobs");
    std::fs::remove_dir_all(&blobs).unwrap();
    std::fs::write(&blobs, "not a directory").unwrap();
    let ready = server.control(Method::GET, "/_bulkforce/ready", None).await;
    assert_eq!(ready.status, StatusCode::SERVICE_UNAVAILABLE);
    let body = ready.json();
    assert_eq!(body["status"], "NOT_READY");
    assert_eq!(body["checks"]["blobs"], "DOWN");
    assert_eq!(body["checks"]["store"], "UP");
    assert!(
        !ready.text().contains(&*blobs.to_string_lossy()),
        "no path in the answer: {}",
        ready.text()
    );
}

#[tokio::test]
async fn controls_refuse_missing_wrong_and_non_admin_tokens() {
    let server = start().await;
    assert_refused(&server, None).await;
    assert_refused(&server, Some("wrong")).await;
    let almost = format!("{}x", server.token());
    assert_refused(&server, Some(&almost)).await;
    // A token of another user of the default org is a Salesforce session, not a control credential.
    let store = server.running.state.store.clone();
    let org = server.org();
    let user = tokio::task::spawn_blocking(move || {
        let user = store
            .create_user(org, "someone@example.test", None, "One", "Some")
            .unwrap();
        store.register_token(&user, "user-token").unwrap();
        user
    })
    .await
    .unwrap();
    assert_eq!(user.org_id, org);
    let api = server
        .client
        .get(server.api("/jobs/ingest"))
        .bearer_auth("user-token")
        .send()
        .await
        .unwrap();
    assert_eq!(
        api.status(),
        StatusCode::OK,
        "the user token works on the API"
    );
    assert_refused(&server, Some("user-token")).await;
    // A Basic credential holding the admin token is not a bearer token.
    let basic = server
        .client
        .get(server.url(CONTROL))
        .header("Authorization", format!("Basic {}", server.token()))
        .send()
        .await
        .unwrap();
    assert_eq!(basic.status(), StatusCode::UNAUTHORIZED);
    // Unknown controls are refused before they are looked up.
    let unknown = server
        .control(Method::GET, "/_bulkforce/nothing", None)
        .await;
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);

    let admin = server
        .control(Method::GET, CONTROL, Some(server.token()))
        .await;
    assert_eq!(admin.status, StatusCode::OK, "{}", admin.text());
    let unknown = server
        .control(Method::GET, "/_bulkforce/nothing", Some(server.token()))
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(unknown.json()["errorCode"], "NOT_FOUND");
    let post = server
        .control(Method::POST, CONTROL, Some(server.token()))
        .await;
    assert_eq!(post.status, StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn the_control_token_and_the_access_token_open_the_controls() {
    let server = start_with(|c| {
        c.control_token = Some("ctl-secret".into());
        c.access_token = Some("flag-token".into());
    })
    .await;
    for token in ["ctl-secret", "flag-token"] {
        let reply = server.control(Method::GET, CONTROL, Some(token)).await;
        assert_eq!(reply.status, StatusCode::OK, "{token}: {}", reply.text());
        assert!(reply.json()["requests"].is_array());
    }
    assert_refused(&server, Some("ctl-secretx")).await;
    // The control token is no Salesforce session.
    let api = server
        .client
        .get(server.api("/jobs/ingest"))
        .bearer_auth("ctl-secret")
        .send()
        .await
        .unwrap();
    assert_eq!(api.status(), StatusCode::UNAUTHORIZED);
}
