//! Deletes: soft (IsDeleted, hidden from queries but kept) and hard (the row removed).

use super::ChunkWriter;
use super::bind::Sql;
use super::failure::Failure;
use crate::RowOutcome;
use bulkforce_core::error::RowError;
use bulkforce_core::id::SfId;

impl ChunkWriter<'_> {
    pub(super) fn soft_delete(&mut self, id: SfId) -> Result<RowOutcome, Failure> {
        let sql = format!(
            "UPDATE {} SET \"IsDeleted\" = 1, \"LastModifiedDate\" = ?1, \"LastModifiedById\" = ?2, \
             \"SystemModstamp\" = ?1 WHERE \"Id\" = ?3 AND \"IsDeleted\" = 0",
            self.table
        );
        let mut stmt = self.conn.prepare_cached(&sql).map_err(Failure::store)?;
        match stmt
            .execute(rusqlite::params![
                Sql(&self.now),
                Sql(&self.user),
                id.as_str()
            ])
            .map_err(Failure::store)?
        {
            0 => Err(self.missing_or_deleted(id)),
            _ => Ok(RowOutcome::Deleted(id)),
        }
    }

    pub(super) fn hard_delete(&mut self, id: SfId) -> Result<RowOutcome, Failure> {
        let sql = format!("DELETE FROM {} WHERE \"Id\" = ?1", self.table);
        let mut stmt = self.conn.prepare_cached(&sql).map_err(Failure::store)?;
        match stmt.execute([id.as_str()]).map_err(Failure::store)? {
            0 => Err(Failure::Row(Some(id), RowError::invalid_cross_reference())),
            _ => Ok(RowOutcome::Deleted(id)),
        }
    }
}
