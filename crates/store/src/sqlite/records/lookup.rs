//! Lookups a row needs before it is written: relationship columns resolved to parent ids, reference
//! fields checked against live records, and live records found by a field's value.

use super::bind::Sql;
use super::failure::RowProblem;
use super::{ChunkWriter, quote};
use crate::{Result, StoreError};
use bulkforce_core::error::RowError;
use bulkforce_core::id::SfId;
use bulkforce_core::ingest::{ParentLookup, RowValues};
use bulkforce_core::org::polymorphic::{self, TYPE_FIELD};
use bulkforce_core::schema::{Field, FieldType, SObject};
use bulkforce_core::value::Value;
use rusqlite::OptionalExtension;

impl ChunkWriter<'_> {
    /// Resolves relationship columns to ids and checks that every lookup points at a live record.
    pub(super) fn resolve(&self, values: &mut RowValues) -> Result<(), RowProblem> {
        for lookup in std::mem::take(&mut values.lookups) {
            let id = self.resolve_parent(&lookup)?;
            values.set(lookup.lookup_field, Value::Text(id.as_str().to_owned()));
        }
        for (field, value) in &values.assignments {
            let def = &self.object.fields()[*field];
            let Value::Text(text) = value else { continue };
            if def.ftype != FieldType::Reference {
                continue;
            }
            let target = SfId::parse(text)
                .ok()
                .and_then(|id| self.schema.object_by_prefix(id.key_prefix()))
                .ok_or(RowProblem::Row(RowError::invalid_cross_reference()))?;
            // Objects without a recycle bin (RecordType, Group) have no IsDeleted: their rows are live.
            let deleted = if target.field("IsDeleted").is_some() {
                "\"IsDeleted\""
            } else {
                "0"
            };
            let sql = format!(
                "SELECT {deleted} FROM {} WHERE \"Id\" = ?1",
                quote(&target.name)
            );
            let deleted: Option<i64> = self
                .conn
                .prepare_cached(&sql)?
                .query_row([text.as_str()], |r| r.get(0))
                .optional()?;
            crate::rows::reference_target(deleted.map(|d| d != 0)).map_err(RowProblem::Row)?;
            if self
                .queue_owner
                .is_some_and(|owner| owner.must_be_queue(*field, text))
            {
                self.check_queue(def, text, target)?;
            }
        }
        Ok(())
    }

    /// An owner that is a group must be a queue (`Type` = 'Queue').
    fn check_queue(&self, field: &Field, id: &str, group: &SObject) -> Result<(), RowProblem> {
        let sql = format!(
            "SELECT \"{TYPE_FIELD}\" FROM {} WHERE \"Id\" = ?1",
            quote(&group.name)
        );
        let group_type: Option<String> = self
            .conn
            .prepare_cached(&sql)?
            .query_row([id], |r| r.get(0))
            .optional()?
            .flatten();
        match polymorphic::queue_owner_error(field, id, group_type.as_deref()) {
            Some(error) => Err(RowProblem::Row(error)),
            None => Ok(()),
        }
    }

    fn resolve_parent(&self, lookup: &ParentLookup) -> Result<SfId, RowProblem> {
        let parent = self.schema.object(&lookup.parent_object).ok_or_else(|| {
            StoreError::Corrupt(format!("unknown parent {}", lookup.parent_object))
        })?;
        let key = Value::Text(lookup.value.clone());
        let matches = self.find_by(&quote(&parent.name), &lookup.parent_field, &key)?;
        crate::rows::parent_match(self.schema, lookup, &matches)
    }

    /// Live records of `table` whose `field` equals `value` (at most two: enough to tell one from many).
    pub(super) fn find_by(&self, table: &str, field: &str, value: &Value) -> Result<Vec<SfId>> {
        let sql = format!(
            "SELECT \"Id\" FROM {table} WHERE {} = ?1 AND \"IsDeleted\" = 0 LIMIT 2",
            quote(field)
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let ids = stmt
            .query_map([Sql(value)], |r| r.get::<_, String>(0))?
            .map(|id| SfId::parse(&id?).map_err(|e| StoreError::Corrupt(e.to_string())))
            .collect::<Result<Vec<_>>>()?;
        Ok(ids)
    }
}
