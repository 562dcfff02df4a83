//! How a row fails: Salesforce's row errors with the record id to report, kept apart from storage
//! failures, and the stored facts that explain a failed write (a deleted record, a unique value clash).

use super::ChunkWriter;
use crate::StoreError;
use bulkforce_core::error::RowError;
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
            Ok(Some(d)) if d != 0 => Failure::Row(Some(id), RowError::entity_is_deleted()),
            Ok(_) => Failure::Row(Some(id), RowError::invalid_cross_reference()),
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
            Ok(ids) => {
                let other = ids
                    .first()
                    .map(|i| i.as_str()[..15].to_owned())
                    .unwrap_or_default();
                Failure::Row(id, RowError::duplicate_value(name, &other))
            }
            Err(e) => Failure::Store(e),
        }
    }
}

/// A row failure with the record id to report, or a storage failure that stops the chunk.
pub(super) enum Failure {
    Row(Option<SfId>, RowError),
    Store(StoreError),
}

impl Failure {
    pub(super) fn store(e: impl Into<StoreError>) -> Failure {
        Failure::Store(e.into())
    }
}

/// A problem found while resolving lookups, before the record id is attached.
pub(super) enum RowProblem {
    Row(RowError),
    Store(StoreError),
}

impl RowProblem {
    pub(super) fn on(self, id: Option<SfId>) -> Failure {
        match self {
            RowProblem::Row(e) => Failure::Row(id, e),
            RowProblem::Store(e) => Failure::Store(e),
        }
    }
}

impl From<StoreError> for RowProblem {
    fn from(e: StoreError) -> Self {
        RowProblem::Store(e)
    }
}

impl From<rusqlite::Error> for RowProblem {
    fn from(e: rusqlite::Error) -> Self {
        RowProblem::Store(e.into())
    }
}
