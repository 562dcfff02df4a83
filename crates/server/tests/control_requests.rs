//! `GET /_bulkforce/requests`: the latest requests newest first, bounded by `--request-log-size`, limited
//! by `limit`, and never holding a token.

mod common;

use common::{id_of, start_with};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

#[tokio::test]
async fn the_request_log_lists_the_latest_requests_newest_first() {
    let server = start_with(|c| c.request_log_size = 50).await;
    let token = server.token().to_owned();
    let body = json!({"object": "Account", "operation": "insert"});
    let created = server
        .send(
            server
                .request(Method::POST, &server.api("/jobs/ingest"))
                .json(&body),
        )
        .await;
    let job_id = id_of(&created.json());
    let info = server.get(&server.job_url(&job_id)).await;
    // The identity URL takes its token in the query: the log shows the parameter, not its value.
    let principal = &server.running.principal;
    let identity = format!(
        "/id/{}/{}?version=latest&oauth_token={token}",
        principal.org_id, principal.user_id
    );
    let reply = server
        .client
        .get(server.url(&identity))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), StatusCode::OK);
    let unauthenticated = server
        .client
        .get(server.api("/limits"))
        .send()
        .await
        .unwrap();
    assert_eq!(unauthenticated.status(), StatusCode::UNAUTHORIZED);

    let log = server
        .control(Method::GET, "/_bulkforce/requests?limit=10", Some(&token))
        .await;
    assert_eq!(log.status, StatusCode::OK);
    assert!(
        !log.text().contains(&token),
        "no token in the log: {}",
        log.text()
    );
    let log = log.json();
    assert_eq!(log["capacity"], 50);
    let entries = log["requests"].as_array().unwrap();
    assert_eq!(entries.len(), 4, "{log}");
    let paths: Vec<&str> = entries
        .iter()
        .map(|e| e["path"].as_str().unwrap())
        .collect();
    let api = "/services/data/v62.0/jobs/ingest";
    assert_eq!(
        paths,
        [
            "/services/data/v62.0/limits".to_owned(),
            format!(
                "/id/{}/{}?version=latest&oauth_token=REDACTED",
                principal.org_id, principal.user_id
            ),
            format!("{api}/{job_id}"),
            api.to_owned(),
        ],
        "newest first"
    );
    let [limits, identity, get, create] = entries.as_slice() else {
        unreachable!()
    };
    assert_eq!(limits["status"], 401);
    assert_eq!(limits["org"], Value::Null, "no caller known");
    assert_eq!(identity["status"], 200);
    assert_eq!(get["method"], "GET");
    assert_eq!(get["jobId"], job_id);
    assert_eq!(get["org"], principal.org_id.to_string());
    assert_eq!(get["bytesOut"], info.body.len());
    assert_eq!(create["method"], "POST");
    assert_eq!(create["status"], 200);
    assert_eq!(create["jobId"], Value::Null);
    assert_eq!(create["bytesIn"], serde_json::to_vec(&body).unwrap().len());
    assert_eq!(create["bytesOut"], created.body.len());
    for entry in entries {
        assert!(entry["milliseconds"].as_f64().unwrap() >= 0.0);
        let time = entry["time"].as_str().unwrap();
        chrono::DateTime::parse_from_rfc3339(time).unwrap();
    }

    // `limit` takes the newest; the log's own reads (control GETs) are left out, control actions are kept.
    let reset = server
        .control(Method::DELETE, "/_bulkforce/faults", Some(&token))
        .await;
    assert_eq!(reset.status, StatusCode::NO_CONTENT);
    let two = server
        .control(Method::GET, "/_bulkforce/requests?limit=2", Some(&token))
        .await
        .json();
    let two = two["requests"].as_array().unwrap().clone();
    assert_eq!(two.len(), 2);
    assert_eq!(two[0]["path"], "/_bulkforce/faults");
    assert_eq!(two[0]["method"], "DELETE");
    assert_eq!(two[0]["org"], Value::Null);
    assert_eq!(two[1]["path"], "/services/data/v62.0/limits");
    let bad = server
        .control(Method::GET, "/_bulkforce/requests?limit=x", Some(&token))
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn the_request_log_is_a_bounded_ring() {
    let server = start_with(|c| c.request_log_size = 3).await;
    for n in 0..5 {
        let reply = server
            .client
            .get(server.url(&format!("/services/data?n={n}")))
            .send()
            .await
            .unwrap();
        assert_eq!(reply.status(), StatusCode::OK);
    }
    let log = server
        .control(Method::GET, "/_bulkforce/requests", Some(server.token()))
        .await
        .json();
    let paths: Vec<&str> = log["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        paths,
        [
            "/services/data?n=4",
            "/services/data?n=3",
            "/services/data?n=2"
        ]
    );
    let off = start_with(|c| c.request_log_size = 0).await;
    let reply = off
        .client
        .get(off.url("/services/data"))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), StatusCode::OK);
    let log = off
        .control(Method::GET, "/_bulkforce/requests", Some(off.token()))
        .await
        .json();
    assert_eq!(log["requests"], json!([]));
}
