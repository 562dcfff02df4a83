//! The project's validation rules on every write path: bulk insert, update (the merged record, prior
//! values) and upsert, REST sObject rows, sObject Collections, and a rule on a standard object.

use super::common::Server;
use super::*;
use reqwest::{Method, StatusCode};

const INSERT_COLUMNS: &str = "Ledger__c,Amount__c,Issue_Date__c,Due_Date__c,Status__c,Reference__c";

/// Inserts invoices on `ledger` from rows of [`INSERT_COLUMNS`] without the ledger; all must succeed.
async fn invoices(server: &Server, ledger: &str, rows: &[&str]) -> Vec<String> {
    let csv: String = rows.iter().map(|r| format!("{ledger},{r}\n")).collect();
    server
        .insert("Invoice__c", &format!("{INSERT_COLUMNS}\n{csv}"))
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bulk_insert_fails_each_row_a_rule_refuses_with_salesforces_text() {
    let s = serve().await;
    let org = org(&s).await;
    let l = org.ledger.as_str();
    let csv = format!(
        "{INSERT_COLUMNS}\n\
         {l},100,2026-01-01,2026-01-31,Sent,ABC-0001\n\
         {l},-5,2026-01-01,2026-01-31,Draft,\n\
         {l},100,2026-01-10,2026-01-01,Draft,\n\
         {l},100,2026-01-01,,Sent,\n\
         {l},100,2026-01-01,,Void,\n\
         {l},100,2026-01-01,,Draft,abc-1\n\
         {l},5000,2026-01-01,,Draft,\n\
         {l},,2026-01-01,,Draft,\n"
    );
    let (info, results) = s
        .run_complete(&json!({"object": "Invoice__c", "operation": "insert"}), csv)
        .await;
    assert_eq!(info["numberRecordsProcessed"], 8, "{info}");
    assert_eq!(info["numberRecordsFailed"], 6, "{}", results.failed);
    let refused = |error: String, cells: [&str; 5]| {
        let mut all = vec!["", error.as_str(), l];
        all.extend(cells);
        row(&all)
    };
    assert_eq!(
        results.failed,
        failed_file(
            INSERT_COLUMNS,
            &[
                refused(
                    rule_error("Amount must be positive.", Some("Amount__c")),
                    ["-5.0", "2026-01-01", "2026-01-31", "Draft", ""]
                ),
                refused(
                    rule_error(
                        "Due Date must be on or after Issue Date.",
                        Some("Due_Date__c")
                    ),
                    ["100.0", "2026-01-10", "2026-01-01", "Draft", ""]
                ),
                refused(
                    rule_error("A sent invoice needs a due date.", Some("Due_Date__c")),
                    ["100.0", "2026-01-01", "", "Sent", ""]
                ),
                refused(
                    rule_error("An invoice cannot be created void.", Some("Status__c")),
                    ["100.0", "2026-01-01", "", "Void", ""]
                ),
                refused(
                    rule_error("Reference must look like ABC-1234.", Some("Reference__c")),
                    ["100.0", "2026-01-01", "", "Draft", "abc-1"]
                ),
                refused(
                    rule_error(
                        "The amount exceeds the ledger's maximum.",
                        Some("Amount__c")
                    ),
                    ["5000.0", "2026-01-01", "", "Draft", ""]
                ),
            ]
        ),
        "the failed results, byte for byte (numbers echoed as Salesforce normalises them)"
    );
    // The first row has an amount: the inactive Legacy_No_Amount rule would have refused it.
    assert_eq!(s.count("Invoice__c", false).await, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bulk_update_checks_the_merged_record_and_its_prior_values() {
    let s = serve().await;
    let org = org(&s).await;
    let ids = invoices(
        &s,
        &org.ledger,
        &[
            "100,2026-01-01,2026-01-31,Paid,",
            "100,2026-01-01,,Draft,",
            "100,2026-01-01,,Draft,",
            "100,2026-01-01,,Draft,",
        ],
    )
    .await;
    let (paid, draft, dated, voided) = (&ids[0], &ids[1], &ids[2], &ids[3]);
    // Empty cells leave a field as it is (Bulk API 2.0): each row changes one thing.
    let columns = "Id,Amount__c,Due_Date__c,Status__c";
    let csv =
        format!("{columns}\n{paid},200,,\n{draft},300,,\n{dated},,2025-12-01,\n{voided},,,Void\n");
    let (info, results) = s
        .run_complete(&json!({"object": "Invoice__c", "operation": "update"}), csv)
        .await;
    assert_eq!(info["numberRecordsFailed"], 2, "{}", results.failed);
    assert_eq!(
        results.failed,
        failed_file(
            columns,
            &[
                row(&[
                    paid,
                    &rule_error("The amount of a paid invoice cannot change.", None),
                    paid,
                    "200.0",
                    "",
                    ""
                ]),
                row(&[
                    dated,
                    &rule_error(
                        "Due Date must be on or after Issue Date.",
                        Some("Due_Date__c")
                    ),
                    dated,
                    "",
                    "2025-12-01",
                    ""
                ]),
            ]
        ),
        "a top-of-page rule ends in `:--`; the stored Issue_Date__c (not in the row) is compared"
    );
    let stored = query(
        &s,
        "SELECT Id, Amount__c, Status__c FROM Invoice__c ORDER BY Name",
    )
    .await;
    let amounts: Vec<Option<f64>> = stored.iter().map(|r| number(&r["Amount__c"])).collect();
    assert_eq!(
        amounts,
        [Some(100.0), Some(300.0), Some(100.0), Some(100.0)],
        "a refused row writes nothing"
    );
    assert_eq!(stored[3]["Status__c"], "Void", "ISNEW() is false on update");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bulk_upsert_runs_the_rules_on_both_of_its_paths() {
    let s = serve().await;
    let org = org(&s).await;
    invoices(&s, &org.ledger, &["100,2026-01-01,,Draft,ABC-0001"]).await;
    let l = org.ledger.as_str();
    let csv = format!(
        "Reference__c,Ledger__c,Amount__c,Status__c\n\
         ABC-0001,{l},-1,Draft\n\
         XYZ-0002,{l},10,Void\n\
         xyz-2,{l},10,Draft\n\
         ABC-0003,{l},10,Draft\n"
    );
    let job = json!({"object": "Invoice__c", "operation": "upsert", "externalIdFieldName": "Reference__c"});
    let (info, results) = s.run_complete(&job, csv).await;
    assert_eq!(info["numberRecordsFailed"], 3, "{}", results.failed);
    assert_eq!(
        errors(&results.failed),
        [
            rule_error("Amount must be positive.", Some("Amount__c")),
            rule_error("An invoice cannot be created void.", Some("Status__c")),
            rule_error("Reference must look like ABC-1234.", Some("Reference__c")),
        ]
    );
    let rows = parse_csv(&results.successful, b',');
    assert_eq!(rows.len(), 2, "{}", results.successful);
    assert_eq!(rows[1][1], "true", "ABC-0003 is created");
    let kept = query(
        &s,
        "SELECT Amount__c FROM Invoice__c WHERE Reference__c = 'ABC-0001'",
    )
    .await;
    assert_eq!(number(&kept[0]["Amount__c"]), Some(100.0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rest_rows_are_refused_with_the_json_envelope() {
    let s = serve().await;
    let org = org(&s).await;
    let reply = call(
        &s,
        Method::POST,
        "/sobjects/Invoice__c",
        Some(json!({"Ledger__c": org.ledger, "Amount__c": -5})),
    )
    .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.text());
    assert_eq!(
        reply.json(),
        json!([{"message": "Amount must be positive.", "errorCode": "FIELD_CUSTOM_VALIDATION_EXCEPTION",
                "fields": ["Amount__c"]}])
    );

    let reply = call(
        &s,
        Method::POST,
        "/sobjects/Invoice__c",
        Some(json!({"Ledger__c": org.ledger, "Amount__c": 40, "Status__c": "Paid"})),
    )
    .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
    let paid = reply.json()["id"].as_str().unwrap().to_owned();
    let path = format!("/sobjects/Invoice__c/{paid}");
    let reply = call(&s, Method::PATCH, &path, Some(json!({"Amount__c": 41}))).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.text());
    assert_eq!(
        reply.json(),
        json!([{"message": "The amount of a paid invoice cannot change.",
                "errorCode": "FIELD_CUSTOM_VALIDATION_EXCEPTION", "fields": []}]),
        "a top-of-page rule names no field"
    );
    let reply = call(&s, Method::PATCH, &path, Some(json!({"Notes__c": "ok"}))).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT, "{}", reply.text());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rest_row_reports_every_failing_rule_in_name_order() {
    let s = serve().await;
    let org = org(&s).await;
    let reply = call(
        &s,
        Method::POST,
        "/sobjects/Invoice__c",
        Some(json!({"Ledger__c": org.ledger, "Amount__c": -5, "Reference__c": "nope"})),
    )
    .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.text());
    assert_eq!(
        reply.json(),
        json!([
            {"message": "Amount must be positive.", "errorCode": "FIELD_CUSTOM_VALIDATION_EXCEPTION",
             "fields": ["Amount__c"]},
            {"message": "Reference must look like ABC-1234.", "errorCode": "FIELD_CUSTOM_VALIDATION_EXCEPTION",
             "fields": ["Reference__c"]}
        ])
    );
    let record = json!({"attributes": {"type": "Invoice__c"}, "Ledger__c": org.ledger,
                        "Amount__c": -5, "Reference__c": "nope"});
    let body = json!({"allOrNone": false, "records": [record]});
    let reply = call(&s, Method::POST, "/composite/sobjects", Some(body)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    assert_eq!(
        reply.json()[0]["errors"],
        json!([
            {"statusCode": "FIELD_CUSTOM_VALIDATION_EXCEPTION", "message": "Amount must be positive.",
             "fields": ["Amount__c"]},
            {"statusCode": "FIELD_CUSTOM_VALIDATION_EXCEPTION",
             "message": "Reference must look like ABC-1234.", "fields": ["Reference__c"]}
        ]),
        "collections give the record one error per failing rule too"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn collections_refuse_each_record_a_rule_refuses() {
    let s = serve().await;
    let org = org(&s).await;
    let invoice = |amount: i64| json!({"attributes": {"type": "Invoice__c"}, "Ledger__c": org.ledger, "Amount__c": amount});
    let body = json!({"allOrNone": false, "records": [invoice(10), invoice(0)]});
    let reply = call(&s, Method::POST, "/composite/sobjects", Some(body)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let saved = reply.json();
    assert_eq!(saved[0]["success"], true, "{saved}");
    assert_eq!(
        saved[1],
        json!({"success": false, "errors": [{"statusCode": "FIELD_CUSTOM_VALIDATION_EXCEPTION",
               "message": "Amount must be positive.", "fields": ["Amount__c"]}]})
    );
    let id = saved[0]["id"].as_str().unwrap();
    let body = json!({"allOrNone": false, "records": [
        {"attributes": {"type": "Invoice__c"}, "Id": id, "Due_Date__c": "2000-01-01", "Issue_Date__c": "2000-02-01"}]});
    let reply = call(&s, Method::PATCH, "/composite/sobjects", Some(body)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    assert_eq!(
        reply.json()[0]["errors"],
        json!([{"statusCode": "FIELD_CUSTOM_VALIDATION_EXCEPTION",
                "message": "Due Date must be on or after Issue Date.", "fields": ["Due_Date__c"]}])
    );
    assert_eq!(s.count("Invoice__c", false).await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rule_on_a_standard_object_guards_its_custom_field() {
    let s = serve().await;
    let (info, results) = s
        .run_complete(
            &json!({"object": "Account", "operation": "insert"}),
            "Name,Tax_Number__c\nShort,123\nRight,123456789\nNone,\n",
        )
        .await;
    assert_eq!(info["numberRecordsFailed"], 1, "{}", results.failed);
    assert_eq!(
        results.failed,
        failed_file(
            "Name,Tax_Number__c",
            &[row(&[
                "",
                &rule_error("Tax number must have 9 characters.", Some("Tax_Number__c")),
                "Short",
                "123"
            ])]
        )
    );
    let reply = call(
        &s,
        Method::POST,
        "/sobjects/Account",
        Some(json!({"Name": "Short", "Tax_Number__c": "12"})),
    )
    .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.text());
    assert_eq!(
        reply.json(),
        json!([{"message": "Tax number must have 9 characters.",
                "errorCode": "FIELD_CUSTOM_VALIDATION_EXCEPTION", "fields": ["Tax_Number__c"]}])
    );
}
