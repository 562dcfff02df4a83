//! Running a bounded query into memory (REST pages hold at most a batch of rows), from the store or from an
//! open unit of record writes.

use bulkforce_core::id::SfId;
use bulkforce_core::value::Value;
use bulkforce_soql::bound::Query;
use bulkforce_store::{QueryOptions, RecordUnit, Store};

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

/// Where a REST query page reads its rows: the store for `GET /query`, or an open write unit for a
/// composite's query subrequest, which must see what earlier subrequests wrote before anything commits.
pub(super) trait QueryRows {
    /// Every row of a (bounded) query.
    fn rows(
        &mut self,
        query: &Query,
        options: QueryOptions,
    ) -> bulkforce_store::Result<Vec<Vec<Value>>>;

    /// The number of rows the query returns, ignoring its OFFSET (as [`Store::count_query`]).
    fn count(&mut self, query: &Query, options: QueryOptions) -> bulkforce_store::Result<u64>;
}

/// The committed rows of one org.
pub(super) struct StoreRows<'a> {
    pub store: &'a dyn Store,
    pub org: SfId,
}

impl QueryRows for StoreRows<'_> {
    fn rows(
        &mut self,
        query: &Query,
        options: QueryOptions,
    ) -> bulkforce_store::Result<Vec<Vec<Value>>> {
        collect(self.store, self.org, query, options)
    }

    fn count(&mut self, query: &Query, options: QueryOptions) -> bulkforce_store::Result<u64> {
        self.store.count_query(self.org, query, options)
    }
}

/// The rows as an open unit of record writes sees them.
pub(super) struct UnitRows<'a>(pub &'a mut dyn RecordUnit);

impl QueryRows for UnitRows<'_> {
    fn rows(
        &mut self,
        query: &Query,
        options: QueryOptions,
    ) -> bulkforce_store::Result<Vec<Vec<Value>>> {
        let mut rows = Vec::new();
        self.0.run_query(query, options, &mut |values| {
            rows.push(values.to_vec());
            Ok(true)
        })?;
        Ok(rows)
    }

    /// A unit has no counting query of its own: the rows are visited and counted (REST units are small).
    fn count(&mut self, query: &Query, options: QueryOptions) -> bulkforce_store::Result<u64> {
        let mut counted = query.clone();
        counted.offset = None;
        counted.order_by.clear();
        self.0.run_query(&counted, options, &mut |_| Ok(true))
    }
}
