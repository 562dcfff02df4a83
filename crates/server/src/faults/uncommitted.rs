//! Row hits of a chunk the ingest reader prepared but that is not committed yet.
//!
//! The reader tries the row rules up to two chunks ahead of the commit. When such a chunk is dropped
//! without being committed (the job was held and given up, aborted, failed, or its worker stopped), its
//! rows fail in no result file, so its hits are given back to their rules (`hits` down, `remaining` up):
//! a rule's hits always equal the rows it failed in committed results, and the rows read again on resume
//! are tried again.

use super::{Faults, Hit};
use bulkforce_core::error::RowError;
use bulkforce_core::job::Operation;
use std::sync::Arc;

/// The row hits of one prepared chunk: given back when dropped unless [`UncommittedHits::committed`].
pub struct UncommittedHits {
    faults: Arc<Faults>,
    /// (rule number, hits) of the chunk's rows.
    rules: Vec<(u64, u64)>,
}

impl UncommittedHits {
    /// No hits yet, for a chunk about to be read.
    pub fn new(faults: &Arc<Faults>) -> Self {
        UncommittedHits {
            faults: Arc::clone(faults),
            rules: Vec::new(),
        }
    }

    /// The error of a row rule this row hits, if any, counted as this chunk's (see [`Faults::row`]).
    pub fn row<'c>(
        &mut self,
        object: &str,
        operation: Operation,
        cell: impl Fn(&str) -> Option<&'c [u8]>,
    ) -> Option<RowError> {
        let Hit { rule, fault, .. } = self.faults.row(object, operation, cell)?;
        match self.rules.iter_mut().find(|(number, _)| *number == rule) {
            Some((_, hits)) => *hits += 1,
            None => self.rules.push((rule, 1)),
        }
        Some(fault)
    }

    /// The chunk was committed: its hits stay spent.
    pub fn committed(mut self) {
        self.rules.clear();
    }
}

impl Drop for UncommittedHits {
    fn drop(&mut self) {
        if !self.rules.is_empty() {
            self.faults.give_back(&self.rules);
        }
    }
}
