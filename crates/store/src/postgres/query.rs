//! Bound SOQL rendered as PostgreSQL SQL with SOQL's semantics (case-insensitive text compare and
//! sort, nulls first ascending, SOQL's logic, date literals), streamed from a server-side cursor.
//! (Being built: each method answers `not_built`.)

use super::{PgStore, not_built};
use crate::{QueryOptions, Result};
use bulkforce_core::id::SfId;
use bulkforce_core::value::Value;

impl PgStore {
    pub(super) fn pg_run_query(
        &self,
        _org: SfId,
        _query: &bulkforce_soql::bound::Query,
        _options: QueryOptions,
        _visit: &mut dyn FnMut(&[Value]) -> Result<bool>,
    ) -> Result<u64> {
        Err(not_built("queries"))
    }

    pub(super) fn pg_count_query(
        &self,
        _org: SfId,
        _query: &bulkforce_soql::bound::Query,
        _options: QueryOptions,
    ) -> Result<u64> {
        Err(not_built("queries"))
    }
}
