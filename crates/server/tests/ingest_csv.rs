//! CSV over real HTTP: the six delimiters and two line endings for uploads and result files, quoting,
//! BOM and non-ASCII text, and the job-level failures a bad upload causes.

mod common;

use common::*;
use serde_json::{Value, json};

const DELIMITERS: [(&str, char); 6] = [
    ("BACKQUOTE", '`'),
    ("CARET", '^'),
    ("COMMA", ','),
    ("PIPE", '|'),
    ("SEMICOLON", ';'),
    ("TAB", '\t'),
];

fn quote(cell: &str) -> String {
    format!("\"{}\"", cell.replace('"', "\"\""))
}

fn insert_account() -> Value {
    json!({"object": "Account", "operation": "insert"})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_delimiter_and_line_ending_for_uploads_and_results() {
    let s = start().await;
    let mut jobs = Vec::new();
    for (name, d) in DELIMITERS {
        for (ending, nl) in [("LF", "\n"), ("CRLF", "\r\n")] {
            let job = json!({"object": "Account", "operation": "insert",
                             "columnDelimiter": name, "lineEnding": ending});
            let id = s.create_id(&job).await;
            // A value with the delimiter, one with doubled quotes, one spanning lines, and a failing row.
            let csv = format!(
                "Name{d}Phone{d}Description{nl}\
                 \"a{d}b\"{d}1{d}plain{nl}\
                 \"say \"\"hi\"\"\"{d}2{d}\"two{nl}lines\"{nl}\
                 {d}3{d}no name{nl}"
            );
            s.upload_ok(&id, csv).await;
            s.close(&id).await;
            jobs.push((id, name, d, ending, nl));
        }
    }
    for (id, name, d, ending, nl) in jobs {
        let info = s.wait(&id).await;
        let context = format!("{name}/{ending}: {info}");
        assert_eq!(info["state"], "JobComplete", "{context}");
        assert_eq!(info["columnDelimiter"], name);
        assert_eq!(info["lineEnding"], ending);
        assert_eq!(info["numberRecordsProcessed"], 3, "{context}");
        assert_eq!(info["numberRecordsFailed"], 1, "{context}");
        let results = s.results(&id).await;
        let ids: Vec<String> = parse_csv(&results.successful, d as u8)
            .into_iter()
            .skip(1)
            .map(|r| r[0].clone())
            .collect();
        assert_eq!(ids.len(), 2, "{context}: {:?}", results.successful);
        let line = |cells: &[&str]| {
            let quoted: Vec<String> = cells.iter().map(|c| quote(c)).collect();
            format!("{}{nl}", quoted.join(&d.to_string()))
        };
        let header = format!("Name{d}Phone{d}Description");
        assert_eq!(
            results.successful,
            format!(
                "\"sf__Id\"{d}\"sf__Created\"{d}{header}{nl}{}{}",
                line(&[&ids[0], "true", &format!("a{d}b"), "1", "plain"]),
                line(&[&ids[1], "true", "say \"hi\"", "2", &format!("two{nl}lines")]),
            ),
            "{context}"
        );
        assert_eq!(
            results.failed,
            format!(
                "\"sf__Id\"{d}\"sf__Error\"{d}{header}{nl}{}",
                line(&[
                    "",
                    "REQUIRED_FIELD_MISSING:Required fields are missing: [Name]:Name --",
                    "",
                    "3",
                    "no name"
                ])
            ),
            "{context}"
        );
        assert_eq!(results.unprocessed, format!("{header}{nl}"), "{context}");
        assert_eq!(
            s.field("Account", &ids[0], "Name").await,
            Some(format!("a{d}b")),
            "{context}"
        );
        assert_eq!(
            s.field("Account", &ids[1], "Description").await,
            Some(format!("two{nl}lines")),
            "{context}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quoted_values_round_trip_into_results_and_records() {
    let s = start().await;
    let csv = "Name,Description,Website\n\
               \"Comma, Inc\",\"He said \"\"no\"\", twice\",\"https://x.test/?a=1,2\"\n\
               \"Multi\nLine\",\"line 1\nline 2\n\nline 4\",\n\
               \"\"\"Quoted\"\"\",\"\",plain\n";
    let (info, results) = s.run_complete(&insert_account(), csv).await;
    assert_eq!(info["numberRecordsFailed"], 0);
    let rows = parse_csv(&results.successful, b',');
    assert_eq!(rows.len(), 4, "{}", results.successful);
    assert_eq!(
        rows[1][2..],
        [
            "Comma, Inc",
            "He said \"no\", twice",
            "https://x.test/?a=1,2"
        ]
    );
    assert_eq!(
        rows[2][2..],
        ["Multi\nLine", "line 1\nline 2\n\nline 4", ""]
    );
    assert_eq!(rows[3][2..], ["\"Quoted\"", "", "plain"]);
    assert!(
        results.successful.contains(&format!(
            "\"{}\",\"true\",\"Comma, Inc\",\"He said \"\"no\"\", twice\",\"https://x.test/?a=1,2\"\n",
            rows[1][0]
        )),
        "{}",
        results.successful
    );
    assert_eq!(
        s.field("Account", &rows[2][0], "Description")
            .await
            .as_deref(),
        Some("line 1\nline 2\n\nline 4")
    );
    assert_eq!(
        s.field("Account", &rows[3][0], "Name").await.as_deref(),
        Some("\"Quoted\"")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_utf8_bom_is_stripped_and_non_ascii_text_round_trips() {
    let s = start().await;
    let name = "Zürich Straße 東京 🚀";
    let csv = format!("\u{FEFF}Name,Description\n{name},Ünïcödé — ok\n");
    let (info, results) = s.run_complete(&insert_account(), csv.clone()).await;
    assert_eq!(info["numberRecordsProcessed"], 1);
    assert_eq!(info["numberRecordsFailed"], 0);
    let id = &parse_csv(&results.successful, b',')[1][0];
    assert_eq!(
        results.successful,
        format!(
            "\"sf__Id\",\"sf__Created\",Name,Description\n\"{id}\",\"true\",\"{name}\",\"Ünïcödé — ok\"\n"
        ),
        "header echoed without the BOM"
    );
    assert_eq!(
        results.failed,
        "\"sf__Id\",\"sf__Error\",Name,Description\n"
    );
    assert_eq!(results.unprocessed, "Name,Description\n");
    assert_eq!(s.field("Account", id, "Name").await.as_deref(), Some(name));

    // Aborted with a BOM: the unprocessed rows come back without it.
    let job = s.create_id(&insert_account()).await;
    s.upload_ok(&job, csv).await;
    assert_eq!(s.patch_state(&job, "Aborted").await.status, 200);
    assert_eq!(
        s.result(&job, "unprocessedrecords").await,
        format!("Name,Description\n{name},Ünïcödé — ok\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn header_matching_ignores_case_and_the_echo_keeps_it() {
    let s = start().await;
    let (_, results) = s
        .run_complete(&insert_account(), "NAME,phone\nAcme,1\n")
        .await;
    let id = &parse_csv(&results.successful, b',')[1][0];
    assert_eq!(
        results.successful,
        format!("\"sf__Id\",\"sf__Created\",NAME,phone\n\"{id}\",\"true\",\"Acme\",\"1\"\n")
    );
    assert_eq!(s.field("Account", id, "Phone").await.as_deref(), Some("1"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_last_row_without_a_line_ending_and_blank_lines_are_fine() {
    let s = start().await;
    let (info, results) = s.run_complete(&insert_account(), "Name\nA\n\nB").await;
    assert_eq!(info["numberRecordsProcessed"], 2, "{}", results.failed);
    assert_eq!(info["numberRecordsFailed"], 0);
    let crlf = json!({"object": "Account", "operation": "insert", "lineEnding": "CRLF"});
    let (info, _) = s.run_complete(&crlf, "Name\r\nA\r\nB").await;
    assert_eq!(info["numberRecordsProcessed"], 2);
}

// ---------------------------------------------------------------------------------------------------------
// Job-level failures

/// Runs a job that must fail: asserts the exact errorMessage, zero counters and that nothing was written.
async fn assert_job_fails(s: &Server, job: &Value, csv: &[u8], message: &str) -> (Value, Results) {
    let (info, results) = s.run(job, csv.to_vec()).await;
    assert_eq!(info["state"], "Failed", "{info}");
    assert_eq!(info["errorMessage"], message, "{info}");
    assert_eq!(keys(&info).last().unwrap(), "errorMessage");
    assert_eq!(info["numberRecordsProcessed"], 0);
    assert_eq!(info["numberRecordsFailed"], 0);
    assert!(info.get("contentUrl").is_none());
    (info, results)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_column_fails_the_job_and_leaves_every_row_unprocessed() {
    let s = start().await;
    let (_, results) = assert_job_fails(
        &s,
        &insert_account(),
        b"Name,Foo\nFoo,12\nBar,1138\n",
        "InvalidBatch : Field name not found : Foo",
    )
    .await;
    let unprocessed = parse_csv(&results.unprocessed, b',');
    assert_eq!(
        unprocessed,
        [["Name", "Foo"], ["Foo", "12"], ["Bar", "1138"]],
        "{}",
        results.unprocessed
    );
    assert_eq!(parse_csv(&results.successful, b',').len(), 1);
    assert_eq!(parse_csv(&results.failed, b',').len(), 1);
    assert!(results.failed.starts_with("\"sf__Id\",\"sf__Error\","));
    assert_eq!(s.count("Account", true).await, 0);

    // Relationship columns that name no relationship, or a non-key parent field, are unknown columns too.
    assert_job_fails(
        &s,
        &json!({"object": "Contact", "operation": "insert"}),
        b"LastName,Account.Phone\nX,1\n",
        "InvalidBatch : Field name not found : Account.Phone",
    )
    .await;
    assert_job_fails(
        &s,
        &json!({"object": "Contact", "operation": "insert"}),
        b"LastName,Nope.Id\nX,1\n",
        "InvalidBatch : Field name not found : Nope.Id",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejected_header_comes_back_quoted_in_the_result_files() {
    // Spec §2.8.4 [REAL FX]: when the header itself was rejected, the columns come back quoted:
    // "sf__Id","sf__Error","Name","Employees"
    let s = start().await;
    let (_, results) = assert_job_fails(
        &s,
        &insert_account(),
        b"Name,Employees\nFoo,12\nBar,1138\n",
        "InvalidBatch : Field name not found : Employees",
    )
    .await;
    assert_eq!(
        results.failed,
        "\"sf__Id\",\"sf__Error\",\"Name\",\"Employees\"\n"
    );
    assert_eq!(
        results.successful,
        "\"sf__Id\",\"sf__Created\",\"Name\",\"Employees\"\n"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn line_endings_that_do_not_match_the_job_fail_it() {
    let s = start().await;
    assert_job_fails(
        &s,
        &insert_account(),
        b"Name\r\nA\r\nB\r\n",
        "ClientInputError : LineEnding is invalid on user data. Current LineEnding setting is LF",
    )
    .await;
    let crlf = json!({"object": "Account", "operation": "insert", "lineEnding": "CRLF"});
    assert_job_fails(
        &s,
        &crlf,
        b"Name\nA\nB\n",
        "ClientInputError : LineEnding is invalid on user data. Current LineEnding setting is CRLF",
    )
    .await;
    // A mismatch after the header still fails the whole job before any row is written.
    assert_job_fails(
        &s,
        &insert_account(),
        b"Name\nA\nB\r\nC\n",
        "ClientInputError : LineEnding is invalid on user data. Current LineEnding setting is LF",
    )
    .await;
    assert_job_fails(
        &s,
        &crlf,
        b"Name\r\nA\r\nB\nC\r\n",
        "ClientInputError : LineEnding is invalid on user data. Current LineEnding setting is CRLF",
    )
    .await;
    // A bare CR is no line ending at all.
    assert_job_fails(
        &s,
        &insert_account(),
        b"Name\rA\r",
        "ClientInputError : LineEnding is invalid on user data. Current LineEnding setting is LF",
    )
    .await;
    assert_eq!(s.count("Account", true).await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_in_another_delimiter_has_an_unknown_column() {
    let s = start().await;
    assert_job_fails(
        &s,
        &insert_account(),
        b"Name\tPhone\nA\t1\n",
        "InvalidBatch : Field name not found : Name\tPhone",
    )
    .await;
    let pipe = json!({"object": "Account", "operation": "insert", "columnDelimiter": "PIPE"});
    assert_job_fails(
        &s,
        &pipe,
        b"Name,Phone\nA,1\n",
        "InvalidBatch : Field name not found : Name,Phone",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_csv_fails_the_job_before_any_row_is_written() {
    let s = start().await;
    let (_, results) = assert_job_fails(
        &s,
        &insert_account(),
        b"Name\nok1\nok2\n\"never closed\n",
        "InvalidBatch : Failed to parse CSV. a quoted value that starts on line 4 is never closed",
    )
    .await;
    assert_eq!(s.count("Account", true).await, 0, "no rows written");
    // Rejected before processing: the header comes back quoted, as for a rejected header.
    assert_eq!(results.successful, "\"sf__Id\",\"sf__Created\",\"Name\"\n");

    let (info, _) = s
        .run(&insert_account(), b"Name,Phone\n\"a\"b,1\nok,2\n".to_vec())
        .await;
    assert_eq!(info["state"], "Failed");
    let message = info["errorMessage"].as_str().unwrap();
    assert!(
        message.starts_with("InvalidBatch : Failed to parse CSV"),
        "{message}"
    );
    assert_eq!(s.count("Account", true).await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_header_only_upload_completes_with_nothing_processed() {
    let s = start().await;
    for csv in ["Name,Phone\n", "Name,Phone"] {
        let (info, results) = s.run_complete(&insert_account(), csv).await;
        assert_eq!(info["numberRecordsProcessed"], 0);
        assert_eq!(info["numberRecordsFailed"], 0);
        assert_eq!(
            results.successful,
            "\"sf__Id\",\"sf__Created\",Name,Phone\n"
        );
        assert_eq!(results.failed, "\"sf__Id\",\"sf__Error\",Name,Phone\n");
        assert_eq!(results.unprocessed, "Name,Phone\n");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upsert_without_its_external_id_column_or_with_duplicate_columns_fails() {
    let s = start_with_extension(|_| {}).await;
    let upsert =
        json!({"object": "Account", "operation": "upsert", "externalIdFieldName": "Ext__c"});
    let (info, _) = s.run(&upsert, b"Name\nA\n".to_vec()).await;
    assert_eq!(info["state"], "Failed");
    assert_eq!(
        info["errorMessage"],
        "InvalidBatch : The external id field Ext__c is not in the header"
    );
    let (info, _) = s.run(&insert_account(), b"Name,name\nA,B\n".to_vec()).await;
    assert_eq!(info["state"], "Failed");
    assert_eq!(
        info["errorMessage"],
        "InvalidBatch : Duplicate field name: name"
    );
}
