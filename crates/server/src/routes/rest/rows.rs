//! Running a bounded query into memory: REST pages hold at most a batch of rows.

use bulkforce_core::id::SfId;
use bulkforce_core::value::Value;
use bulkforce_soql::bound::Query;
use bulkforce_store::{QueryOptions, Store};

/// Every row of a (bounded) query, in memory: REST pages hold at most a batch of rows.
pub(super) fn collect(
    store: &dyn Store,
    org: SfId,
    query: &Query,
    options: QueryOptions,
) -> bulkforce_store::Result<Vec<Vec<Value>>> {
    let mut rows = Vec::new();
    store.run_query(org, query, options, &mut |values| {
        rows.push(values.to_vec());
        Ok(true)
    })?;
    Ok(rows)
}
