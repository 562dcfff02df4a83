//! A unit of REST record writes on SQLite: one transaction on the org's writer connection, rows applied by
//! the same code as ingest chunks ([`super::apply_rows`]), reads on that same connection (so they see the
//! unit's own writes), and savepoints for the parts a caller may want to undo alone.

use super::apply_rows;
use crate::sqlite::{OrgDb, ddl, query};
use crate::{QueryOptions, RecordFields, RecordUnit, Result, RowOutcome, StoreError};
use bulkforce_core::id::SfId;
use bulkforce_core::ingest::{IngestPlan, RowFailure, RowOp};
use bulkforce_core::schema::Schema;
use bulkforce_core::value::Value;
use rusqlite::Connection;

/// An open unit: borrows the transaction its caller commits or rolls back.
pub(crate) struct SqliteUnit<'a> {
    conn: &'a Connection,
    db: &'a OrgDb,
    schema: &'a Schema,
    user: SfId,
    /// How many savepoints are open; each is named after its depth, so nesting needs no other state.
    savepoints: usize,
}

impl<'a> SqliteUnit<'a> {
    /// `conn` must be inside a transaction on `db`'s writer connection.
    pub(crate) fn new(conn: &'a Connection, db: &'a OrgDb, schema: &'a Schema, user: SfId) -> Self {
        SqliteUnit {
            conn,
            db,
            schema,
            user,
            savepoints: 0,
        }
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

impl RecordUnit for SqliteUnit<'_> {
    fn apply(
        &mut self,
        plan: &IngestPlan,
        rows: Vec<Result<RowOp, RowFailure>>,
    ) -> Result<Vec<RowOutcome>> {
        let now = self.db.clock.now();
        let (outcomes, _spent) = apply_rows(
            self.conn,
            self.db.shard,
            now,
            self.schema,
            self.user,
            plan,
            rows,
        )?;
        Ok(outcomes)
    }

    fn get_record(&mut self, object: &str, id: SfId) -> Result<Option<RecordFields>> {
        let table = ddl::table_name(self.schema, object)?;
        super::get_record(self.conn, &table, id)
    }

    fn run_query(
        &mut self,
        query: &bulkforce_soql::bound::Query,
        options: QueryOptions,
        visit: &mut dyn FnMut(&[Value]) -> Result<bool>,
    ) -> Result<u64> {
        let formulas = crate::soql_render::FormulaEnv {
            schema: self.schema,
            now: self.db.clock.now(),
        };
        query::run(self.conn, formulas, query, &options, visit)
    }

    fn savepoint(&mut self) -> Result<()> {
        self.savepoints += 1;
        let name = self.savepoint_name();
        if let Err(e) = self.conn.execute_batch(&format!("SAVEPOINT {name}")) {
            self.savepoints -= 1;
            return Err(e.into());
        }
        Ok(())
    }

    fn rollback_to_savepoint(&mut self) -> Result<()> {
        let name = self.latest_savepoint()?;
        // ROLLBACK TO keeps the savepoint open; RELEASE then forgets it (its changes are gone already).
        self.conn
            .execute_batch(&format!("ROLLBACK TO {name}; RELEASE {name}"))?;
        self.savepoints -= 1;
        Ok(())
    }

    fn release_savepoint(&mut self) -> Result<()> {
        let name = self.latest_savepoint()?;
        self.conn.execute_batch(&format!("RELEASE {name}"))?;
        self.savepoints -= 1;
        Ok(())
    }
}
