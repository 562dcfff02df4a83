//! Bound queries: rows in the query's order, a visitor that stops early, counts without the OFFSET.
//! The SOQL semantics themselves are the server's `soql_semantics` tests; these check the trait's shape.

use super::{Backend, Fixture};
use crate::{QueryOptions, Result};
use bulkforce_core::job::Operation;
use bulkforce_core::value::Value;
use bulkforce_soql::{BindContext, Mode, bound::Query};

fn compile(f: &Fixture, soql: &str) -> Query {
    let context = BindContext {
        now: chrono::Utc::now(),
        fiscal_year_start_month: 1,
    };
    bulkforce_soql::compile(soql, f.store.schema(), &context, Mode::Rest)
        .expect("the conformance queries are valid SOQL")
}

/// Inserts Accounts with these names.
fn seed(f: &Fixture, names: &[&str]) -> Result<()> {
    let job = f.claimed(Operation::Insert)?;
    let rows = names.iter().map(|n| f.insert(n)).collect();
    f.apply(&job, Operation::Insert, 0, rows)?
        .expect("the seeding job takes its chunk");
    Ok(())
}

pub fn a_query_visits_rows_in_order_and_can_stop(backend: &dyn Backend) -> Result<()> {
    let f = Fixture::open(backend)?;
    seed(&f, &["beta", "Alpha", "gamma"])?;
    let query = compile(&f, "SELECT Name FROM Account ORDER BY Name");
    let mut names = Vec::new();
    let visited = f
        .store
        .run_query(f.org(), &query, QueryOptions::default(), &mut |row| {
            names.push(row.to_vec());
            Ok(true)
        })?;
    assert_eq!(visited, 3);
    let text = |s: &str| vec![Value::Text(s.to_owned())];
    assert_eq!(
        names,
        vec![text("Alpha"), text("beta"), text("gamma")],
        "text sorts without case"
    );

    let mut seen = 0;
    let visited = f
        .store
        .run_query(f.org(), &query, QueryOptions::default(), &mut |_| {
            seen += 1;
            Ok(seen < 2)
        })?;
    assert_eq!(
        (visited, seen),
        (2, 2),
        "a visitor returning false stops the query"
    );
    Ok(())
}

pub fn a_count_ignores_the_offset(backend: &dyn Backend) -> Result<()> {
    let f = Fixture::open(backend)?;
    seed(&f, &["a", "b", "c", "d"])?;
    let query = compile(&f, "SELECT Id FROM Account ORDER BY Name LIMIT 3 OFFSET 2");
    let count = f
        .store
        .count_query(f.org(), &query, QueryOptions::default())?;
    assert_eq!(count, 3, "the LIMIT holds, the OFFSET is ignored");
    let mut rows = 0;
    f.store
        .run_query(f.org(), &query, QueryOptions::default(), &mut |_| {
            rows += 1;
            Ok(true)
        })?;
    assert_eq!(rows, 2, "running it honours the OFFSET");
    let all = compile(&f, "SELECT Id FROM Account");
    assert_eq!(
        f.store
            .count_query(f.org(), &all, QueryOptions::default())?,
        4
    );
    Ok(())
}
