//! Staging tables: a chunk's rows go into a TEMP table by binary COPY (one stream, no statement per
//! row), and set-based statements take them from there into the org's table.
//!
//! A staging table is named after its column types, created once per pooled session (`ON COMMIT DELETE
//! ROWS`: it is empty whenever a transaction starts) and emptied before each use within a transaction,
//! so chunks of the same shape reuse it without touching the catalog again.

use super::bind::Cell;
use crate::Result;
use postgres::Transaction;
use postgres::binary_copy::BinaryCopyInWriter;
use postgres::types::Type;
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};

/// A staging table of columns `c0, c1, …` of `types`, emptied and ready to be filled.
pub(super) struct Stage {
    pub(super) name: String,
    types: Vec<Type>,
}

impl Stage {
    /// The staging table for `types`, created if this session has none yet, and emptied.
    pub(super) fn open(tx: &mut Transaction<'_>, types: Vec<Type>) -> Result<Stage> {
        let mut hasher = DefaultHasher::new();
        for ty in &types {
            ty.oid().hash(&mut hasher);
        }
        let name = format!("bf_stage_{:016x}", hasher.finish());
        let columns: Vec<String> = types
            .iter()
            .enumerate()
            .map(|(k, ty)| format!("c{k} {}", ty.name()))
            .collect();
        tx.batch_execute(&format!(
            "CREATE TEMP TABLE IF NOT EXISTS {name} ({}) ON COMMIT DELETE ROWS; TRUNCATE {name}",
            columns.join(", ")
        ))?;
        Ok(Stage { name, types })
    }

    /// Column `k`'s name.
    pub(super) fn column(k: usize) -> String {
        format!("c{k}")
    }

    /// Copies `rows` in with one binary COPY; each row has one cell per column.
    pub(super) fn fill<'c>(
        &self,
        tx: &mut Transaction<'_>,
        rows: impl Iterator<Item = Vec<Cell<'c>>>,
    ) -> Result<()> {
        let sink = tx.copy_in(&format!("COPY {} FROM STDIN BINARY", self.name))?;
        let mut writer = BinaryCopyInWriter::new(sink, &self.types);
        for row in rows {
            writer.write_raw(row.iter())?;
        }
        writer.finish()?;
        Ok(())
    }
}
