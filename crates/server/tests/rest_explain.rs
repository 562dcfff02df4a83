//! `GET /query?explain=SOQL` and `/queryAll?explain=` over real HTTP: the plan shape, an index plan for a
//! selective filter on an indexed field, a table scan otherwise, counts through the store, and the query's
//! own errors for a bad statement.

mod common;

use common::{Server, accounts_csv, start, start_with_extension};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// `GET /query?explain=…` (or `/queryAll`), which must succeed; its plans.
async fn explain(server: &Server, resource: &str, soql: &str) -> Vec<Value> {
    let url =
        reqwest::Url::parse_with_params(&server.api(&format!("/{resource}/")), [("explain", soql)])
            .unwrap();
    let reply = server.get(url.as_str()).await;
    assert_eq!(reply.status, StatusCode::OK, "{soql}: {}", reply.text());
    let body = reply.json();
    assert_eq!(common::keys(&body), ["plans"], "{body}");
    body["plans"].as_array().unwrap().clone()
}

fn note(fields: &[&str]) -> Value {
    json!([{
        "description": "Not considering filter for optimization because unindexed",
        "fields": fields,
        "tableEnumOrId": "Account",
    }])
}

/// A plan's cost, as JSON numbers go (within a rounding of the last digit).
fn assert_cost(plan: &Value, expected: f64) {
    let cost = plan["relativeCost"].as_f64().expect("a number");
    assert!(
        (cost - expected).abs() < 1e-12,
        "{cost} != {expected}: {plan}"
    );
}

#[tokio::test]
async fn explain_plans_an_index_for_a_selective_indexed_filter_and_a_table_scan_otherwise() {
    let server = start_with_extension(|_| {}).await;
    server.insert("Account", &accounts_csv("Acct", 20)).await;
    let csv = "Name,Industry,Ext__c\nEnergy One,Energy,E-1\nEnergy Two,Energy,E-2\n";
    server.insert("Account", csv).await;

    let plans = explain(
        &server,
        "query",
        "SELECT Id FROM Account WHERE Name = 'Acct-1'",
    )
    .await;
    assert_eq!(plans.len(), 2, "{plans:?}");
    assert_cost(&plans[0], 1.0 / (22.0 * 0.3));
    assert_cost(&plans[1], 0.65);
    assert_eq!(
        plans[0],
        json!({
            "cardinality": 1,
            "fields": ["Name"],
            "leadingOperationType": "Index",
            "notes": note(&["IsDeleted"]),
            "relativeCost": plans[0]["relativeCost"],
            "sobjectCardinality": 22,
            "sobjectType": "Account",
        })
    );
    assert_eq!(
        plans[1],
        json!({
            "cardinality": 1,
            "fields": [],
            "leadingOperationType": "TableScan",
            "notes": note(&["IsDeleted"]),
            "relativeCost": plans[1]["relativeCost"],
            "sobjectCardinality": 22,
            "sobjectType": "Account",
        })
    );

    // An unindexed field: the table scan only, the field in the note.
    let plans = explain(
        &server,
        "query",
        "SELECT Name FROM Account WHERE Industry = 'Energy'",
    )
    .await;
    assert_eq!(plans.len(), 1, "{plans:?}");
    assert_eq!(plans[0]["leadingOperationType"], "TableScan");
    assert_eq!(plans[0]["cardinality"], 2);
    assert_eq!(plans[0]["notes"], note(&["Industry", "IsDeleted"]));

    // An index that matches most rows costs more than the scan, which comes first.
    let plans = explain(
        &server,
        "query",
        "SELECT Id FROM Account WHERE Name LIKE 'Acct%' AND Industry = null",
    )
    .await;
    let kinds: Vec<&Value> = plans.iter().map(|p| &p["leadingOperationType"]).collect();
    assert_eq!(kinds, [&json!("TableScan"), &json!("Index")], "{plans:?}");
    assert_eq!(plans[1]["cardinality"], 20);
    assert_eq!(plans[0]["cardinality"], 20);

    // A custom external id is indexed; a negation or a leading wildcard cannot lead with an index.
    let plans = explain(
        &server,
        "query",
        "SELECT Id FROM Account WHERE Ext__c = 'E-2'",
    )
    .await;
    assert_eq!(
        (
            plans[0]["leadingOperationType"].clone(),
            plans[0]["fields"].clone()
        ),
        (json!("Index"), json!(["Ext__c"]))
    );
    assert_cost(&plans[0], 1.0 / (22.0 * 0.1)); // a custom field's threshold is 10%
    for soql in [
        "SELECT Id FROM Account WHERE Name != 'Acct-1'",
        "SELECT Id FROM Account WHERE Name LIKE '%1'",
        "SELECT Id FROM Account",
    ] {
        let plans = explain(&server, "query", soql).await;
        assert_eq!(plans.len(), 1, "{soql}: {plans:?}");
        assert_eq!(plans[0]["leadingOperationType"], "TableScan", "{soql}");
    }

    // queryAll counts deleted records and filters nothing implicitly.
    let gone = server.insert("Account", "Name\nGone\n").await;
    let csv = format!("Id\n{}\n", gone[0]);
    server
        .run_complete(&json!({"object": "Account", "operation": "delete"}), csv)
        .await;
    let plans = explain(
        &server,
        "query",
        "SELECT Id FROM Account WHERE Name = 'Gone'",
    )
    .await;
    assert_eq!(
        (
            plans[0]["cardinality"].clone(),
            plans[0]["sobjectCardinality"].clone()
        ),
        (json!(0), json!(22))
    );
    let plans = explain(
        &server,
        "queryAll",
        "SELECT Id FROM Account WHERE Name = 'Gone'",
    )
    .await;
    assert_eq!(
        (
            plans[0]["cardinality"].clone(),
            plans[0]["sobjectCardinality"].clone()
        ),
        (json!(1), json!(23))
    );
    assert_eq!(plans[0]["notes"], json!([]));
}

#[tokio::test]
async fn explain_refuses_what_the_query_refuses_with_the_same_error() {
    let server = start().await;
    for soql in [
        "SELECT Nope FROM Account",
        "SELECT Id FROM Nope__c",
        "SELECT FROM",
    ] {
        let query = reqwest::Url::parse_with_params(&server.api("/query"), [("q", soql)]).unwrap();
        let run = server.get(query.as_str()).await;
        let explain =
            reqwest::Url::parse_with_params(&server.api("/query"), [("explain", soql)]).unwrap();
        let planned = server.get(explain.as_str()).await;
        assert_eq!(run.status, StatusCode::BAD_REQUEST, "{soql}");
        assert_eq!(
            (planned.status, planned.text()),
            (run.status, run.text()),
            "{soql}"
        );
    }
    let reply = server.get(&server.api("/query?explain=")).await;
    reply.assert_error(400, "MALFORMED_QUERY", "A query string has to be specified");
}
