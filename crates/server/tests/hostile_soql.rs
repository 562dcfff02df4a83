//! Hostile SOQL over real HTTP (issue 14): statements built to exhaust the parser's stack or SQLite's
//! limits are refused with Salesforce's errors (400 `MALFORMED_QUERY` / `QUERY_TOO_COMPLICATED`), the
//! server keeps answering, and statements just inside every bound still run.
//!
//! Without the bounds, the first two tests abort the whole test process (a stack overflow kills the
//! server's thread and with it the process), and the wide ones answer 500 or fail the job with SQLite's
//! words and SQL text.

mod common;

use common::{Reply, Server, start};
use reqwest::Method;
use serde_json::{Value, json};

/// The message of Salesforce's `QUERY_TOO_COMPLICATED`.
const TOO_COMPLICATED: &str =
    "Query is either selecting too many fields or the filter conditions are too complicated.";

/// Salesforce's message for a statement over 100,000 characters ("can not", no thousands separator).
const TOO_LONG: &str = "SOQL statements can not be longer than 100000 characters";

/// The deepest parenthesis nesting the parser accepts (`bulkforce_soql::limits::MAX_NESTING`).
const MAX_NESTING: usize = 50;
/// The deepest filter accepted (`bulkforce_soql::limits::MAX_FILTER_DEPTH`).
const MAX_FILTER_DEPTH: usize = 400;
/// The most values a statement may compare with (`bulkforce_soql::limits::MAX_FILTER_VALUES`).
const MAX_FILTER_VALUES: usize = 32_000;

#[test]
fn the_bounds_tested_here_are_the_crates_bounds() {
    assert_eq!(MAX_NESTING, bulkforce_soql::limits::MAX_NESTING);
    assert_eq!(MAX_FILTER_DEPTH, bulkforce_soql::limits::MAX_FILTER_DEPTH);
    assert_eq!(MAX_FILTER_VALUES, bulkforce_soql::limits::MAX_FILTER_VALUES);
}

/// `GET /query?q=…`.
async fn rest_query(server: &Server, soql: &str) -> Reply {
    server
        .send(
            server
                .request(Method::GET, &server.api("/query"))
                .query(&[("q", soql)]),
        )
        .await
}

/// `POST /jobs/query`.
async fn create_query(server: &Server, soql: &str) -> Reply {
    server
        .send(
            server
                .request(Method::POST, &server.api("/jobs/query"))
                .json(&json!({"operation": "query", "query": soql})),
        )
        .await
}

