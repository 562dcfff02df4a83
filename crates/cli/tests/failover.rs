//! Failover between instances (issue 12): a 300,000-row upsert job processing on instance A, instance B
//! running beside it on the same PostgreSQL database and bucket; A killed with SIGKILL. Once A's lease
//! expires, B takes the job over from its last committed checkpoint and completes it with every row applied
//! once and reported once: checked in the job's counts, in the result files, and in PostgreSQL itself.
//! Needs `scripts/services` (PostgreSQL and the S3-compatible server).

mod support;

use serde_json::json;
use std::collections::{HashMap, HashSet};
use std::time::Duration;
use support::bulk_http::{BulkHttp, result_rows};
use support::cluster::{Cluster, ClusterConfig, schema_dir};
use support::pg_records::accounts;

const TOKEN: &str = "00D000000000001!failover.test.token";
/// Rows of the upsert job; the first half of their external ids exist before it runs.
const ROWS: usize = 300_000;
const EXISTING: usize = ROWS / 2;
/// Employees of every row the upsert writes: so the database shows which rows it applied.
const UPSERTED_EMPLOYEES: i64 = 1_000_000;
/// Generous: the whole machine may be busy with other tests.
const JOB_LIMIT: Duration = Duration::from_secs(600);

const ACCOUNT_EXT_ID: &str = r#"{
  "name": "Account",
  "fields": [
    { "name": "Ext__c", "type": "string", "length": 80, "externalId": true, "unique": true,
      "nillable": true, "createable": true, "updateable": true }
  ]
}
"#;

fn ext(i: usize) -> String {
    format!("EXT-{i:06}")
}

/// The records loaded first: external ids 0..EXISTING.
fn existing_csv() -> Vec<u8> {
    let mut csv = String::from("Name,Ext__c,NumberOfEmployees\n");
    for i in 0..EXISTING {
        csv.push_str(&format!("Existing {i},{},{i}\n", ext(i)));
    }
    csv.into_bytes()
}

/// The upsert: every external id 0..ROWS once, matching (below EXISTING) and new ones interleaved, so every
/// chunk has both.
fn upsert_csv() -> Vec<u8> {
    let mut csv = String::from("Name,Ext__c,NumberOfEmployees\n");
    for k in 0..EXISTING {
        for i in [k, EXISTING + k] {
            let employees = UPSERTED_EMPLOYEES + i as i64;
            csv.push_str(&format!("Upserted {i},{},{employees}\n", ext(i)));
        }
    }
    csv.into_bytes()
}

/// Ext__c -> Id of a job's successful results, checking each external id is reported once.
fn ids_by_ext(rows: &[HashMap<String, String>]) -> HashMap<String, String> {
    let mut ids = HashMap::new();
    for row in rows {
        let previous = ids.insert(row["Ext__c"].clone(), row["sf__Id"].clone());
        assert!(previous.is_none(), "{} reported twice", row["Ext__c"]);
    }
    ids
}

#[test]
fn a_job_on_an_instance_killed_with_sigkill_completes_on_another_exactly_once() {
    let schema = tempfile::tempdir().unwrap();
    let config = ClusterConfig {
        token: TOKEN.to_owned(),
        schema_dir: Some(schema_dir(schema.path(), ACCOUNT_EXT_ID)),
        ..ClusterConfig::default()
    };
    // A alone at first, slowed down so the job is still in its middle when A dies.
    let mut cluster = Cluster::start(0, config);
    cluster.add_instance(&["--chunk-delay-ms", "300"]);
    let a = cluster.instances[0].url.clone();
    let api = BulkHttp::new(TOKEN);

    let insert = api.submit(
        &a,
        &json!({"object": "Account", "operation": "insert"}),
        existing_csv(),
    );
    let info = api.wait_for(&a, &insert, JOB_LIMIT, |i| i["state"] == "JobComplete");
    assert_eq!(info["numberRecordsFailed"], 0, "{info}");
    let existing_ids = ids_by_ext(&result_rows(&api.results(&a, &insert, "successfulResults")));
    assert_eq!(existing_ids.len(), EXISTING);

    let upsert = api.submit(
        &a,
        &json!({"object": "Account", "operation": "upsert", "externalIdFieldName": "Ext__c"}),
        upsert_csv(),
    );
    let info = api.wait_for(&a, &upsert, JOB_LIMIT, |i| {
        i["numberRecordsProcessed"].as_u64().unwrap_or(0) >= 20_000
    });
    assert_eq!(info["state"], "InProgress", "still running on A: {info}");

    // B joins while A holds the job's lease; then A dies without a word.
    let b = cluster.add_instance(&[]).url.clone();
    cluster.instances[0].kill();

    let info = api.wait_for(&b, &upsert, JOB_LIMIT, |i| i["state"] == "JobComplete");
    let logs = cluster.log_tails();
    assert_eq!(
        info["numberRecordsProcessed"], ROWS as u64,
        "{info}\n{logs}"
    );
    assert_eq!(info["numberRecordsFailed"], 0, "{info}\n{logs}");

    let reported = check_results(&api, &b, &upsert, &existing_ids);
    check_database(cluster.database_url(), &reported);
}

