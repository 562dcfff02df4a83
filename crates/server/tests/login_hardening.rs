//! Logins and tokens under hostile input, over real HTTP (issue 14): lockout after wrong passwords, the
//! same time for unknown users, Host headers that try to inject XML, the Authorization schemes and where
//! `oauth_token` is accepted, and duplicate keys in a JSON body.

mod common;

use bulkforce_store::{LockoutPolicy, Principal, Store};
use common::{Server, start, start_with};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::{Duration, Instant};

const PASSWORD: &str = "correct horse";

/// A second org with `ann@acme.test` (a password) and a connected app: its client id and secret.
async fn tenant(server: &Server) -> (Principal, String, String) {
    let store: Arc<dyn Store> = server.running.state.store.clone();
    tokio::task::spawn_blocking(move || {
        let ann = store
            .create_org("acme", "ann@acme.test", Some(PASSWORD))
            .unwrap();
        let (app, secret) = store.create_app(ann.org_id, "cli", None).unwrap();
        (ann, app.client_id, secret)
    })
    .await
    .unwrap()
}

fn envelope(username: &str, password: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?><env:Envelope xmlns:env="http://schemas.xmlsoap.org/soap/envelope/"><env:Body><n1:login xmlns:n1="urn:partner.soap.sforce.com"><n1:username>{username}</n1:username><n1:password>{password}</n1:password></n1:login></env:Body></env:Envelope>"#
    )
}

