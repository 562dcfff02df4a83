//! Bound SOQL rendered as PostgreSQL SQL with SOQL's semantics (case-insensitive text compare and
//! sort, nulls first ascending, SOQL's logic, date literals), streamed from a server-side cursor.
//! (Being built: each function answers `not_built`.)

use super::{PgStore, not_built};
use crate::{QueryOptions, Result};
use bulkforce_core::id::SfId;
use bulkforce_core::value::Value;
use bulkforce_soql::bound::Query;
use postgres::GenericClient;

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
        run_in(&mut *conn, org, query, options, visit)
    }

    pub(super) fn pg_count_query(
        &self,
        org: SfId,
        query: &Query,
        options: QueryOptions,
    ) -> Result<u64> {
        self.org(org)?;
        let mut conn = self.conn()?;
        count_in(&mut *conn, org, query, options)
    }
}

/// Runs `query` over `org`'s records on `client` (a pooled connection, or a REST write unit's open
/// transaction, so the unit reads its own writes), calling `visit` with each row's values in SELECT
/// order until it returns false. Returns the number of rows visited.
pub(crate) fn run_in(
    _client: &mut impl GenericClient,
    _org: SfId,
    _query: &Query,
    _options: QueryOptions,
    _visit: &mut dyn FnMut(&[Value]) -> Result<bool>,
) -> Result<u64> {
    Err(not_built("queries"))
}

/// The number of rows `query` returns over `org`'s records (ignoring its OFFSET, honouring its LIMIT).
pub(crate) fn count_in(
    _client: &mut impl GenericClient,
    _org: SfId,
    _query: &Query,
    _options: QueryOptions,
) -> Result<u64> {
    Err(not_built("queries"))
}