/// Creates a query job and waits for it to end; returns its final info.
async fn run_job(server: &Server, soql: &str) -> Value {
    let reply = create_query(server, soql).await;
    assert_eq!(reply.status, 200, "create: {}", reply.text());
    let id = reply.json()["id"].as_str().expect("job id").to_owned();
    for _ in 0..800 {
        let info = server
            .get(&server.api(&format!("/jobs/query/{id}")))
            .await
            .json();
        if matches!(
            info["state"].as_str(),
            Some("JobComplete" | "Failed" | "Aborted")
        ) {
            return info;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("query job {id} did not finish");
}

/// Asserts a 400 with `code` and, when given, exactly `message`; returns the message.
fn assert_refused(reply: &Reply, code: &str, message: Option<&str>) -> String {
    assert_eq!(reply.status, 400, "body: {}", reply.text());
    let body = reply.json();
    assert_eq!(body[0]["errorCode"], code, "body: {body}");
    let text = body[0]["message"].as_str().expect("a message").to_owned();
    if let Some(message) = message {
        assert_eq!(text, message);
    }
    for leak in [
        "SELECT c0",
        "q0_0",
        "sqlite",
        "Expression tree",
        "SQL variables",
    ] {
        assert!(!text.contains(leak), "internal detail leaked: {text}");
    }
    text
}

/// The server still answers a plain query after a hostile one.
async fn assert_still_serving(server: &Server) {
    let reply = rest_query(server, "SELECT Id FROM Account").await;
    assert_eq!(reply.status, 200, "{}", reply.text());
}

/// Three accounts: A (5 employees), B (7), C (no count).
async fn three_accounts(server: &Server) {
    server
        .insert("Account", "Name,NumberOfEmployees\nA,5\nB,7\nC,\n")
        .await;
}

/// The sorted names a REST query returns.
async fn names(server: &Server, soql: &str) -> Vec<String> {
    let reply = rest_query(server, soql).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let mut names: Vec<String> = reply.json()["records"]
        .as_array()
        .expect("records")
        .iter()
        .map(|r| r["Name"].as_str().expect("a name").to_owned())
        .collect();
    names.sort();
    names
}

fn nested_parentheses(depth: usize, inner: &str) -> String {
    format!(
        "SELECT Name FROM Account WHERE {}{inner}{}",
        "(".repeat(depth),
        ")".repeat(depth)
    )
}

fn nested_nots(depth: usize, inner: &str) -> String {
    format!(
        "SELECT Name FROM Account WHERE {}{inner}{}",
        "NOT (".repeat(depth),
        ")".repeat(depth)
    )
}

fn ored(n: usize) -> String {
    let conditions: Vec<String> = (0..n).map(|i| format!("NumberOfEmployees = {i}")).collect();
    format!("SELECT Name FROM Account WHERE {}", conditions.join(" OR "))
}

fn in_list(n: usize) -> String {
    format!(
        "SELECT Name FROM Account WHERE NumberOfEmployees IN ({})",
        vec!["7"; n].join(",")
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deep_parentheses_are_malformed_and_the_server_keeps_serving() {
    let server = start().await;
    // 1,440 levels (about 3 KB) as reported; 3,000 aborted the test process before the bound, 20,000
    // is about 40 KB.
    for depth in [1_440, 3_000, 20_000] {
        let soql = nested_parentheses(depth, "Name = 'A'");
        // Encoded, 20,000 levels would pass the URI length the HTTP layer accepts.
        if depth < 20_000 {
            assert_refused(&rest_query(&server, &soql).await, "MALFORMED_QUERY", None);
            assert_still_serving(&server).await;
        }
        assert_refused(&create_query(&server, &soql).await, "MALFORMED_QUERY", None);
        assert_still_serving(&server).await;
    }

    // One level past the bound is refused at the parenthesis that goes too deep.
    let soql = nested_parentheses(MAX_NESTING + 1, "Name = 'A'");
    let message = assert_refused(&rest_query(&server, &soql).await, "MALFORMED_QUERY", None);
    let column = "SELECT Name FROM Account WHERE ".len() + MAX_NESTING + 1;
    assert!(
        message.contains(&format!("ERROR at Row:1:Column:{column}\n")),
        "{message}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chain_of_nots_is_malformed_and_the_server_keeps_serving() {
    let server = start().await;
    // 1,000 answered 500 with SQLite's words before the bound; 3,000 aborted the test process.
    for depth in [1_000, 3_000] {
        let soql = nested_nots(depth, "Name = 'A'");
        assert_refused(&rest_query(&server, &soql).await, "MALFORMED_QUERY", None);
        assert_still_serving(&server).await;
        assert_refused(&create_query(&server, &soql).await, "MALFORMED_QUERY", None);
        assert_still_serving(&server).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nesting_at_the_bound_still_runs() {
    let server = start().await;
    three_accounts(&server).await;
    let soql = nested_parentheses(MAX_NESTING, "Name = 'A'");
    assert_eq!(names(&server, &soql).await, ["A"]);
    // An even number of NOTs is the condition itself; an odd one its negation.
    let soql = nested_nots(MAX_NESTING, "Name = 'A'");
    assert_eq!(names(&server, &soql).await, ["A"]);
    let soql = nested_nots(MAX_NESTING - 1, "Name = 'A'");
    assert_eq!(names(&server, &soql).await, ["B", "C"]);
    let info = run_job(&server, &nested_nots(MAX_NESTING, "Name = 'A'")).await;
    assert_eq!(info["state"], "JobComplete", "{info}");
    assert_eq!(info["numberRecordsProcessed"], 1);
}

/// A thousand ORed conditions used to answer 500 with SQLite's "Expression tree is too large", then were
/// refused as too complicated; Salesforce runs them (its `QUERY_TOO_COMPLICATED` comes from formula
/// expansion, not from a number of terms), and so does the store, rendering a chain as a balanced tree.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_ored_conditions_run() {
    let server = start().await;
    three_accounts(&server).await;
    assert_eq!(names(&server, &ored(1_000)).await, ["A", "B"]);
    // 3,000 terms (84 KB) are too long for a URL, not for a query job.
    for terms in [1_000, 3_000] {
        let info = run_job(&server, &ored(terms)).await;
        assert_eq!(info["state"], "JobComplete", "{info}");
        assert_eq!(info["numberRecordsProcessed"], 2);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_in_list_past_sqlites_variables_is_refused_at_create() {
    let server = start().await;
    let soql = in_list(32_767);
    assert!(soql.len() < 100_000, "the statement itself is short enough");
    assert_refused(
        &create_query(&server, &soql).await,
        "QUERY_TOO_COMPLICATED",
        Some(TOO_COMPLICATED),
    );
    assert_refused(
        &create_query(&server, &in_list(MAX_FILTER_VALUES + 1)).await,
        "QUERY_TOO_COMPLICATED",
        Some(TOO_COMPLICATED),
    );
    let jobs = server.get(&server.api("/jobs/query")).await.json();
    assert_eq!(jobs["records"], json!([]), "no job was created: {jobs}");

    three_accounts(&server).await;
    let info = run_job(&server, &in_list(MAX_FILTER_VALUES)).await;
    assert_eq!(info["state"], "JobComplete", "{info}");
    assert_eq!(info["numberRecordsProcessed"], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_statement_over_100000_characters_is_malformed() {
    let server = start().await;
    three_accounts(&server).await;
    let base = "SELECT Name FROM Account WHERE Name = 'A'";
    let long = format!("{base}{}", " ".repeat(100_001 - base.len()));
    assert_eq!(long.chars().count(), 100_001);
    create_query(&server, &long)
        .await
        .assert_error(400, "MALFORMED_QUERY", TOO_LONG);

    // Characters, not bytes: 100,000 characters of which some take two bytes are accepted.
    let pad = "é".repeat(1_000);
    let literal = format!("SELECT Name FROM Account WHERE Name != '{pad}'");
    let exact = format!("{literal}{}", " ".repeat(100_000 - literal.chars().count()));
    assert!(exact.len() > 100_000);
    let info = run_job(&server, &exact).await;
    assert_eq!(info["state"], "JobComplete", "{info}");
    assert_eq!(info["numberRecordsProcessed"], 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn string_literals_are_limited_to_4000_characters() {
    let server = start().await;
    three_accounts(&server).await;
    let at_bound = format!(
        "SELECT Name FROM Account WHERE Name LIKE '{}%'",
        "A".repeat(3_999)
    );
    assert_eq!(names(&server, &at_bound).await, Vec::<String>::new());
    let past = format!(
        "SELECT Name FROM Account WHERE Name LIKE '{}%'",
        "A".repeat(4_000)
    );
    let message = assert_refused(&create_query(&server, &past).await, "MALFORMED_QUERY", None);
    assert!(
        message.ends_with("\nString literals can not be longer than 4000 characters"),
        "{message}"
    );
}

/// Everything at its bound at once (nesting, NOTs, a wide chain of comparisons through a date function,
/// date-literal ranges and a null in an IN list, and an anti-join with a wide filter of its own): SQLite's
/// own limits stay out of reach.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_deepest_accepted_filter_runs_in_sqlite() {
    let server = start().await;
    three_accounts(&server).await;
    // Semi-joins stay at the top level, so: `anti-join AND (NOT (NOT (… (chain) …)))`, where the group,
    // 48 NOTs and the chain's own parenthesis nest 50 deep.
    let nots = MAX_NESTING - 2;
    let sub: Vec<String> = (0..100).map(|i| format!("Name != '{i}'")).collect();
    // The chain: 99 comparisons through a date function, then an IN list of one null and date literals,
    // each an OR in SQL (depth 1 + its values). Depth: 1 for the AND, the NOTs, 7 for a balanced chain of
    // 100 terms, and the IN list's.
    let in_values = MAX_FILTER_DEPTH - 1 - nots - 7 - 1;
    let mut parts: Vec<String> = (0..99)
        .map(|i| format!("FISCAL_QUARTER(CreatedDate) != {}", i % 4 + 10))
        .collect();
    let literals = ["TODAY", "YESTERDAY", "LAST_WEEK", "LAST_MONTH", "THIS_YEAR"];
    let mut values: Vec<&str> = vec!["null"];
    values.extend((1..in_values).map(|i| literals[i % literals.len()]));
    parts.push(format!("CreatedDate IN ({})", values.join(", ")));
    let soql = format!(
        "SELECT Name FROM Account WHERE Id NOT IN (SELECT AccountId FROM Contact WHERE {}) \
         AND ({}({}){})",
        sub.join(" OR "),
        "NOT (".repeat(nots),
        parts.join(" OR "),
        ")".repeat(nots)
    );
    let ctx = bulkforce_soql::BindContext {
        now: chrono::Utc::now(),
        fiscal_year_start_month: 1,
    };
    let schema = bulkforce_core::schema::Schema::builtin();
    let bound = bulkforce_soql::compile(&soql, &schema, &ctx, bulkforce_soql::Mode::BulkQuery)
        .expect("the statement is within every bound");
    assert_eq!(
        bulkforce_soql::limits::query_depth(&bound),
        MAX_FILTER_DEPTH
    );
    // No contacts, and an even number of NOTs over a chain every account passes (no fiscal quarter is
    // 10 or more): every account.
    assert_eq!(names(&server, &soql).await, ["A", "B", "C"]);
    let info = run_job(&server, &soql).await;
    assert_eq!(info["state"], "JobComplete", "{info}");
    assert_eq!(info["numberRecordsProcessed"], 3);
}

/// A storage failure reaches the client as Salesforce's `UNKNOWN_EXCEPTION` with an ErrorId, never with
/// SQLite's words or SQL text. The failure used here: 65 parent paths three hops deep need 89 joins, past
/// SQLite's 64 tables in a join (Salesforce would refuse more than 35 relationships at create; when that
/// bound exists, this test needs another way to make the store fail).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn storage_failures_do_not_leak_sql_or_sqlite_words() {
    if common::sqlite_only(
        "the failure provoked is SQLite's 64-table join limit; PostgreSQL answers",
    ) {
        return;
    }
    let server = start().await;
    three_accounts(&server).await;
    let to_account = ["Parent", "MasterRecord"];
    let to_user = ["Owner", "CreatedBy", "LastModifiedBy"];
    let from_user = ["Manager", "CreatedBy", "LastModifiedBy"];
    let mut paths = Vec::new();
    let mut walk = vec![(String::new(), true)];
    for _ in 0..3 {
        let mut next = Vec::new();
        for (path, is_account) in walk {
            let hops: Vec<(&str, bool)> = if is_account {
                to_account
                    .iter()
                    .map(|h| (*h, true))
                    .chain(to_user.iter().map(|h| (*h, false)))
                    .collect()
            } else {
                from_user.iter().map(|h| (*h, false)).collect()
            };
            for (hop, to_account) in hops {
                next.push((format!("{path}{hop}."), to_account));
            }
        }
        walk = next;
    }
    for (path, _) in &walk {
        paths.push(format!("{path}Id"));
    }
    assert_eq!(paths.len(), 65);
    let soql = format!("SELECT {} FROM Account", paths.join(", "));
    let generic =
        "An unexpected error occurred. Please include this ErrorId if you contact support: ";

    let reply = rest_query(&server, &soql).await;
    assert_eq!(reply.status, 500, "{}", reply.text());
    let body = reply.json();
    assert_eq!(body[0]["errorCode"], "UNKNOWN_EXCEPTION");
    let message = body[0]["message"].as_str().expect("a message");
    assert!(message.starts_with(generic), "{message}");
    assert!(
        !message.contains("join") && !message.contains("database"),
        "{message}"
    );

    let info = run_job(&server, &soql).await;
    assert_eq!(info["state"], "Failed", "{info}");
    let message = info["errorMessage"].as_str().expect("an errorMessage");
    assert!(
        message.starts_with(&format!("Unknown : {generic}")),
        "{message}"
    );
    assert!(
        !message.contains("join") && !message.contains("database"),
        "{message}"
    );
    assert_still_serving(&server).await;
}
