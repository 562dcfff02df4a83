//! The project's formula fields: computed when read (REST query, Bulk query job) from the row and through
//! its lookup, with each field's blank handling; usable in WHERE and ORDER BY; described as calculated; never
//! written.

use super::common::Server;
use super::*;
use reqwest::{Method, StatusCode};

/// Three invoices: INV-0001 (account Acme, Sent, 10 % discount), INV-0002 (blanks: no account, discount
/// or due date), INV-0003 (Paid, 50 % discount).
async fn three_invoices(server: &Server) -> Org {
    let org = org(server).await;
    let (l, a) = (&org.ledger, &org.account);
    server
        .insert(
            "Invoice__c",
            &format!(
                "Ledger__c,Account__c,Amount__c,Discount__c,Quantity__c,Issue_Date__c,Due_Date__c,Status__c,Paid__c\n\
                 {l},{a},200,10,3,2026-01-01,2026-01-31,Sent,false\n\
                 {l},,50,,2,2026-02-01,,Draft,false\n\
                 {l},,500,50,1,2026-03-01,2026-03-10,Paid,true\n"
            ),
        )
        .await;
    org
}

const FORMULAS: &str = "Name, Net_Amount__c, Days_To_Pay__c, Line_Total__c, Is_Open__c, Label__c, \
                        Grace_Date__c, Account_Industry__c";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rest_query_computes_every_formula_field() {
    let s = serve().await;
    three_invoices(&s).await;
    let records = query(
        &s,
        &format!("SELECT {FORMULAS} FROM Invoice__c ORDER BY Name"),
    )
    .await;
    let numbers =
        |field: &str| -> Vec<Option<f64>> { records.iter().map(|r| number(&r[field])).collect() };
    let names: Vec<&Value> = records.iter().map(|r| &r["Name"]).collect();
    assert_eq!(
        names,
        [&json!("INV-0001"), &json!("INV-0002"), &json!("INV-0003")]
    );
    assert_eq!(
        numbers("Net_Amount__c"),
        [Some(180.0), Some(50.0), Some(250.0)],
        "a percent is a fraction in a formula; BlankAsZero makes the blank discount 0"
    );
    assert_eq!(
        numbers("Days_To_Pay__c"),
        [Some(30.0), None, Some(9.0)],
        "date minus date in days; BlankAsBlank keeps the blank due date blank"
    );
    assert_eq!(
        numbers("Line_Total__c"),
        [Some(600.0), Some(100.0), Some(500.0)]
    );
    let rest: Vec<Value> = records
        .iter()
        .map(|r| {
            json!([
                r["Is_Open__c"],
                r["Label__c"],
                r["Grace_Date__c"],
                r["Account_Industry__c"]
            ])
        })
        .collect();
    assert_eq!(
        rest,
        [
            json!([true, "INV-0001 Sent", "2026-02-15", "Banking"]),
            json!([true, "INV-0002 Draft", null, null]),
            json!([false, "INV-0003 Paid", "2026-03-25", null]),
        ],
        "checkbox, text (with the auto-number), date and cross-object formulas"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn formula_fields_filter_and_sort_in_soql() {
    let s = serve().await;
    three_invoices(&s).await;
    let names = |records: Vec<Value>| -> Vec<String> {
        records
            .iter()
            .map(|r| r["Name"].as_str().unwrap().to_owned())
            .collect()
    };
    let cases = [
        (
            "SELECT Name FROM Invoice__c WHERE Net_Amount__c > 100 ORDER BY Net_Amount__c DESC",
            vec!["INV-0003", "INV-0001"],
        ),
        (
            "SELECT Name FROM Invoice__c WHERE Is_Open__c = true ORDER BY Days_To_Pay__c",
            vec!["INV-0002", "INV-0001"],
        ),
        (
            "SELECT Name FROM Invoice__c WHERE Account_Industry__c = 'Banking'",
            vec!["INV-0001"],
        ),
        (
            "SELECT Name FROM Invoice__c WHERE Label__c LIKE '%Paid'",
            vec!["INV-0003"],
        ),
        (
            "SELECT Name FROM Invoice__c WHERE Grace_Date__c > 2026-03-01 OR Days_To_Pay__c = null ORDER BY Name",
            vec!["INV-0002", "INV-0003"],
        ),
        (
            "SELECT Name FROM Invoice__c ORDER BY Grace_Date__c DESC NULLS LAST",
            vec!["INV-0003", "INV-0001", "INV-0002"],
        ),
    ];
    for (soql, expected) in cases {
        assert_eq!(names(query(&s, soql).await), expected, "{soql}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_query_job_writes_formula_values_in_its_csv() {
    let s = serve().await;
    three_invoices(&s).await;
    let csv = bulk_query(
        &s,
        "SELECT Name, Net_Amount__c, Is_Open__c, Account_Industry__c FROM Invoice__c \
         WHERE Net_Amount__c > 100 ORDER BY Net_Amount__c DESC",
    )
    .await;
    let rows = parse_csv(&csv, b',');
    assert_eq!(
        rows[0],
        ["Name", "Net_Amount__c", "Is_Open__c", "Account_Industry__c"],
        "{csv}"
    );
    let data: Vec<(String, f64, String, String)> = rows[1..]
        .iter()
        .map(|r| {
            let net = r[1].parse().unwrap_or_else(|_| panic!("{csv}"));
            (r[0].clone(), net, r[2].clone(), r[3].clone())
        })
        .collect();
    assert_eq!(
        data,
        [
            (
                "INV-0003".to_owned(),
                250.0,
                "false".to_owned(),
                String::new()
            ),
            (
                "INV-0001".to_owned(),
                180.0,
                "true".to_owned(),
                "Banking".to_owned()
            ),
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_formula_follows_the_fields_it_reads() {
    let s = serve().await;
    let org = three_invoices(&s).await;
    let second = &query(&s, "SELECT Id FROM Invoice__c WHERE Name = 'INV-0002'").await[0];
    let id = second["Id"].as_str().unwrap();
    let (info, results) = s
        .run_complete(
            &json!({"object": "Invoice__c", "operation": "update"}),
            format!("Id,Discount__c,Account__c\n{id},20,{}\n", org.account),
        )
        .await;
    assert_eq!(info["numberRecordsFailed"], 0, "{}", results.failed);
    let after = query(
        &s,
        "SELECT Net_Amount__c, Account_Industry__c FROM Invoice__c WHERE Name = 'INV-0002'",
    )
    .await;
    assert_eq!(number(&after[0]["Net_Amount__c"]), Some(40.0));
    assert_eq!(after[0]["Account_Industry__c"], "Banking");
    let reply = call(
        &s,
        Method::PATCH,
        &format!("/sobjects/Account/{}", org.account),
        Some(json!({"Industry": "Energy"})),
    )
    .await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT, "{}", reply.text());
    let after = query(
        &s,
        "SELECT Account_Industry__c FROM Invoice__c WHERE Name = 'INV-0002'",
    )
    .await;
    assert_eq!(
        after[0]["Account_Industry__c"], "Energy",
        "read from the parent now"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn describe_lists_formula_fields_as_calculated() {
    let s = serve().await;
    let net = describe_field(&s, "Invoice__c", "Net_Amount__c").await;
    let shape = |f: &Value| {
        json!({"type": f["type"], "calculated": f["calculated"], "calculatedFormula": f["calculatedFormula"],
               "createable": f["createable"], "updateable": f["updateable"], "nillable": f["nillable"]})
    };
    assert_eq!(
        shape(&net),
        json!({"type": "currency", "calculated": true, "calculatedFormula": "Amount__c * (1 - Discount__c)",
               "createable": false, "updateable": false, "nillable": true})
    );
    let label = describe_field(&s, "Invoice__c", "Label__c").await;
    assert_eq!(
        shape(&label),
        json!({"type": "string", "calculated": true, "calculatedFormula": "Name & \" \" & TEXT(Status__c)",
               "createable": false, "updateable": false, "nillable": true}),
        "the formula split over two lines of XML, unescaped"
    );
    for (field, ftype) in [
        ("Days_To_Pay__c", "double"),
        ("Is_Open__c", "boolean"),
        ("Grace_Date__c", "date"),
        ("Account_Industry__c", "string"),
    ] {
        let f = describe_field(&s, "Invoice__c", field).await;
        assert_eq!(
            (f["type"].as_str(), f["calculated"].as_bool()),
            (Some(ftype), Some(true)),
            "{field}: {f}"
        );
    }
    let amount = describe_field(&s, "Invoice__c", "Amount__c").await;
    assert_eq!(amount["calculated"], false, "{amount}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn formula_fields_cannot_be_written() {
    let s = serve().await;
    let org = org(&s).await;
    let message = "Unable to create/update fields: Net_Amount__c. Please check the security settings of this \
                   field and verify that it is read/write for your profile or permission set.";
    let (_, results) = s
        .run_complete(
            &json!({"object": "Invoice__c", "operation": "insert"}),
            format!("Ledger__c,Net_Amount__c\n{},5\n", org.ledger),
        )
        .await;
    assert_eq!(
        errors(&results.failed),
        [format!(
            "INVALID_FIELD_FOR_INSERT_UPDATE:{message}:Net_Amount__c --"
        )]
    );
    let reply = call(
        &s,
        Method::POST,
        "/sobjects/Invoice__c",
        Some(json!({"Ledger__c": org.ledger, "Net_Amount__c": 5})),
    )
    .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.text());
    assert_eq!(
        reply.json(),
        json!([{"errorCode": "INVALID_FIELD_FOR_INSERT_UPDATE", "message": message, "fields": ["Net_Amount__c"]}])
    );
}
