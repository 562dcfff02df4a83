//! One chunk's (or REST unit's) rule state: the stored records the rules read, fetched set-based, and the
//! per-row steps (defaults, checks) over them.

use super::plan::Source;
use super::row::RowView;
use super::{RecordFetcher, WriteRules};
use bulkforce_core::error::RowError;
use bulkforce_core::id::SfId;
use bulkforce_core::ingest::RowValues;
use bulkforce_core::org::rules::defaults::DefaultValues;
use bulkforce_core::value::Value;
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::sync::Arc;

/// How many ids one fetch asks for by default (well under SQLite's parameter limit).
pub(super) const FETCH_BATCH: usize = 500;

/// What a row does to its record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Target {
    /// A new record (an insert, or an upsert that matched nothing).
    Insert,
    /// The stored record `id` (an update, or an upsert that matched it).
    Update(SfId),
}

/// Fetched records of one node: by id, `None` when there is no live record with that id.
type Fetched = HashMap<SfId, Option<Vec<Value>>>;

/// The rules of one chunk: the compiled rules and what they have fetched so far.
#[derive(Debug)]
pub(crate) struct ChunkRules {
    pub(super) rules: Arc<WriteRules>,
    pub(super) now: DateTime<Utc>,
    pub(super) user: SfId,
    /// Per node of the read plan; node 0 holds the stored records of the chunk's updates.
    pub(super) records: Vec<Fetched>,
    /// Per node: the id of a single-record node's record, once fetched.
    pub(super) singles: Vec<Option<SfId>>,
}

impl ChunkRules {
    pub(super) fn new(rules: Arc<WriteRules>, now: DateTime<Utc>, user: SfId) -> ChunkRules {
        let nodes = rules.plan.nodes.len();
        ChunkRules {
            rules,
            now,
            user,
            records: vec![HashMap::new(); nodes],
            singles: vec![None; nodes],
        }
    }

