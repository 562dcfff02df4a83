//! Deletes of a segment, one statement each kind: soft (IsDeleted, hidden from queries but kept, as the
//! recycle bin does) and hard (the rows removed).

use super::writer::RowWriter;
use crate::cascade::ChunkDeletes;
use crate::postgres::ddl::quote;
use crate::{Result, RowOutcome, rows};
use bulkforce_core::error::RowError;
use bulkforce_core::id::SfId;
use std::collections::HashSet;

impl RowWriter<'_, '_> {
    /// Soft-deletes the live records of `rows` (row index, id).
    pub(super) fn soft_delete(&mut self, rows: Vec<(usize, SfId)>) -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let (deletes, rows) = self.refuse_restricted(rows)?;
        let mut sets = vec!["\"IsDeleted\" = 1".to_owned()];
        sets.extend(self.audit_fields.iter().map(|name| {
            let value = if *name == "LastModifiedById" {
                "$3"
            } else {
                "$2"
            };
            format!("{} = {value}", quote(name))
        }));
        let sql = format!(
            "UPDATE {} SET {} WHERE \"Id\" IN (SELECT unnest($1::text[])) AND \"IsDeleted\" = 0 RETURNING \"Id\"",
            self.table,
            sets.join(", ")
        );
        let ids: Vec<&str> = rows.iter().map(|(_, id)| id.as_str()).collect();
        let (now, user) = (self.now.clone(), self.user.clone());
        let deleted = if self.audit_fields.is_empty() {
            self.ids_of(&sql, &[&ids])?
        } else {
            self.ids_of(&sql, &[&ids, &now, &user])?
        };
        let missed: Vec<&str> = ids
            .iter()
            .copied()
            .filter(|id| !deleted.iter().any(|d| d.as_str() == *id))
            .collect();
        if !deleted.is_empty() {
            let (org, now) = (self.stamp.org, self.now.clone());
            super::recycle_bin::note_deleted(&mut *self.tx, org, &now)?;
        }
        let states = if missed.is_empty() {
            Default::default()
        } else {
            self.deleted_states(&missed)?
        };
        for (row, id) in rows {
            let outcome = if deleted.contains(&id) {
                RowOutcome::Deleted(id)
            } else {
                let error = rows::missing_record(states.get(&id).copied());
                RowOutcome::Failed {
                    id: Some(id),
                    error,
                }
            };
            self.decide(row, outcome);
        }
        self.finish_deletes(deletes, &ids_of(&deleted))
    }

    /// Removes the records of `rows` (row index, id), live or deleted.
    pub(super) fn hard_delete(&mut self, rows: Vec<(usize, SfId)>) -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let (deletes, rows) = self.refuse_restricted(rows)?;
        let sql = format!(
            "DELETE FROM {} WHERE \"Id\" IN (SELECT unnest($1::text[])) RETURNING \"Id\"",
            self.table
        );
        let ids: Vec<&str> = rows.iter().map(|(_, id)| id.as_str()).collect();
        let deleted = self.ids_of(&sql, &[&ids])?;
        for (row, id) in rows {
            let outcome = if deleted.contains(&id) {
                RowOutcome::Deleted(id)
            } else {
                RowOutcome::Failed {
                    id: Some(id),
                    error: RowError::invalid_cross_reference(),
                }
            };
            self.decide(row, outcome);
        }
        self.finish_deletes(deletes, &ids_of(&deleted))
    }

    /// Fails the rows whose record restricting children keep (Salesforce's `DELETE_FAILED`); the plan
    /// of what deleting the others does, and those rows.
    fn refuse_restricted(&mut self, rows: Vec<(usize, SfId)>) -> Result<Refusals> {
        let ids: Vec<SfId> = rows.iter().map(|(_, id)| *id).collect();
        let Some(deletes) = self.prepare_deletes(&ids)? else {
            return Ok((None, rows));
        };
        let mut kept = Vec::with_capacity(rows.len());
        for (row, id) in rows {
            match deletes.refused_id(id) {
                Some(refused) => self.decide(row, refused),
                None => kept.push((row, id)),
            }
        }
        Ok((Some(deletes), kept))
    }

    /// The record ids a statement returns.
    fn ids_of(
        &mut self,
        sql: &str,
        params: &[&(dyn postgres::types::ToSql + Sync)],
    ) -> Result<HashSet<SfId>> {
        self.tx
            .query(sql, params)?
            .iter()
            .map(|r| super::upsert::parse_id(r.get(0)))
            .collect()
    }
}

/// What deleting a segment's records does beyond them, and the rows no restricting child refused.
type Refusals = (Option<ChunkDeletes>, Vec<(usize, SfId)>);

/// Ids as the cascade's statements take them.
fn ids_of(ids: &HashSet<SfId>) -> Vec<String> {
    ids.iter().map(|id| id.as_str().to_owned()).collect()
}
