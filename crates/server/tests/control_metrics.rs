//! `GET /metrics` after an insert job and a query job: every family is there, with the values the jobs
//! imply, and routes are the endpoints' kinds, never paths with ids.

mod common;

use common::{Server, id_of, start};
use reqwest::{Method, StatusCode};
use serde_json::json;
use std::collections::BTreeMap;

/// One sample: its name and labels.
type Sample = (String, BTreeMap<String, String>);

/// The samples of an OpenMetrics text (comments skipped), parsed by line.
fn samples(text: &str) -> Vec<(Sample, f64)> {
    text.lines()
        .filter(|line| !line.starts_with('#') && !line.is_empty())
        .map(|line| {
            let (series, value) = line.rsplit_once(' ').expect("a sample has a value");
            let (name, labels) = match series.split_once('{') {
                Some((name, labels)) => (name, labels.trim_end_matches('}')),
                None => (series, ""),
            };
            let labels = labels
                .split(',')
                .filter(|l| !l.is_empty())
                .map(|l| {
                    let (k, v) = l.split_once('=').expect("label=value");
                    (k.to_owned(), v.trim_matches('"').to_owned())
                })
                .collect();
            ((name.to_owned(), labels), value.parse().expect("a number"))
        })
        .collect()
}

/// The sum of the samples named `name` whose labels include `labels`.
fn value(samples: &[(Sample, f64)], name: &str, labels: &[(&str, &str)]) -> f64 {
    samples
        .iter()
        .filter(|((n, l), _)| {
            n == name
                && labels
                    .iter()
                    .all(|(k, v)| l.get(*k).map(String::as_str) == Some(*v))
        })
        .map(|(_, v)| v)
        .sum()
}

async fn scrape(server: &Server) -> String {
    let reply = server.control(Method::GET, "/metrics", None).await;
    assert_eq!(reply.status, StatusCode::OK);
    reply.text()
}

async fn run_query(server: &Server, soql: &str) -> String {
    let reply = server
        .send(
            server
                .request(Method::POST, &server.api("/jobs/query"))
                .json(&json!({"operation": "query", "query": soql})),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let id = id_of(&reply.json());
    for _ in 0..400 {
        let info = server
            .get(&server.api(&format!("/jobs/query/{id}")))
            .await
            .json();
        if info["state"] == "JobComplete" {
            return id;
        }
        assert_ne!(info["state"], "Failed", "{info}");
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("query job {id} did not complete");
}

#[tokio::test]
async fn metrics_count_requests_jobs_rows_usage_and_worker_time() {
    let server = start().await;
    let (info, _) = server
        .run_complete(
            &json!({"object": "Account", "operation": "insert"}),
            "Name,BillingCity\nAcme,Paris\n,Rome\nGlobex,Oslo\n",
        )
        .await;
    assert_eq!(info["numberRecordsFailed"], 1);
    let ingest_id = id_of(&info);
    let query_id = run_query(&server, "SELECT Id, Name FROM Account").await;

    let text = scrape(&server).await;
    let parsed = samples(&text);
    let v = |name: &str, labels: &[(&str, &str)]| value(&parsed, name, labels);

    let created = [
        ("route", "ingest_jobs"),
        ("method", "POST"),
        ("status", "200"),
    ];
    assert_eq!(v("bulkforce_http_requests_total", &created), 1.0, "{text}");
    let uploads = [
        ("route", "ingest_batches"),
        ("method", "PUT"),
        ("status", "201"),
    ];
    assert_eq!(v("bulkforce_http_requests_total", &uploads), 1.0, "{text}");
    assert!(v("bulkforce_http_requests_total", &[("route", "query_job")]) >= 1.0);
    assert!(
        v(
            "bulkforce_http_request_duration_seconds_count",
            &[("route", "ingest_job")]
        ) >= 2.0,
        "close and polls: {text}"
    );
    assert!(v("bulkforce_http_request_duration_seconds_sum", &[]) > 0.0);
    assert!(
        !text.contains(&ingest_id) && !text.contains(&query_id),
        "no ids in labels"
    );

    let jobs = |kind, state| v("bulkforce_jobs", &[("type", kind), ("state", state)]);
    assert_eq!(jobs("ingest", "JobComplete"), 1.0, "{text}");
    assert_eq!(jobs("query", "JobComplete"), 1.0, "{text}");
    assert_eq!(v("bulkforce_jobs", &[]), 2.0, "only these two jobs");

    let rows = |outcome| {
        v(
            "bulkforce_ingest_rows_total",
            &[("operation", "insert"), ("outcome", outcome)],
        )
    };
    assert_eq!(rows("success"), 2.0, "{text}");
    assert_eq!(rows("failure"), 1.0, "{text}");
    assert_eq!(v("bulkforce_query_rows_total", &[]), 2.0, "{text}");

    let org = server.org().to_string();
    let api = v("bulkforce_api_requests_total", &[("org", &org)]);
    let authenticated: f64 = parsed
        .iter()
        .filter(|((n, l), _)| {
            n == "bulkforce_http_requests_total" && l.get("route").is_some_and(|r| r != "metrics")
        })
        .map(|(_, v)| v)
        .sum();
    assert_eq!(
        api, authenticated,
        "every API call was counted for the org: {text}"
    );
    assert!(
        v("bulkforce_worker_busy_seconds_total", &[]) > 0.0,
        "{text}"
    );

    // The scrape itself is counted by the next one.
    let again = samples(&scrape(&server).await);
    assert!(
        value(
            &again,
            "bulkforce_http_requests_total",
            &[("route", "metrics")]
        ) >= 1.0
    );
}