    /// The fields an insert may get from a default value formula.
    pub fn default_fields(&self) -> impl Iterator<Item = usize> + '_ {
        self.rules.default_fields()
    }

    /// Fetches, set-based, what the chunk's rows will read: the stored records of `updates` (the ids the
    /// chunk updates, upserts that matched included), then each parent record their lookups name (the
    /// rows' own values and the stored ones), level by level, then the running user and the org.
    pub fn prefetch<'v>(
        &mut self,
        fetcher: &mut dyn RecordFetcher,
        updates: &[SfId],
        rows: impl Iterator<Item = &'v RowValues> + Clone,
    ) -> crate::Result<()> {
        let rules = Arc::clone(&self.rules);
        for (index, node) in rules.plan.nodes.iter().enumerate() {
            if node.fields.is_empty() {
                continue;
            }
            let ids: Vec<SfId> = match node.source {
                Source::Row => updates.to_vec(),
                Source::Lookup { from, via } => {
                    let mut ids = self.stored_ids(from, via);
                    if from == 0 {
                        let field = rules.plan.nodes[0].fields[via];
                        ids.extend(rows.clone().filter_map(|v| v.get(field)).filter_map(as_id));
                    }
                    ids
                }
                Source::User => vec![self.user],
                Source::Singleton => {
                    self.fetch_single(fetcher, index)?;
                    continue;
                }
            };
            self.fetch(fetcher, index, ids)?;
        }
        Ok(())
    }

    /// Sets the default value of every field `values` leaves out that has one (an insert's row, before
    /// its rules are checked).
    pub fn fill_defaults(
        &mut self,
        fetcher: &mut dyn RecordFetcher,
        values: &mut RowValues,
    ) -> crate::Result<()> {
        let rules = Arc::clone(&self.rules);
        for (field, value) in &rules.defaults.constants {
            if values.get(*field).is_none() {
                values.set(*field, value.clone());
            }
        }
        if rules.defaults.dynamic.is_empty() {
            return Ok(());
        }
        self.fetch_missing(fetcher, values, Target::Insert)?;
        for (default, slots) in rules.defaults.dynamic.iter().zip(&rules.default_slots) {
            if values.get(default.field).is_some() {
                continue;
            }
            let view = RowView::new(self, values, None, slots);
            if let Some(value) = DefaultValues::evaluate(default, &rules.object, &view) {
                values.set(default.field, value);
            }
        }
        Ok(())
    }

    /// The first active rule (in name order) that fails the row, as its row error carrying every later
    /// failing rule's error in [`RowError::also`] (REST answers them all, Bulk's `sf__Error` the first);
    /// `None` when the row passes. An update of a record that is not there (or deleted) is not checked: its write fails as
    /// it would without rules.
    pub fn check(
        &mut self,
        fetcher: &mut dyn RecordFetcher,
        values: &RowValues,
        target: Target,
    ) -> crate::Result<Option<RowError>> {
        let rules = Arc::clone(&self.rules);
        if rules.rules.is_empty() {
            return Ok(None);
        }
        self.fetch_missing(fetcher, values, target)?;
        let prior = match target {
            Target::Insert => None,
            Target::Update(id) => match self.records[0].get(&id) {
                Some(Some(stored)) => Some(stored.as_slice()),
                Some(None) => return Ok(None),
                // Nothing of the stored record is read: an empty one stands for it.
                None => Some(&[][..]),
            },
        };
        let mut failures = Vec::new();
        for (rule, slots) in rules.rules.rules().iter().zip(&rules.rule_slots) {
            let view = RowView::new(self, values, prior, slots);
            if rule.fires(&view) {
                failures.push(rule.error.clone());
            }
        }
        Ok(RowError::first_of(failures))
    }

    /// Records that the row `values` was written to record `id`, so later rows of the chunk read the
    /// record as it now is.
    pub fn written(&mut self, id: SfId, values: &RowValues) {
        let rules = Arc::clone(&self.rules);
        for (node, fetched) in rules.plan.nodes.iter().zip(self.records.iter_mut()) {
            if node.object.name != rules.object.name {
                continue;
            }
            match fetched.get_mut(&id) {
                Some(Some(stored)) => {
                    for (pos, field) in node.fields.iter().enumerate() {
                        if let (Some(value), Some(slot)) = (values.get(*field), stored.get_mut(pos))
                        {
                            *slot = value.clone();
                        }
                    }
                }
                Some(None) => {
                    fetched.remove(&id);
                }
                None => {}
            }
        }
    }

    /// Fetches what this row reads and the prefetch did not bring (a lookup resolved while the row was
    /// written, an upsert matched without the chunk's lookup): at most one query per node.
    fn fetch_missing(
        &mut self,
        fetcher: &mut dyn RecordFetcher,
        values: &RowValues,
        target: Target,
    ) -> crate::Result<()> {
        let rules = Arc::clone(&self.rules);
        for (index, node) in rules.plan.nodes.iter().enumerate() {
            if node.fields.is_empty() {
                continue;
            }
            let id = match node.source {
                Source::Row => match target {
                    Target::Update(id) => Some(id),
                    Target::Insert => None,
                },
                Source::Singleton => {
                    if self.singles[index].is_none() && self.records[index].is_empty() {
                        self.fetch_single(fetcher, index)?;
                    }
                    None
                }
                _ => {
                    let prior = match target {
                        Target::Update(id) => self.records[0].get(&id).and_then(Option::as_deref),
                        Target::Insert => None,
                    };
                    RowView::new(self, values, prior, &Default::default()).node_id(index)
                }
            };
            if let Some(id) = id.filter(|id| !self.records[index].contains_key(id)) {
                self.fetch(fetcher, index, vec![id])?;
            }
        }
        Ok(())
    }

    /// The ids node `from`'s fetched records hold in their field at `via`.
    fn stored_ids(&self, from: usize, via: usize) -> Vec<SfId> {
        self.records[from]
            .values()
            .flatten()
            .filter_map(|values| values.get(via))
            .filter_map(as_id)
            .collect()
    }

    /// Fetches node `node`'s records among `ids` not fetched yet, remembering the ones not found.
    fn fetch(
        &mut self,
        fetcher: &mut dyn RecordFetcher,
        node: usize,
        mut ids: Vec<SfId>,
    ) -> crate::Result<()> {
        ids.sort_unstable();
        ids.dedup();
        ids.retain(|id| !self.records[node].contains_key(id));
        let rules = Arc::clone(&self.rules);
        let plan_node = &rules.plan.nodes[node];
        for batch in ids.chunks(fetcher.batch_size().max(1)) {
            let found = fetcher.fetch(&plan_node.object, batch, &plan_node.fields)?;
            let fetched = &mut self.records[node];
            for id in batch {
                fetched.insert(*id, None);
            }
            for (id, values) in found {
                fetched.insert(id, Some(values));
            }
        }
        Ok(())
    }

    fn fetch_single(&mut self, fetcher: &mut dyn RecordFetcher, node: usize) -> crate::Result<()> {
        let rules = Arc::clone(&self.rules);
        let plan_node = &rules.plan.nodes[node];
        if let Some((id, values)) = fetcher.fetch_single(&plan_node.object, &plan_node.fields)? {
            self.singles[node] = Some(id);
            self.records[node].insert(id, Some(values));
        }
        Ok(())
    }
}

/// A stored lookup value as an id (blank or malformed: none).
pub(super) fn as_id(value: &Value) -> Option<SfId> {
    match value {
        Value::Text(text) if !text.is_empty() => SfId::parse(text).ok(),
        _ => None,
    }
}
