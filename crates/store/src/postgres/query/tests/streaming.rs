//! Rows streamed from the portal: many batches, a visitor that stops early, a query inside an open
//! transaction (a REST unit's) that sees its uncommitted rows and leaves it usable, and the widest
//! filters SOQL accepts.

use super::fixture::Both;
use crate::QueryOptions;
use crate::postgres::ddl;
use bulkforce_core::value::Value;
use bulkforce_soql::limits::{MAX_FILTER_DEPTH, MAX_FILTER_VALUES, MAX_NESTING};

/// Rows enough for several fetches.
const MANY: i64 = 2_500;

fn add_many(both: &mut Both) {
    let table = ddl::table_name(&both.schema, both.org, "Lead").expect("a table");
    both.pg
        .batch_execute(&format!(
            "INSERT INTO {table} (\"Id\", \"LastName\", \"Company\", \"IsDeleted\") \
             SELECT '00Q' || lpad(n::text, 15, '0'), 'Lead ' || lpad(n::text, 5, '0'), 'Acme', 0 \
             FROM generate_series(1, {MANY}) AS n"
        ))
        .expect("many leads");
}

fn leads(both: &mut Both, stop_after: Option<u64>) -> (u64, Vec<String>) {
    let query = both.compile("SELECT LastName FROM Lead ORDER BY LastName", 1);
    let mut seen = Vec::new();
    let visited = super::super::run_in(
        &mut both.pg,
        both.org,
        &query,
        QueryOptions::default(),
        &mut |row| {
            if let Value::Text(name) = &row[0] {
                seen.push(name.clone());
            }
            Ok(stop_after.is_none_or(|n| (seen.len() as u64) < n))
        },
    )
    .expect("the query runs");
    (visited, seen)
}

#[test]
fn every_row_comes_in_order_across_fetches() {
    let mut both = Both::load();
    add_many(&mut both);
    let (visited, seen) = leads(&mut both, None);
    assert_eq!(visited, MANY as u64);
    assert_eq!(seen.len(), MANY as usize);
    assert_eq!(seen[0], "Lead 00001");
    assert_eq!(seen[MANY as usize - 1], format!("Lead {MANY:05}"));
    assert!(seen.windows(2).all(|w| w[0] < w[1]));
}

#[test]
fn a_visitor_that_stops_stops_the_fetching() {
    let mut both = Both::load();
    add_many(&mut both);
    let (visited, seen) = leads(&mut both, Some(1_500));
    assert_eq!((visited, seen.len()), (1_500, 1_500));
    // The connection is left ready for the next statement.
    let (visited, _) = leads(&mut both, Some(3));
    assert_eq!(visited, 3);
}

#[test]
fn a_query_in_an_open_transaction_reads_its_writes_and_leaves_it_usable() {
    let mut both = Both::load();
    let table = ddl::table_name(&both.schema, both.org, "Lead").expect("a table");
    let query = both.compile("SELECT LastName FROM Lead", 1);
    let bad = both.compile(
        "SELECT Name FROM Account WHERE CALENDAR_YEAR(CreatedDate) = 2024",
        1,
    );
    let mut tx = both.pg.transaction().expect("a transaction");
    tx.batch_execute(&format!(
        "INSERT INTO {table} (\"Id\", \"LastName\", \"Company\", \"IsDeleted\") \
         VALUES ('00Q000000000000001', 'Uncommitted', 'Acme', 0)"
    ))
    .expect("a lead");
    let mut names = Vec::new();
    super::super::run_in(
        &mut tx,
        both.org,
        &query,
        QueryOptions::default(),
        &mut |row| {
            names.push(row[0].clone());
            Ok(true)
        },
    )
    .expect("the query runs inside the transaction");
    assert_eq!(names, [Value::Text("Uncommitted".into())]);
    // A statement that fails inside the query's savepoint does not poison the transaction.
    let account = ddl::table_name(&both.schema, both.org, "Account").expect("a table");
    tx.batch_execute(&format!(
        "UPDATE {account} SET \"CreatedDate\" = 'not a date' WHERE \"Name\" = 'alpha'"
    ))
    .expect("a broken value");
    let failed = super::super::run_in(
        &mut tx,
        both.org,
        &bad,
        QueryOptions::default(),
        &mut |_| Ok(true),
    );
    assert!(failed.is_err(), "the cast fails");
    let n = super::super::count_in(&mut tx, both.org, &query, QueryOptions::default())
        .expect("the transaction is still usable");
    assert_eq!(n, 1);
    tx.rollback().expect("rolled back");
}

#[test]
fn the_widest_accepted_filters_run() {
    let mut both = Both::load();
    let nots = MAX_NESTING - 2;
    let sub: Vec<String> = (0..100).map(|i| format!("Name != '{i}'")).collect();
    let chain = MAX_FILTER_DEPTH - 1 - nots - 7 + 1;
    let mut parts: Vec<String> = (0..chain - 1)
        .map(|i| format!("FISCAL_QUARTER(CreatedDate) != {}", i % 4 + 10))
        .collect();
    parts.push("CreatedDate IN (TODAY, YESTERDAY, LAST_WEEK, LAST_MONTH, null, THIS_YEAR)".into());
    let deepest = format!(
        "SELECT Name FROM Account WHERE Id NOT IN (SELECT AccountId FROM Contact WHERE {}) \
         AND ({}({}){}) ORDER BY Name, Id",
        sub.join(" OR "),
        "NOT (".repeat(nots),
        parts.join(" OR "),
        ")".repeat(nots)
    );
    let widest = format!(
        "SELECT Name FROM Account WHERE NumberOfEmployees IN ({}) ORDER BY Name",
        vec!["10"; MAX_FILTER_VALUES].join(",")
    );
    for soql in [deepest, widest] {
        let (lite, pg) = both.rows(&soql, QueryOptions::default());
        assert!(!pg.is_empty(), "rows on PostgreSQL");
        assert_eq!(lite, pg, "{}", &soql[..200]);
    }
}

/// An export is read in the primary key's order: the default `ORDER BY "Id" COLLATE "C"` matches the
/// "C" collation of the record columns, so the index serves it and a query of millions of rows starts
/// at once instead of sorting first (with sorts priced out, a plan that still sorts could not use it).
#[test]
fn the_default_order_is_the_primary_keys() {
    let mut both = Both::load();
    add_many(&mut both);
    let query = both.compile("SELECT Id, LastName FROM Lead", 1);
    let rendered = super::super::render(&query, both.org, &QueryOptions::default()).expect("SQL");
    both.pg
        .batch_execute("ANALYZE; SET enable_sort = off")
        .expect("settings");
    let plan: Vec<String> = both
        .pg
        .query(&format!("EXPLAIN {}", rendered.sql), &[])
        .expect("a plan")
        .iter()
        .map(|row| row.get(0))
        .collect();
    let plan = plan.join("\n");
    assert!(
        plan.contains("Index Scan") && !plan.contains("Sort"),
        "{plan}"
    );
}
