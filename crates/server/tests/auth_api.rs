//! Logins and orgs over real HTTP: every OAuth grant and its failures, SOAP login, userinfo and identity,
//! token expiry and revocation, org isolation, API limits, and HTTPS.

mod common;

use bulkforce_store::{Principal, Store, TokenKind};
use common::{Server, V, start, start_with};
use serde_json::{Value, json};
use std::sync::Arc;

struct Tenant {
    principal: Principal,
    client_id: String,
    client_secret: String,
}

const PASSWORD: &str = "correct horse";

/// A second org with a user who has a password and a connected app (with `certificate`, if given).
async fn tenant(server: &Server, certificate: Option<String>) -> Tenant {
    let store: Arc<dyn Store> = server.running.state.store.clone();
    tokio::task::spawn_blocking(move || {
        let principal = store
            .create_org("acme", "ann@acme.test", Some(PASSWORD))
            .unwrap();
        let (app, secret) = store
            .create_app(principal.org_id, "cli", certificate.as_deref())
            .unwrap();
        Tenant {
            principal,
            client_id: app.client_id,
            client_secret: secret,
        }
    })
    .await
    .unwrap()
}

async fn token_request(server: &Server, form: &[(&str, &str)]) -> (u16, Value) {
    let response = server
        .client
        .post(server.url("/services/oauth2/token"))
        .form(form)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

async fn oauth_error(server: &Server, form: &[(&str, &str)], error: &str, description: &str) {
    let (status, body) = token_request(server, form).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        body,
        json!({"error": error, "error_description": description})
    );
}