async fn soap_login(
    server: &Server,
    username: &str,
    password: &str,
    host: Option<&str>,
) -> (u16, String) {
    let mut request = server
        .client
        .post(server.url("/services/Soap/u/62.0"))
        .header("Content-Type", "text/xml; charset=UTF-8")
        .header("SOAPAction", "login")
        .body(envelope(username, password));
    if let Some(host) = host {
        request = request.header("Host", host);
    }
    let response = request.send().await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

async fn password_grant(
    server: &Server,
    client: &(String, String),
    username: &str,
    password: &str,
    host: Option<&str>,
) -> (u16, Value) {
    let mut request = server
        .client
        .post(server.url("/services/oauth2/token"))
        .form(&[
            ("grant_type", "password"),
            ("client_id", client.0.as_str()),
            ("client_secret", client.1.as_str()),
            ("username", username),
            ("password", password),
        ]);
    if let Some(host) = host {
        request = request.header("Host", host);
    }
    let response = request.send().await.unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

fn authentication_failure() -> Value {
    json!({"error": "invalid_grant", "error_description": "authentication failure"})
}

const INVALID_LOGIN: &str = "<faultstring>INVALID_LOGIN: Invalid username, password, security token; or user locked out.</faultstring>";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_passwords_lock_the_user_out_with_the_usual_answers() {
    let server = start_with(|c| {
        c.lockout = LockoutPolicy {
            attempts: 3,
            duration: Some(Duration::from_secs(15 * 60)),
        }
    })
    .await;
    let (ann, client_id, secret) = tenant(&server).await;
    let client = (client_id, secret);

    // Two wrong, then right: the count restarts.
    for _ in 0..2 {
        let (status, body) = password_grant(&server, &client, "ann@acme.test", "wrong", None).await;
        assert_eq!((status, body), (400, authentication_failure()));
    }
    let (status, body) = password_grant(&server, &client, "ann@acme.test", PASSWORD, None).await;
    assert_eq!(status, 200, "{body}");

    // Three wrong in a row (OAuth and SOAP count together) lock: the right password gets the same
    // answers as a wrong one, on both APIs.
    password_grant(&server, &client, "ann@acme.test", "wrong", None).await;
    password_grant(&server, &client, "ann@acme.test", "wrong", None).await;
    let (status, fault) = soap_login(&server, "ann@acme.test", "wrong", None).await;
    assert_eq!(status, 500);
    assert!(fault.contains(INVALID_LOGIN), "{fault}");
    let (status, body) = password_grant(&server, &client, "ann@acme.test", PASSWORD, None).await;
    assert_eq!((status, body), (400, authentication_failure()));
    let (status, fault) = soap_login(&server, "ann@acme.test", PASSWORD, None).await;
    assert_eq!(status, 500);
    assert!(fault.contains(INVALID_LOGIN), "{fault}");

    // Unlocked (as `bulkforce admin unlock` does), the right password works again.
    let store = server.running.state.store.clone();
    let username = ann.username.clone();
    assert!(
        tokio::task::spawn_blocking(move || store.unlock_user(&username))
            .await
            .unwrap()
            .unwrap()
    );
    let (status, body) = soap_login(&server, "ann@acme.test", PASSWORD, None).await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_grant_through_another_orgs_app_restarts_no_count() {
    let server = start_with(|c| {
        c.lockout = LockoutPolicy {
            attempts: 3,
            duration: Some(Duration::from_secs(15 * 60)),
        }
    })
    .await;
    tenant(&server).await;
    let store: Arc<dyn Store> = server.running.state.store.clone();
    let other_app = tokio::task::spawn_blocking(move || {
        let admin = store.ensure_default_org().unwrap();
        let (app, secret) = store.create_app(admin.org_id, "other", None).unwrap();
        (app.client_id, secret)
    })
    .await
    .unwrap();

    // Two wrong; the right password through the default org's app is refused and restarts nothing,
    // so the third wrong one locks.
    for _ in 0..2 {
        soap_login(&server, "ann@acme.test", "wrong", None).await;
    }
    let (status, body) = password_grant(&server, &other_app, "ann@acme.test", PASSWORD, None).await;
    assert_eq!((status, body), (400, authentication_failure()));
    soap_login(&server, "ann@acme.test", "wrong", None).await;
    let (status, fault) = soap_login(&server, "ann@acme.test", PASSWORD, None).await;
    assert_eq!(status, 500, "locked out");
    assert!(fault.contains(INVALID_LOGIN), "{fault}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_user_takes_as_long_to_refuse_as_a_wrong_password() {
    let server = start_with(|c| c.lockout = LockoutPolicy::NEVER).await;
    tenant(&server).await;
    let median = |mut times: Vec<Duration>| {
        times.sort();
        times[times.len() / 2]
    };
    let (mut known, mut unknown) = (Vec::new(), Vec::new());
    for i in 0..7 {
        let started = Instant::now();
        let (status, _) = soap_login(&server, "ann@acme.test", "wrong", None).await;
        known.push(started.elapsed());
        assert_eq!(status, 500);
        let started = Instant::now();
        let (status, _) = soap_login(&server, &format!("nobody{i}@acme.test"), "wrong", None).await;
        unknown.push(started.elapsed());
        assert_eq!(status, 500);
    }
    let (known, unknown) = (median(known), median(unknown));
    assert!(
        unknown * 2 > known && known * 2 > unknown,
        "a wrong password took {known:?}, an unknown user {unknown:?}"
    );
}

/// Text between `<name>` and the next `<`.
fn tag<'a>(xml: &'a str, name: &str) -> &'a str {
    let start = xml
        .find(&format!("<{name}>"))
        .unwrap_or_else(|| panic!("no <{name}> in {xml}"))
        + name.len()
        + 2;
    &xml[start..start + xml[start..].find('<').unwrap()]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hostile_host_header_never_reaches_a_url() {
    let server = start().await;
    let (_, client_id, secret) = tenant(&server).await;
    let client = (client_id, secret);
    let evil = "evil.test</serverUrl><sessionId>forged</sessionId><serverUrl>x";
    let (status, xml) = soap_login(&server, "ann@acme.test", PASSWORD, Some(evil)).await;
    assert_eq!(status, 200, "{xml}");
    assert!(!xml.contains("forged") && !xml.contains("evil"), "{xml}");
    assert_eq!(xml.matches("<sessionId>").count(), 1);
    assert!(
        tag(&xml, "serverUrl").starts_with("http://127.0.0.1:"),
        "{xml}"
    );

    let (status, body) = password_grant(
        &server,
        &client,
        "ann@acme.test",
        PASSWORD,
        Some("evil.test/path?x"),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(!body.to_string().contains("evil"), "{body}");

    // A plain host[:port] Host header is still used (clients reaching the server by a name).
    let (_, body) = password_grant(
        &server,
        &client,
        "ann@acme.test",
        PASSWORD,
        Some("bulk.internal:8443"),
    )
    .await;
    assert_eq!(body["instance_url"], "http://bulk.internal:8443");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_public_url_is_what_the_server_calls_itself() {
    let server = start_with(|c| c.public_url = Some("https://bulk.example.com".into())).await;
    let (ann, client_id, secret) = tenant(&server).await;
    let client = (client_id, secret);
    let (status, body) = password_grant(
        &server,
        &client,
        "ann@acme.test",
        PASSWORD,
        Some("other.test"),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["instance_url"], "https://bulk.example.com");
    assert_eq!(
        body["id"],
        format!("https://bulk.example.com/id/{}/{}", ann.org_id, ann.user_id)
    );
    let (_, xml) = soap_login(&server, "ann@acme.test", PASSWORD, Some("other.test")).await;
    assert_eq!(
        tag(&xml, "serverUrl"),
        format!(
            "https://bulk.example.com/services/Soap/u/62.0/{}",
            &ann.org_id.as_str()[..15]
        )
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authorization_schemes_and_where_oauth_token_is_accepted() {
    let server = start().await;
    let token = server.token().to_owned();
    let jobs = server.api("/jobs/ingest");
    for (header, expected) in [
        (format!("Bearer {token}"), 200),
        (format!("bearer {token}"), 200),
        (format!("BEARER  {token}"), 200),
        (format!("OAuth {token}"), 200),
        (format!("oauth {token}"), 200),
        (format!("Basic {token}"), 401),
        (token.clone(), 401),
        ("Bearer ".to_owned(), 401),
    ] {
        let status = server
            .client
            .get(&jobs)
            .header("Authorization", &header)
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status.as_u16(), expected, "{header}");
    }

    // oauth_token in the query string: refused on data endpoints, accepted on the identity URL.
    let status = server
        .client
        .get(format!("{jobs}?oauth_token={token}"))
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status.as_u16(), 401);
    let me = &server.running.principal;
    let identity = server.url(&format!("/id/{}/{}", me.org_id, me.user_id));
    let response = server
        .client
        .get(format!("{identity}?oauth_token={token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["user_id"], me.user_id.as_str());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_given_twice_in_a_job_body_is_a_parser_error() {
    let server = start().await;
    let response = server
        .client
        .post(server.api("/jobs/ingest"))
        .bearer_auth(server.token())
        .header("Content-Type", "application/json")
        .body(r#"{"object":"Account","operation":"insert","object":"Contact"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body[0]["errorCode"], "JSON_PARSER_ERROR", "{body}");
    let message = body[0]["message"].as_str().unwrap();
    assert!(
        message.starts_with("Duplicate field 'object' at [line:1, column:"),
        "{message}"
    );
}
