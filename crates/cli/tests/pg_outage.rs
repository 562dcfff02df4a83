//! PostgreSQL going away under a cluster mid-job (issue 12): requests meanwhile get 503 with a
//! Salesforce-shaped error body (never a 500), the job pauses and resumes from its checkpoint when the
//! database is back, and it ends `JobComplete` (never `Failed`) with every row applied and reported once.
//!
//! Each test stops or restarts a PostgreSQL server of its OWN (initdb in a temp dir, a free port): the shared
//! test server of `scripts/services` serves the other tests at the same time. Needs the S3-compatible server
//! of `scripts/services` too.

mod support;

use reqwest::StatusCode;
use serde_json::{Value, json};
use std::collections::HashSet;
use std::time::{Duration, Instant};
use support::bulk_http::{BulkHttp, result_rows};
use support::cluster::{Cluster, ClusterConfig, schema_dir};
use support::pg_records::accounts;
use support::private_postgres::PrivatePostgres;

const TOKEN: &str = "00D000000000001!outage.test.token";
const ROWS: usize = 40_000;
const JOB_LIMIT: Duration = Duration::from_secs(300);

const ACCOUNT_EXT_ID: &str = r#"{
  "name": "Account",
  "fields": [
    { "name": "Ext__c", "type": "string", "length": 80, "externalId": true, "unique": true,
      "nillable": true, "createable": true, "updateable": true }
  ]
}
"#;

fn csv() -> Vec<u8> {
    let mut csv = String::from("Name,Ext__c,NumberOfEmployees\n");
    for i in 0..ROWS {
        csv.push_str(&format!("Account {i},EXT-{i:06},{i}\n"));
    }
    csv.into_bytes()
}

/// Two instances on `database`, slowed down (small chunks, a pause after each) so a job spans the outage.
fn cluster_on(database: &PrivatePostgres, schema: &tempfile::TempDir) -> Cluster {
    let config = ClusterConfig {
        token: TOKEN.to_owned(),
        schema_dir: Some(schema_dir(schema.path(), ACCOUNT_EXT_ID)),
        extra: ["--chunk-rows", "2000", "--chunk-delay-ms", "200"]
            .map(str::to_owned)
            .to_vec(),
        ..ClusterConfig::default()
    };
    Cluster::start_on(&database.url(), 2, config)
}

/// Starts the insert job on the first instance and returns its id once some chunks are committed.
fn job_in_progress(api: &BulkHttp, cluster: &Cluster) -> String {
    let url = &cluster.instances[0].url;
    let id = api.submit(
        url,
        &json!({"object": "Account", "operation": "insert"}),
        csv(),
    );
    let info = api.wait_for(url, &id, JOB_LIMIT, |i| {
        i["numberRecordsProcessed"].as_u64().unwrap_or(0) >= 4_000
    });
    assert_eq!(info["state"], "InProgress", "mid-job: {info}");
    id
}

/// The job completes with every row applied once: counts, results, and the rows in PostgreSQL.
fn check_completed(api: &BulkHttp, cluster: &Cluster, id: &str) {
    let url = cluster.next_url();
    let info = api.wait_for(url, id, JOB_LIMIT, |i| i["state"] == "JobComplete");
    let logs = cluster.log_tails();
    assert_eq!(
        info["numberRecordsProcessed"], ROWS as u64,
        "{info}\n{logs}"
    );
    assert_eq!(info["numberRecordsFailed"], 0, "{info}\n{logs}");

    let rows = result_rows(&api.results(url, id, "successfulResults"));
    assert_eq!(rows.len(), ROWS, "successful results");
    let reported: HashSet<(&str, &str)> = rows
        .iter()
        .map(|r| (r["sf__Id"].as_str(), r["Ext__c"].as_str()))
        .collect();
    assert_eq!(reported.len(), ROWS, "every row reported once");
    let ids: HashSet<&str> = reported.iter().map(|(id, _)| *id).collect();
    assert_eq!(ids.len(), ROWS, "every Id reported once");

    let stored = accounts(cluster.database_url());
    assert_eq!(stored.len(), ROWS, "records in PostgreSQL");
    let stored: HashSet<(&str, &str)> = stored
        .iter()
        .map(|a| (a.id.as_str(), a.ext.as_deref().unwrap_or("")))
        .collect();
    assert_eq!(stored, reported, "the stored records are the reported ones");
}

/// A Salesforce-shaped error answer: `[{"errorCode": …, "message": …}]`.
fn is_error_envelope(body: &Value) -> bool {
    body.as_array()
        .and_then(|errors| errors.first())
        .is_some_and(|e| e["errorCode"].is_string() && e["message"].is_string())
}

#[test]
fn a_postgresql_restart_mid_job_pauses_the_job_and_it_completes_exactly_once() {
    let database = PrivatePostgres::start();
    let schema = tempfile::tempdir().unwrap();
    let cluster = cluster_on(&database, &schema);
    let api = BulkHttp::new(TOKEN);
    let id = job_in_progress(&api, &cluster);

    database.restart();

    check_completed(&api, &cluster, &id);
}

#[test]
fn requests_during_a_postgresql_outage_get_503_and_the_job_resumes_after() {
    let database = PrivatePostgres::start();
    let schema = tempfile::tempdir().unwrap();
    let cluster = cluster_on(&database, &schema);
    let api = BulkHttp::new(TOKEN);
    let id = job_in_progress(&api, &cluster);

    database.stop();
    // Every instance answers while the database is away: 503 with the error envelope, never a 500 or a
    // dropped connection; poll both until each has answered 503 (a pooled connection may first have to
    // find out the server is gone).
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut unavailable = HashSet::new();
    while unavailable.len() < cluster.instances.len() {
        for instance in &cluster.instances {
            let (status, body) = api.job_info(&instance.url, &id);
            assert!(
                status == StatusCode::SERVICE_UNAVAILABLE || status == StatusCode::OK,
                "{} answered {status} during the outage: {body}",
                instance.id
            );
            if status == StatusCode::SERVICE_UNAVAILABLE {
                assert!(is_error_envelope(&body), "503 body: {body}");
                unavailable.insert(instance.id.clone());
            }
        }
        assert!(
            Instant::now() < deadline,
            "not every instance answered 503 while PostgreSQL was stopped ({unavailable:?})\n{}",
            cluster.log_tails()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    database.start_server();

    check_completed(&api, &cluster, &id);
}
