//! A unit of REST record writes on PostgreSQL: one transaction on a pooled connection, rows applied by
//! the same code as ingest chunks ([`super::writer::apply_rows`]), reads in that same transaction (so
//! they see the unit's own writes), and nested savepoints for the parts a caller may want to undo alone.

use super::writer::{Stamp, apply_rows};
use crate::postgres::ddl::table_name;
use crate::postgres::query;
use crate::{QueryOptions, RecordFields, RecordUnit, Result, RowOutcome, StoreError, UnitEnd};
use bulkforce_core::clock::Clock;
use bulkforce_core::id::SfId;
use bulkforce_core::ingest::{IngestPlan, RowFailure, RowOp};
use bulkforce_core::schema::Schema;
use bulkforce_core::value::Value;
use postgres::Transaction;

/// An open unit: its transaction is committed or rolled back by [`PgUnit::end`] (or rolled back when
/// dropped, on an error).
pub(super) struct PgUnit<'a, 'c> {
    tx: Transaction<'c>,
    schema: &'a Schema,
    clock: &'a Clock,
    org: SfId,
    shard: u16,
    user: SfId,
    /// How many savepoints are open; each is named after its depth, so nesting needs no other state.
    savepoints: usize,
}

impl<'a, 'c> PgUnit<'a, 'c> {
    pub(super) fn new(
        tx: Transaction<'c>,
        schema: &'a Schema,
        clock: &'a Clock,
        org: SfId,
        shard: u16,
        user: SfId,
    ) -> Self {
        PgUnit {
            tx,
            schema,
            clock,
            org,
            shard,
            user,
            savepoints: 0,
        }
    }

    /// Ends the unit as its work decided.
    pub(super) fn end(self, end: UnitEnd) -> Result<()> {
        match end {
            UnitEnd::Commit => self.tx.commit()?,
            UnitEnd::Rollback => self.tx.rollback()?,
        }
        Ok(())
    }

    fn savepoint_name(&self) -> String {
        format!("bf_unit_{}", self.savepoints)
    }

    fn latest_savepoint(&self) -> Result<String> {
        if self.savepoints == 0 {
            return Err(StoreError::Invalid(
                "no savepoint is open in this unit".to_owned(),
            ));
        }
        Ok(self.savepoint_name())
    }
}

impl RecordUnit for PgUnit<'_, '_> {
    fn apply(
        &mut self,
        plan: &IngestPlan,
        rows: Vec<Result<RowOp, RowFailure>>,
    ) -> Result<Vec<RowOutcome>> {
        let stamp = Stamp {
            org: self.org,
            shard: self.shard,
            now: self.clock.now(),
            user: self.user,
        };
        let (outcomes, _spent) = apply_rows(&mut self.tx, self.schema, plan, stamp, rows)?;
        Ok(outcomes)
    }

    fn get_record(&mut self, object: &str, id: SfId) -> Result<Option<RecordFields>> {
        let table = table_name(self.schema, self.org, object)?;
        super::get_record(&mut self.tx, &table, id)
    }

    fn run_query(
        &mut self,
        query: &bulkforce_soql::bound::Query,
        options: QueryOptions,
        visit: &mut dyn FnMut(&[Value]) -> Result<bool>,
    ) -> Result<u64> {
        let formulas = crate::soql_render::FormulaEnv {
            schema: self.schema,
            now: self.clock.now(),
        };
        query::run_in_with(
            &mut self.tx,
            Some(formulas),
            self.org,
            query,
            options,
            visit,
        )
    }

    fn savepoint(&mut self) -> Result<()> {
        self.savepoints += 1;
        let name = self.savepoint_name();
        if let Err(e) = self.tx.batch_execute(&format!("SAVEPOINT {name}")) {
            self.savepoints -= 1;
            return Err(e.into());
        }
        Ok(())
    }

    fn rollback_to_savepoint(&mut self) -> Result<()> {
        let name = self.latest_savepoint()?;
        // ROLLBACK TO keeps the savepoint open; RELEASE then forgets it (its changes are gone already).
        self.tx.batch_execute(&format!(
            "ROLLBACK TO SAVEPOINT {name}; RELEASE SAVEPOINT {name}"
        ))?;
        self.savepoints -= 1;
        Ok(())
    }

    fn release_savepoint(&mut self) -> Result<()> {
        let name = self.latest_savepoint()?;
        self.tx
            .batch_execute(&format!("RELEASE SAVEPOINT {name}"))?;
        self.savepoints -= 1;
        Ok(())
    }
}
