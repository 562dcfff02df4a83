//! How a row fails: Salesforce's row errors with the record id to report, kept apart from storage
//! failures, and the stored facts that explain a failed write (a deleted record, a unique value clash).

use super::ChunkWriter;
use crate::rows;
pub(super) use crate::rows::{Failure, RowProblem};
use bulkforce_core::id::SfId;
use bulkforce_core::ingest::RowValues;
use rusqlite::{ErrorCode, OptionalExtension};

impl ChunkWriter<'_> {
    /// Why an Id matched no live record: deleted, or never existed.
    pub(super) fn missing_or_deleted(&self, id: SfId) -> Failure {
        let sql = format!("SELECT \"IsDeleted\" FROM {} WHERE \"Id\" = ?1", self.table);
        let deleted = self.conn.prepare_cached(&sql).and_then(|mut s| {
            s.query_row([id.as_str()], |r| r.get::<_, i64>(0))
                .optional()
        });
        match deleted {
            Ok(d) => Failure::Row(Some(id), rows::missing_record(d.map(|d| d != 0))),
            Err(e) => Failure::store(e),
        }
    }

    /// Turns a unique-index violation into DUPLICATE_VALUE naming the record that holds the value.
    pub(super) fn unique_violation(
        &self,
        error: rusqlite::Error,
        values: &RowValues,
        id: Option<SfId>,
    ) -> Failure {
        let rusqlite::Error::SqliteFailure(code, Some(message)) = &error else {
            return Failure::store(error);
        };
        if code.code != ErrorCode::ConstraintViolation {
            return Failure::store(error);
        }
        let Some(column) = message.rsplit('.').next() else {
            return Failure::store(error);
        };
        let Some(field) = self.object.field_index(column) else {
            return Failure::store(error);
        };
        let Some(value) = values.get(field) else {
            return Failure::store(error);
        };
        let name = &self.object.fields()[field].name;
        match self.find_by(&self.table, name, value) {
            Ok(ids) => Failure::Row(id, rows::duplicate_value(name, ids.first().copied())),
            Err(e) => Failure::Store(e),
        }
    }
}