/// Every row reported exactly once in the result files: each external id once, each Id once, the
/// matching rows with the Ids the first load created, the rest created. Returns Ext__c -> reported Id.
fn check_results(
    api: &BulkHttp,
    url: &str,
    job: &str,
    existing_ids: &HashMap<String, String>,
) -> HashMap<String, String> {
    let rows = result_rows(&api.results(url, job, "successfulResults"));
    assert_eq!(rows.len(), ROWS, "successful results rows");
    let ids = ids_by_ext(&rows);
    assert_eq!(ids.len(), ROWS);
    let unique: HashSet<&String> = ids.values().collect();
    assert_eq!(unique.len(), ROWS, "every Id reported once");
    for row in &rows {
        let i: usize = row["Ext__c"][4..].parse().unwrap();
        let created = row["sf__Created"] == "true";
        assert_eq!(created, i >= EXISTING, "sf__Created of {}", row["Ext__c"]);
        if let Some(id) = existing_ids.get(&row["Ext__c"]) {
            assert_eq!(&row["sf__Id"], id, "{} matched its record", row["Ext__c"]);
        }
    }
    let failed = result_rows(&api.results(url, job, "failedResults"));
    assert!(failed.is_empty(), "no failed rows: {failed:?}");
    let unprocessed = result_rows(&api.results(url, job, "unprocessedrecords"));
    assert!(
        unprocessed.is_empty(),
        "no unprocessed rows: {unprocessed:?}"
    );
    ids
}

/// PostgreSQL holds exactly one record per external id, every one written by the upsert, with the Ids
/// the results report (`reported`: Ext__c -> Id).
fn check_database(database_url: &str, reported: &HashMap<String, String>) {
    let stored = accounts(database_url);
    assert_eq!(stored.len(), ROWS, "Account rows in PostgreSQL");
    let mut by_ext: HashMap<String, &support::pg_records::StoredAccount> = HashMap::new();
    for account in &stored {
        let ext = account.ext.clone().expect("every record has its Ext__c");
        assert!(by_ext.insert(ext, account).is_none(), "Ext__c stored twice");
    }
    for (ext_id, id) in reported {
        let account = by_ext[ext_id];
        assert_eq!(&account.id, id, "{ext_id}: stored Id");
        let i: i64 = ext_id[4..].parse().unwrap();
        assert_eq!(
            account.employees,
            Some(UPSERTED_EMPLOYEES + i),
            "{ext_id}: applied"
        );
    }
}

/// The test's own data: the CSVs say what they promise.
#[test]
fn the_upsert_file_has_every_external_id_once_half_of_them_existing() {
    let upsert = String::from_utf8(upsert_csv()).unwrap();
    let exts: Vec<&str> = upsert
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(1).unwrap())
        .collect();
    assert_eq!(exts.len(), ROWS);
    assert_eq!(exts.iter().collect::<HashSet<_>>().len(), ROWS);
    let existing = String::from_utf8(existing_csv()).unwrap();
    let existing: HashSet<&str> = existing
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(1).unwrap())
        .collect();
    assert_eq!(
        exts.iter().filter(|e| existing.contains(**e)).count(),
        EXISTING
    );
}
