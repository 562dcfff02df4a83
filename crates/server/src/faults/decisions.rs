//! What the job rules decided for each job, so that a job resumed (released after a hold, claimed again
//! after a restart or a restore) gets the same decision instead of a new roll and a new hit: a job rule is
//! tried at most once per job, and a hit fails the job once however often it resumes.
//!
//! Bounded: past [`MAX_DECISIONS`] jobs the oldest decision is forgotten (a job resumed that long after it
//! started is tried again, as if new).

use super::{Hit, JobHit};
use bulkforce_core::id::SfId;
use std::collections::{HashMap, VecDeque};

/// Jobs whose decision is kept at most.
pub(super) const MAX_DECISIONS: usize = 10_000;

/// A job, by its org and id.
pub(super) type JobKey = (SfId, SfId);

/// What the job rules decided for one job.
pub(super) enum Decision {
    /// A rule hit the job: it fails as this says, on every resume.
    Hit(Hit<JobHit>),
    /// Rules up to number `tried_through` were tried and none hit (a matching rule's roll failed): only
    /// rules added since are tried on a resume.
    Missed { tried_through: u64 },
}

/// The decisions, oldest first.
#[derive(Default)]
pub(super) struct Decisions {
    decided: HashMap<JobKey, Decision>,
    order: VecDeque<JobKey>,
}

impl Decisions {
    pub(super) fn get(&self, job: JobKey) -> Option<&Decision> {
        self.decided.get(&job)
    }

    /// Records (or replaces) the decision for `job`, forgetting the oldest past the bound.
    pub(super) fn bind(&mut self, job: JobKey, decision: Decision) {
        if self.decided.insert(job, decision).is_none() {
            self.order.push_back(job);
        }
        while self.order.len() > MAX_DECISIONS {
            if let Some(oldest) = self.order.pop_front() {
                self.decided.remove(&oldest);
            }
        }
    }

    /// Forgets the hits of rule `number` (deleted: it fails no job any more).
    pub(super) fn forget_rule(&mut self, number: u64) {
        self.decided
            .retain(|_, decision| !matches!(decision, Decision::Hit(hit) if hit.rule == number));
        let decided = &self.decided;
        self.order.retain(|job| decided.contains_key(job));
    }

    pub(super) fn clear(&mut self) {
        self.decided.clear();
        self.order.clear();
    }

    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.decided.len()
    }
}
