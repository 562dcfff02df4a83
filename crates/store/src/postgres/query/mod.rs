//! Bound SOQL on PostgreSQL: the shared render plan (`soql_render`) in PostgreSQL's dialect
//! (`dialect`), its rows streamed from a portal fetched in batches, so a query job of millions of rows
//! holds one batch in memory, and a visitor that stops early stops the fetching.

mod cells;
mod dialect;
#[cfg(test)]
mod tests;

use super::PgStore;
use crate::soql_render::{self, FormulaEnv, Param, Rendered};
use crate::{QueryOptions, Result};
use bulkforce_core::id::SfId;
use bulkforce_core::value::Value;
use bulkforce_soql::bound::Query;
use cells::Cell;
use postgres::GenericClient;
use postgres::fallible_iterator::FallibleIterator;
use postgres::types::ToSql;

/// Rows fetched from the portal per round trip: enough to amortize the round trip, few enough that a
/// batch of wide rows stays small.
const FETCH_ROWS: i32 = 1_000;

impl PgStore {
    pub(super) fn pg_run_query(
        &self,
        org: SfId,
        query: &Query,
        options: QueryOptions,
        visit: &mut dyn FnMut(&[Value]) -> Result<bool>,
    ) -> Result<u64> {
        self.org(org)?;
        let mut conn = self.conn()?;
        run_in_with(
            &mut *conn,
            Some(self.formula_env()),
            org,
            query,
            options,
            visit,
        )
    }

    pub(super) fn pg_count_query(
        &self,
        org: SfId,
        query: &Query,
        options: QueryOptions,
    ) -> Result<u64> {
        self.org(org)?;
        let mut conn = self.conn()?;
        count_in_with(&mut *conn, Some(self.formula_env()), org, query, options)
    }

    /// What a query's formula fields are rendered with: the store's schema and clock.
    fn formula_env(&self) -> FormulaEnv<'_> {
        FormulaEnv {
            schema: &self.schema,
            now: self.clock.now(),
        }
    }
}

/// `query` as PostgreSQL SQL over `org`'s schema.
#[cfg(test)]
pub(crate) fn render(query: &Query, org: SfId, options: &QueryOptions) -> Result<Rendered> {
    render_with(query, org, options, None)
}

/// `query` as PostgreSQL SQL over `org`'s schema, formula fields rendered with `formulas`.
pub(crate) fn render_with(
    query: &Query,
    org: SfId,
    options: &QueryOptions,
    formulas: Option<FormulaEnv<'_>>,
) -> Result<Rendered> {
    soql_render::render(query, options, &dialect::Postgres::new(org), formulas)
}

/// Runs `query` over `org`'s records on `client` (a pooled connection, or a REST write unit's open
/// transaction, so the unit reads its own writes), calling `visit` with each row's values in SELECT
/// order until it returns false. Returns the number of rows visited.
///
/// The rows come from a portal in a transaction of their own (a savepoint inside an open one), fetched
/// [`FETCH_ROWS`] at a time.
#[cfg(test)]
pub(crate) fn run_in(
    client: &mut impl GenericClient,
    org: SfId,
    query: &Query,
    options: QueryOptions,
    visit: &mut dyn FnMut(&[Value]) -> Result<bool>,
) -> Result<u64> {
    run_in_with(client, None, org, query, options, visit)
}

/// Runs `query` as [`run_in`] does, formula fields rendered with `formulas`.
pub(crate) fn run_in_with(
    client: &mut impl GenericClient,
    formulas: Option<FormulaEnv<'_>>,
    org: SfId,
    query: &Query,
    options: QueryOptions,
    visit: &mut dyn FnMut(&[Value]) -> Result<bool>,
) -> Result<u64> {
    let rendered = render_with(query, org, &options, formulas)?;
    let mut tx = client.transaction()?;
    let statement = tx.prepare(&rendered.sql)?;
    let cells = statement
        .columns()
        .iter()
        .map(|c| Cell::of(c.type_()))
        .collect::<Result<Vec<_>>>()?;
    let portal = tx.bind(&statement, &sql_param_refs(&rendered.params))?;
    // One slot per column, reused row after row.
    let mut values = vec![Value::Null; cells.len()];
    let mut count = 0;
    'batches: loop {
        let mut rows = tx.query_portal_raw(&portal, FETCH_ROWS)?;
        let mut fetched = 0;
        while let Some(row) = rows.next()? {
            fetched += 1;
            for (i, (slot, cell)) in values.iter_mut().zip(&cells).enumerate() {
                cells::store_cell(slot, &row, i, *cell)?;
            }
            count += 1;
            if !visit(&values)? {
                break 'batches;
            }
        }
        if fetched < FETCH_ROWS {
            break;
        }
    }
    drop(portal);
    tx.commit()?;
    Ok(count)
}

/// The number of rows `query` returns over `org`'s records (ignoring its OFFSET, honouring its LIMIT).
#[cfg(test)]
pub(crate) fn count_in(
    client: &mut impl GenericClient,
    org: SfId,
    query: &Query,
    options: QueryOptions,
) -> Result<u64> {
    count_in_with(client, None, org, query, options)
}

/// Counts as [`count_in`] does, formula fields rendered with `formulas`.
pub(crate) fn count_in_with(
    client: &mut impl GenericClient,
    formulas: Option<FormulaEnv<'_>>,
    org: SfId,
    query: &Query,
    options: QueryOptions,
) -> Result<u64> {
    let rendered = render_with(&soql_render::counted(query), org, &options, formulas)?;
    let sql = format!("SELECT COUNT(*) FROM ({}) AS counted", rendered.sql);
    let row = client.query_one(&sql, &sql_param_refs(&rendered.params))?;
    let n: i64 = row.try_get(0)?;
    Ok(u64::try_from(n).unwrap_or_default())
}

/// The parameters as the driver takes them; each placeholder is cast to its value's type, so these
/// always match.
fn sql_param_refs(params: &[Param]) -> Vec<&(dyn ToSql + Sync)> {
    params
        .iter()
        .map(|p| -> &(dyn ToSql + Sync) {
            match p {
                Param::Text(s) => s,
                Param::Integer(i) => i,
                Param::Real(r) => r,
            }
        })
        .collect()
}
