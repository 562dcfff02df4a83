//! Validation rules and default values on the write path, shared by both backends.
//!
//! Per writer (an ingest chunk, a REST write unit), once: [`WriteRules::for_object`] compiles the object's
//! active validation rules and default value formulas (core's `org::rules`) and works out what they read
//! ([`plan::ReadPlan`]); an object with neither gets `None`, and its rows pay nothing more.
//!
//! Per chunk: [`WriteRules::chunk`] gives a [`ChunkRules`] holding the stored records the rules read,
//! fetched set-based through the backend's [`RecordFetcher`]: [`ChunkRules::prefetch`] takes the chunk's
//! update ids (prior values: an update's rule sees the stored record merged with the row) and the parents
//! its rows' lookups name, one query per record kind; a row whose lookup was only resolved while it was
//! written fetches what is still missing with one more query.
//!
//! Per row, after upsert matching decided insert or update and before anything is written:
//! [`ChunkRules::fill_defaults`] (inserts, for fields the row leaves out), then [`ChunkRules::check`]: a
//! failing rule's [`RowError`] fails the row, which then writes nothing. [`ChunkRules::written`] keeps the
//! fetched copy of a record the chunk changed up to date for later rows.
//!
//! A backend implements [`RecordFetcher`] (SQLite: `sqlite::records`, PostgreSQL: `postgres::records`).

mod plan;
mod row;
mod state;

pub(crate) use state::{ChunkRules, Target};

use bulkforce_core::id::SfId;
use bulkforce_core::org::rules::defaults::DefaultValues;
use bulkforce_core::org::rules::resolver::SchemaResolver;
use bulkforce_core::org::rules::validation::ObjectRules;
use bulkforce_core::schema::{SObject, Schema};
use bulkforce_core::value::Value;
use bulkforce_formula::{Blanks, CompileOptions, Formula, compile};
use chrono::{DateTime, Utc};
use plan::{ReadPlan, Slots};
use std::sync::Arc;

/// Stored records by id, for the rules: what each backend supplies, with one set-based query per call.
pub(crate) trait RecordFetcher {
    /// The live (not deleted) records of `object` among `ids`, each with its values of `fields` (field
    /// indexes of `object`, values in that order, as stored). Ids without a live record are left out.
    fn fetch(
        &mut self,
        object: &SObject,
        ids: &[SfId],
        fields: &[usize],
    ) -> crate::Result<Vec<(SfId, Vec<Value>)>>;

    /// The one record of a single-record object (`Organization`), with its values of `fields`.
    fn fetch_single(
        &mut self,
        object: &SObject,
        fields: &[usize],
    ) -> crate::Result<Option<(SfId, Vec<Value>)>>;

    /// How many ids one [`RecordFetcher::fetch`] may be given: a backend that binds one parameter per id
    /// keeps under its limit; one that binds an array (PostgreSQL) takes a segment's ids in one query.
    fn batch_size(&self) -> usize {
        state::FETCH_BATCH
    }
}

/// An object's rules and defaults compiled for one writer, with what they read.
#[derive(Debug)]
pub(crate) struct WriteRules {
    object: Arc<SObject>,
    rules: ObjectRules,
    /// The slots of each rule of `rules`, in the same order.
    rule_slots: Vec<Slots>,
    defaults: DefaultValues,
    /// The slots of each of `defaults.dynamic`, in the same order.
    default_slots: Vec<Slots>,
    plan: ReadPlan,
}

impl WriteRules {
    /// The rules and defaults of `object`; `None` when it has neither (decided once per writer).
    pub fn for_object(schema: &Schema, object: &Arc<SObject>) -> Option<Arc<WriteRules>> {
        let has_rules = object.validation_rules.iter().any(|r| r.active);
        let has_defaults = object
            .fields()
            .iter()
            .any(|f| f.traits.default_formula.is_some());
        if !has_rules && !has_defaults {
            return None;
        }
        let resolver = SchemaResolver::new(schema, object);
        let resolver = &resolver;
        let rules = ObjectRules::compile(object, resolver);
        let defaults = DefaultValues::compile(object, resolver);
        if rules.is_empty() && defaults.is_empty() {
            return None;
        }
        let compile_field = |index: usize| -> Option<Formula> {
            let spec = object.fields().get(index)?.traits.formula.as_ref()?;
            let blanks = if spec.blanks_as_zero {
                Blanks::AsZero
            } else {
                Blanks::AsBlank
            };
            let options = CompileOptions {
                blanks,
                expected: None,
                allow_prior: false,
            };
            compile(&spec.source, resolver, options).ok()
        };
        let mut plan = ReadPlan::new(object);
        let rule_slots = rules
            .rules()
            .iter()
            .map(|r| plan.slots(schema, &r.formula, &compile_field))
            .collect();
        let default_slots = defaults
            .dynamic
            .iter()
            .map(|d| plan.slots(schema, &d.formula, &compile_field))
            .collect();
        Some(Arc::new(WriteRules {
            object: Arc::clone(object),
            rules,
            rule_slots,
            defaults,
            default_slots,
            plan,
        }))
    }

    /// The fields an insert may get from a default value formula (a chunk's INSERT includes them).
    pub fn default_fields(&self) -> impl Iterator<Item = usize> + '_ {
        self.defaults.fields()
    }

    /// The state of one chunk (or REST unit) written at `now` by `user`.
    pub fn chunk(self: &Arc<Self>, now: DateTime<Utc>, user: SfId) -> ChunkRules {
        ChunkRules::new(Arc::clone(self), now, user)
    }
}

#[cfg(test)]
mod tests;
