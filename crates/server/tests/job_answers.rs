//! Job-level answers where Salesforce's behaviour is known from clients run against real orgs: an upsert on
//! `Id` without an `Id` column inserts, a job without rows (an empty upload, or none at all) completes with
//! nothing processed, and a row of the wrong width fails with a failed-results line as wide as the header.
//! Result files are checked byte for byte; every test runs on either backend.

mod common;

use common::*;
use serde_json::{Value, json};

fn job(object: &str, operation: &str) -> Value {
    json!({"object": object, "operation": operation})
}

/// The `sf__Id` cells of a result file, in row order.
fn ids(results: &str) -> Vec<String> {
    parse_csv(results, b',')
        .into_iter()
        .skip(1)
        .map(|row| row[0].clone())
        .collect()
}

/// What a strict CSV reader (the `sf` CLI's, Python's `DictReader` with checks, csv-parse with `columns`)
/// insists on: every line exactly as wide as the header.
fn assert_rectangular(file: &str, delimiter: u8) {
    let rows = parse_csv(file, delimiter);
    let width = rows.first().expect("a header").len();
    for (i, row) in rows.iter().enumerate() {
        assert_eq!(row.len(), width, "line {} of {file:?}", i + 1);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upsert_on_id_without_an_id_column_inserts_every_row() {
    let s = start().await;
    for key in ["Id", "id"] {
        let upsert =
            json!({"object": "Account", "operation": "upsert", "externalIdFieldName": key});
        let (info, results) = s
            .run_complete(&upsert, "Name,Phone\nAcme,1\nBeta,2\n,3\n")
            .await;
        assert_eq!(info["numberRecordsProcessed"], 3);
        assert_eq!(info["numberRecordsFailed"], 1);
        let created = ids(&results.successful);
        assert_eq!(created.len(), 2);
        assert_eq!(
            results.successful,
            format!(
                "\"sf__Id\",\"sf__Created\",Name,Phone\n\
                 \"{}\",\"true\",\"Acme\",\"1\"\n\
                 \"{}\",\"true\",\"Beta\",\"2\"\n",
                created[0], created[1]
            )
        );
        // An insert still needs its required fields.
        assert_eq!(
            results.failed,
            "\"sf__Id\",\"sf__Error\",Name,Phone\n\
             \"\",\"REQUIRED_FIELD_MISSING:Required fields are missing: [Name]:Name --\",\"\",\"3\"\n"
        );
        assert_eq!(results.unprocessed, "Name,Phone\n");
        assert_eq!(
            s.field("Account", &created[1], "Name").await.as_deref(),
            Some("Beta")
        );
    }
    assert_eq!(s.count("Account", false).await, 4);

    // The same job with an Id column still updates the rows that name a record.
    let existing = s.insert("Account", "Name\nOld\n").await;
    let upsert = json!({"object": "Account", "operation": "upsert", "externalIdFieldName": "Id"});
    let (info, results) = s
        .run_complete(&upsert, format!("Id,Name\n{},New\n,Fresh\n", existing[0]))
        .await;
    assert_eq!(info["numberRecordsFailed"], 0);
    let written = ids(&results.successful);
    assert_eq!(written[0], existing[0]);
    assert_eq!(
        results.successful,
        format!(
            "\"sf__Id\",\"sf__Created\",Id,Name\n\
             \"{}\",\"false\",\"{}\",\"New\"\n\
             \"{}\",\"true\",\"\",\"Fresh\"\n",
            written[0], existing[0], written[1]
        )
    );
    assert_eq!(
        s.field("Account", &existing[0], "Name").await.as_deref(),
        Some("New")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upsert_on_an_external_id_still_needs_its_column() {
    let s = start_with_extension(|_| {}).await;
    let upsert =
        json!({"object": "Account", "operation": "upsert", "externalIdFieldName": "Ext__c"});
    let (info, _) = s.run(&upsert, b"Name\nA\n".to_vec()).await;
    assert_eq!(info["state"], "Failed");
    assert_eq!(
        info["errorMessage"],
        "InvalidBatch : The external id field Ext__c is not in the header"
    );
    assert_eq!(s.count("Account", true).await, 0);
}

/// The result files of a job that had no rows: each `sf__` header alone, no unprocessed records.
fn assert_no_rows(info: &Value, results: &Results) {
    assert_eq!(info["state"], "JobComplete", "{info}");
    assert_eq!(info["numberRecordsProcessed"], 0);
    assert_eq!(info["numberRecordsFailed"], 0);
    assert!(info.get("errorMessage").is_none(), "{info}");
    assert_eq!(results.successful, "\"sf__Id\",\"sf__Created\"\n");
    assert_eq!(results.failed, "\"sf__Id\",\"sf__Error\"\n");
    assert_eq!(results.unprocessed, "");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_upload_completes_with_nothing_processed() {
    let s = start().await;
    // jsforce sends a 0-byte body for an empty record list, for any operation.
    for operation in ["insert", "update", "upsert", "delete", "hardDelete"] {
        let mut create = job("Account", operation);
        if operation == "upsert" {
            create["externalIdFieldName"] = json!("Id");
        }
        let (info, results) = s.run(&create, Vec::new()).await;
        assert_no_rows(&info, &results);
    }
    // A byte-order mark is no row either.
    let (info, results) = s
        .run(&job("Account", "insert"), b"\xEF\xBB\xBF".to_vec())
        .await;
    assert_no_rows(&info, &results);
    // The CRLF results of a CRLF job.
    let crlf = json!({"object": "Account", "operation": "insert", "lineEnding": "CRLF"});
    let (info, results) = s.run(&crlf, Vec::new()).await;
    assert_eq!(info["state"], "JobComplete");
    assert_eq!(results.successful, "\"sf__Id\",\"sf__Created\"\r\n");
    assert_eq!(s.count("Account", true).await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_closed_without_an_upload_completes_with_nothing_processed() {
    let s = start().await;
    let id = s.create_id(&job("Contact", "insert")).await;
    s.close(&id).await;
    let info = s.wait(&id).await;
    let results = s.results(&id).await;
    assert_no_rows(&info, &results);
    // Finished: no upload, no second close.
    s.upload(&id, "LastName\nLate\n").await.assert_error(
        400,
        "INVALIDJOBSTATE",
        "Data can only be uploaded while the job is Open; this job is JobComplete",
    );
    assert_eq!(s.count("Contact", true).await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_row_wider_than_the_header_fails_with_a_line_as_wide_as_the_header() {
    let s = start().await;
    let (info, results) = s
        .run_complete(
            &job("Account", "insert"),
            "Name,Phone\nA,1\nB,2,extra,\"more, quoted\"\nC\nD,4\n",
        )
        .await;
    assert_eq!(info["numberRecordsProcessed"], 4);
    assert_eq!(info["numberRecordsFailed"], 2);
    assert_eq!(
        results.failed,
        "\"sf__Id\",\"sf__Error\",Name,Phone\n\
         \"\",\"INVALID_FIELD:Row has 4 columns but the header has 2:--\",\"B\",\"2\"\n\
         \"\",\"INVALID_FIELD:Row has 1 columns but the header has 2:--\",\"C\",\"\"\n"
    );
    assert_rectangular(&results.failed, b',');
    assert_rectangular(&results.successful, b',');
    assert_eq!(ids(&results.successful).len(), 2);
    assert_eq!(s.count("Account", false).await, 2);

    // Another delimiter and line ending: the same width, in the job's dialect.
    let pipe = json!({"object": "Account", "operation": "insert",
                      "columnDelimiter": "PIPE", "lineEnding": "CRLF"});
    let (_, results) = s.run_complete(&pipe, "Name|Phone\r\nE|5|x\r\n").await;
    assert_eq!(
        results.failed,
        "\"sf__Id\"|\"sf__Error\"|Name|Phone\r\n\
         \"\"|\"INVALID_FIELD:Row has 3 columns but the header has 2:--\"|\"E\"|\"5\"\r\n"
    );
    assert_rectangular(&results.failed, b'|');
}