/// A bulk call with `token`: the status of listing ingest jobs.
async fn bulk_status(server: &Server, token: &str) -> u16 {
    server
        .client
        .get(server.api("/jobs/ingest"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_password_grant_issues_a_salesforce_token_response() {
    let server = start().await;
    let t = tenant(&server, None).await;
    let (status, body) = token_request(
        &server,
        &[
            ("grant_type", "password"),
            ("client_id", &t.client_id),
            ("client_secret", &t.client_secret),
            ("username", "ann@acme.test"),
            ("password", PASSWORD),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let keys: Vec<&str> = body
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "access_token",
            "instance_url",
            "id",
            "token_type",
            "issued_at",
            "signature",
            "scope"
        ]
    );
    let token = body["access_token"].as_str().unwrap();
    assert!(
        token.starts_with(&format!("{}!", &t.principal.org_id.as_str()[..15])),
        "{token}"
    );
    assert_eq!(body["instance_url"], server.url(""));
    assert_eq!(
        body["id"],
        server.url(&format!(
            "/id/{}/{}",
            t.principal.org_id, t.principal.user_id
        ))
    );
    assert_eq!(body["token_type"], "Bearer");
    assert!(body["issued_at"].as_str().unwrap().parse::<u64>().is_ok());
    assert_eq!(bulk_status(&server, token).await, 200);

    // The identity URL and userinfo answer for the token's user.
    let identity = server
        .client
        .get(body["id"].as_str().unwrap())
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let identity: Value = identity.json().await.unwrap();
    assert_eq!(identity["username"], "ann@acme.test");
    assert_eq!(identity["organization_id"], t.principal.org_id.as_str());
    let userinfo: Value = server
        .client
        .get(server.url("/services/oauth2/userinfo"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(userinfo["user_id"], t.principal.user_id.as_str());
    assert_eq!(userinfo["organization_id"], t.principal.org_id.as_str());
    assert_eq!(userinfo["preferred_username"], "ann@acme.test");
    // The default org's admin may not read this org's identities.
    let other = server
        .client
        .get(body["id"].as_str().unwrap())
        .bearer_auth(server.token())
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), 403);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grant_failures_use_salesforce_errors() {
    let server = start().await;
    let t = tenant(&server, None).await;
    let password = |secret: &'static str, pw: &'static str| {
        vec![
            ("grant_type", "password"),
            ("client_id", t.client_id.as_str()),
            ("client_secret", secret),
            ("username", "ann@acme.test"),
            ("password", pw),
        ]
    };
    let mut bad_password = password("", "wrong");
    bad_password[2].1 = &t.client_secret;
    oauth_error(
        &server,
        &bad_password,
        "invalid_grant",
        "authentication failure",
    )
    .await;
    oauth_error(
        &server,
        &password("not the secret", PASSWORD),
        "invalid_client",
        "invalid client credentials",
    )
    .await;
    let unknown = [
        ("grant_type", "password"),
        ("client_id", "nope"),
        ("client_secret", "x"),
        ("username", "a"),
        ("password", "b"),
    ];
    oauth_error(
        &server,
        &unknown,
        "invalid_client_id",
        "client identifier invalid",
    )
    .await;
    oauth_error(
        &server,
        &[("grant_type", "authorization_codez")],
        "unsupported_grant_type",
        "grant type not supported",
    )
    .await;
    let refresh = [
        ("grant_type", "refresh_token"),
        ("client_id", t.client_id.as_str()),
        ("refresh_token", "nope"),
    ];
    oauth_error(
        &server,
        &refresh,
        "invalid_grant",
        "expired access/refresh token",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_credentials_and_refresh_tokens() {
    let server = start().await;
    let t = tenant(&server, None).await;
    // Basic authentication, as most clients send it.
    let response = server
        .client
        .post(server.url("/services/oauth2/token"))
        .basic_auth(&t.client_id, Some(&t.client_secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        bulk_status(&server, body["access_token"].as_str().unwrap()).await,
        200
    );
    assert!(body.get("refresh_token").is_none());
    // Form fields work too.
    let (status, _) = token_request(
        &server,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", &t.client_id),
            ("client_secret", &t.client_secret),
        ],
    )
    .await;
    assert_eq!(status, 200);

    // A refresh token bound to the app.
    let store = server.running.state.store.clone();
    let (principal, client_id) = (t.principal.clone(), t.client_id.clone());
    tokio::task::spawn_blocking(move || {
        let app = store.find_app(&client_id).unwrap().unwrap();
        store
            .save_token(
                &principal,
                "5Aep.refresh.token",
                TokenKind::Refresh,
                Some(app.id),
                None,
            )
            .unwrap();
    })
    .await
    .unwrap();
    let (status, body) = token_request(
        &server,
        &[
            ("grant_type", "refresh_token"),
            ("client_id", &t.client_id),
            ("refresh_token", "5Aep.refresh.token"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(body.get("signature").is_none(), "no secret, no signature");
    assert_eq!(
        bulk_status(&server, body["access_token"].as_str().unwrap()).await,
        200
    );
    // Revoked, the refresh token no longer works.
    let revoke = server
        .client
        .post(server.url("/services/oauth2/revoke"))
        .form(&[("token", "5Aep.refresh.token")])
        .send()
        .await
        .unwrap();
    assert_eq!(revoke.status(), 200);
    oauth_error(
        &server,
        &[
            ("grant_type", "refresh_token"),
            ("client_id", &t.client_id),
            ("refresh_token", "5Aep.refresh.token"),
        ],
        "invalid_grant",
        "expired access/refresh token",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_jwt_bearer_grant_checks_the_apps_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("key.pem");
    let cert = dir.path().join("cert.pem");
    let generated = std::process::Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=bulkforce-test",
        ])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .expect("openssl runs");
    assert!(
        generated.status.success(),
        "{}",
        String::from_utf8_lossy(&generated.stderr)
    );
    let server = start().await;
    let t = tenant(&server, Some(std::fs::read_to_string(&cert).unwrap())).await;
    let key = jsonwebtoken::EncodingKey::from_rsa_pem(&std::fs::read(&key).unwrap()).unwrap();
    let assertion = |sub: &str, exp_in: i64, key: &jsonwebtoken::EncodingKey| {
        let claims = json!({
            "iss": t.client_id, "sub": sub, "aud": "https://login.salesforce.com",
            "exp": chrono::Utc::now().timestamp() + exp_in,
        });
        jsonwebtoken::encode(
            &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256),
            &claims,
            key,
        )
        .unwrap()
    };
    let grant = "urn:ietf:params:oauth:grant-type:jwt-bearer";
    let good = assertion("ann@acme.test", 180, &key);
    let (status, body) =
        token_request(&server, &[("grant_type", grant), ("assertion", &good)]).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        bulk_status(&server, body["access_token"].as_str().unwrap()).await,
        200
    );

    let expired = assertion("ann@acme.test", -600, &key);
    oauth_error(
        &server,
        &[("grant_type", grant), ("assertion", &expired)],
        "invalid_grant",
        "invalid assertion",
    )
    .await;
    let stranger = assertion("nobody@acme.test", 180, &key);
    oauth_error(
        &server,
        &[("grant_type", grant), ("assertion", &stranger)],
        "invalid_grant",
        "user hasn't approved this consumer",
    )
    .await;
    let other_key = {
        let other = dir.path().join("other.pem");
        std::process::Command::new("openssl")
            .args(["genrsa", "-out"])
            .arg(&other)
            .arg("2048")
            .output()
            .unwrap();
        jsonwebtoken::EncodingKey::from_rsa_pem(&std::fs::read(&other).unwrap()).unwrap()
    };
    let forged = assertion("ann@acme.test", 180, &other_key);
    oauth_error(
        &server,
        &[("grant_type", grant), ("assertion", &forged)],
        "invalid_grant",
        "invalid assertion",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn soap_login_answers_the_partner_response_and_faults() {
    let server = start().await;
    let t = tenant(&server, None).await;
    let envelope = |user: &str, password: &str| {
        format!(
            r#"<?xml version="1.0" encoding="utf-8" ?><env:Envelope xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:env="http://schemas.xmlsoap.org/soap/envelope/"><env:Body><n1:login xmlns:n1="urn:partner.soap.sforce.com"><n1:username>{user}</n1:username><n1:password>{password}</n1:password></n1:login></env:Body></env:Envelope>"#
        )
    };
    let response = server
        .client
        .post(server.url("/services/Soap/u/59.0"))
        .header("Content-Type", "text/xml; charset=UTF-8")
        .header("SOAPAction", "login")
        .body(envelope("ann@acme.test", PASSWORD))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let xml = response.text().await.unwrap();
    let tag = |name: &str| -> String {
        let start = xml
            .find(&format!("<{name}>"))
            .unwrap_or_else(|| panic!("no <{name}> in {xml}"))
            + name.len()
            + 2;
        xml[start..start + xml[start..].find('<').unwrap()].to_owned()
    };
    assert_eq!(tag("passwordExpired"), "false");
    assert_eq!(tag("userId"), t.principal.user_id.as_str());
    assert_eq!(tag("organizationId"), t.principal.org_id.as_str());
    assert_eq!(
        tag("serverUrl"),
        server.url(&format!(
            "/services/Soap/u/59.0/{}",
            &t.principal.org_id.as_str()[..15]
        ))
    );
    assert_eq!(bulk_status(&server, &tag("sessionId")).await, 200);

    // logout ends the session.
    let session = tag("sessionId");
    let logout = server
        .client
        .post(server.url("/services/Soap/u/59.0"))
        .header("SOAPAction", "logout")
        .body(format!(
            r#"<se:Envelope xmlns:se="http://schemas.xmlsoap.org/soap/envelope/"><se:Header><SessionHeader xmlns="urn:partner.soap.sforce.com"><sessionId>{session}</sessionId></SessionHeader></se:Header><se:Body><logout xmlns="urn:partner.soap.sforce.com"/></se:Body></se:Envelope>"#
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(logout.status(), 200);
    assert!(logout.text().await.unwrap().contains("<logoutResponse/>"));
    assert_eq!(bulk_status(&server, &session).await, 401);

    let fault = server
        .client
        .post(server.url("/services/Soap/u/59.0"))
        .header("SOAPAction", "\"\"")
        .body(envelope("ann@acme.test", "wrong"))
        .send()
        .await
        .unwrap();
    assert_eq!(fault.status(), 500);
    let xml = fault.text().await.unwrap();
    assert!(
        xml.contains("<faultcode>sf:INVALID_LOGIN</faultcode>"),
        "{xml}"
    );
    assert!(
        xml.contains("<sf:exceptionCode>INVALID_LOGIN</sf:exceptionCode>"),
        "{xml}"
    );
    assert!(xml.contains("<faultstring>INVALID_LOGIN: Invalid username, password, security token; or user locked out.</faultstring>"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_and_revoked_tokens_and_other_orgs_jobs() {
    let server = start().await;
    let t = tenant(&server, None).await;
    let store = server.running.state.store.clone();
    let principal = t.principal.clone();
    tokio::task::spawn_blocking(move || {
        let past = chrono::Utc::now().timestamp_millis() - 1_000;
        store
            .save_token(
                &principal,
                "00D000000000002!expired",
                TokenKind::Access,
                None,
                Some(past),
            )
            .unwrap();
        store
            .save_token(
                &principal,
                "00D000000000002!live",
                TokenKind::Access,
                None,
                None,
            )
            .unwrap();
    })
    .await
    .unwrap();
    let expired = server
        .client
        .get(server.api("/jobs/ingest"))
        .bearer_auth("00D000000000002!expired")
        .send()
        .await
        .unwrap();
    assert_eq!(expired.status(), 401);
    assert_eq!(
        expired.text().await.unwrap(),
        r#"[{"errorCode":"INVALID_SESSION_ID","message":"Session expired or invalid"}]"#
    );
    assert_eq!(bulk_status(&server, "00D000000000002!live").await, 200);

    // Another org's job is simply not there.
    let job = server
        .create(&json!({"object": "Account", "operation": "insert"}))
        .await;
    let id = job["id"].as_str().unwrap();
    let other = server
        .client
        .get(server.job_url(id))
        .bearer_auth("00D000000000002!live")
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), 404);
    let listed: Value = server
        .client
        .get(server.api("/jobs/ingest"))
        .bearer_auth("00D000000000002!live")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed["records"], json!([]));

    let revoke = server
        .client
        .post(server.url("/services/oauth2/revoke"))
        .form(&[("token", "00D000000000002!live")])
        .send()
        .await
        .unwrap();
    assert_eq!(revoke.status(), 200);
    assert_eq!(bulk_status(&server, "00D000000000002!live").await, 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_usage_is_counted_and_enforced() {
    let server = start_with(|c| {
        c.daily_api_requests = 5;
    })
    .await;
    let get = |path: &str| {
        server
            .client
            .get(server.api(path))
            .bearer_auth(server.token())
            .send()
    };
    let limits: Value = get("/limits").await.unwrap().json().await.unwrap();
    assert_eq!(
        limits["DailyApiRequests"],
        json!({"Max": 5, "Remaining": 4})
    );
    assert!(limits["DailyBulkV2QueryJobs"]["Max"].as_u64().unwrap() > 0);
    for used in 2..=5 {
        let response = get("/jobs/ingest").await.unwrap();
        assert_eq!(response.status(), 200);
        let header = response.headers()["sforce-limit-info"]
            .to_str()
            .unwrap()
            .to_owned();
        assert_eq!(header, format!("api-usage={used}/5"));
    }
    let refused = get("/jobs/ingest").await.unwrap();
    assert_eq!(refused.status(), 403);
    assert_eq!(
        refused.text().await.unwrap(),
        r#"[{"errorCode":"REQUEST_LIMIT_EXCEEDED","message":"TotalRequests Limit exceeded."}]"#
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_serves_with_a_self_signed_certificate_kept_in_the_data_dir() {
    let server = start_with(|c| c.tls = Some(bulkforce_server::TlsConfig::default())).await;
    let cert_path = server
        .running
        .tls_cert
        .clone()
        .expect("a certificate is reported");
    let cert = reqwest::Certificate::from_pem(&std::fs::read(&cert_path).unwrap()).unwrap();
    let client = reqwest::Client::builder()
        .add_root_certificate(cert)
        .build()
        .unwrap();
    let url = format!(
        "https://localhost:{}/services/data/{V}/jobs/ingest",
        server.running.addr.port()
    );
    let response = client
        .get(&url)
        .bearer_auth(server.token())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let user: Value = client
        .get(format!(
            "https://localhost:{}/services/data/v51.0/sobjects/User/{}",
            server.running.addr.port(),
            server.running.principal.user_id
        ))
        .bearer_auth(server.token())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(user["Username"], server.running.principal.username);
}
