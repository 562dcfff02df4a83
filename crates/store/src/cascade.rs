//! Executing a [`DeletePlan`] (core decides, this runs it), shared by both backends so they cannot drift
//! apart: each backend only supplies the few set-based statements of [`CascadeSql`], every one over all
//! the parent ids of a chunk at once (never a statement per child row).
//!
//! Two steps around a chunk's deletes, in its transaction:
//! - [`refusals`] before: the parents a restricting lookup keeps (directly, or through a record a
//!   cascade would delete), with Salesforce's `DELETE_FAILED` row error;
//! - [`cascade`] after, over the parents actually deleted: children deleted (recursively), optional
//!   lookups cleared.
//!
//! A lookup that no record sets is skipped after one probe of its index (`lookup_index`: the records
//! where it is set), so a delete of records that nothing points at pays a few index probes per chunk.

use crate::Result;
use bulkforce_core::error::RowError;
use bulkforce_core::id::SfId;
use bulkforce_core::org::cascade::{ChildLookup, DeletePlan, restricted_delete_error};
use bulkforce_core::schema::SObject;
use std::collections::HashMap;

/// A live child found through a lookup: its id, the parent it points at, and its display name.
#[derive(Debug, Clone)]
pub(crate) struct ChildRow {
    pub(crate) id: String,
    pub(crate) parent: String,
    pub(crate) name: Option<String>,
}

/// The statements a backend runs for a delete plan, inside the transaction of the delete. Each takes
/// the parents as one list and is one statement.
pub(crate) trait CascadeSql {
    /// Whether any record of `lookup.child`, live or deleted, sets the lookup (one probe of its index).
    fn is_used(&mut self, lookup: &ChildLookup) -> Result<bool>;

    /// The live records of `lookup.child` whose lookup points at one of `parents`.
    fn live_children(&mut self, lookup: &ChildLookup, parents: &[String]) -> Result<Vec<ChildRow>>;

    /// Deletes the children of `parents` through `lookup` (soft: the live ones go to the recycle bin,
    /// stamped as a delete; hard: all of them are removed); returns the ids deleted.
    fn delete_children(
        &mut self,
        lookup: &ChildLookup,
        parents: &[String],
        hard: bool,
    ) -> Result<Vec<String>>;

    /// Sets the lookup of the live children of `parents` to null (their `SystemModstamp` moves).
    fn clear_lookup(&mut self, lookup: &ChildLookup, parents: &[String]) -> Result<()>;

    /// The display names of `object`'s records `ids` (those that have one).
    fn names(&mut self, object: &SObject, ids: &[String]) -> Result<HashMap<String, String>>;
}

/// Remembers which lookups no record sets during one delete, so each is probed once.
struct Probe<'a> {
    sql: &'a mut dyn CascadeSql,
    used: HashMap<(String, String), bool>,
}

impl Probe<'_> {
    fn is_used(&mut self, lookup: &ChildLookup) -> Result<bool> {
        let key = (lookup.child.name.clone(), lookup.field.clone());
        if let Some(known) = self.used.get(&key) {
            return Ok(*known);
        }
        let used = self.sql.is_used(lookup)?;
        self.used.insert(key, used);
        Ok(used)
    }
}

/// The records of `ids` (of `object`, about to be deleted) that restricting children keep, each with
/// its row error. Empty, with no statement run, when nothing in the plan restricts.
pub(crate) fn refusals(
    sql: &mut dyn CascadeSql,
    object: &SObject,
    plan: &DeletePlan,
    ids: &[SfId],
) -> Result<HashMap<SfId, RowError>> {
    if ids.is_empty() || !plan.may_be_refused() {
        return Ok(HashMap::new());
    }
    let mut probe = Probe {
        sql,
        used: HashMap::new(),
    };
    // Each record of a level, with the record of `ids` whose delete would reach it.
    let frontier: HashMap<String, String> = ids
        .iter()
        .map(|id| (id.as_str().to_owned(), id.as_str().to_owned()))
        .collect();
    let mut blocked: HashMap<String, (ChildLookup, Vec<String>)> = HashMap::new();
    find_blockers(&mut probe, plan, &frontier, &mut blocked)?;
    if blocked.is_empty() {
        return Ok(HashMap::new());
    }
    let tops: Vec<String> = blocked.keys().cloned().collect();
    let names = probe.sql.names(object, &tops)?;
    let mut refused = HashMap::new();
    for (top, (lookup, children)) in blocked {
        let id = SfId::parse(&top).map_err(|e| crate::StoreError::Corrupt(e.to_string()))?;
        let name = names.get(&top).cloned().unwrap_or_else(|| top.clone());
        refused.insert(id, restricted_delete_error(&name, &lookup.child, &children));
    }
    Ok(refused)
}

/// Walks `plan` from the records of `frontier` (record -> the top record it was reached from), noting
/// for each top record the first restricting relationship found and its children's names.
fn find_blockers(
    probe: &mut Probe<'_>,
    plan: &DeletePlan,
    frontier: &HashMap<String, String>,
    blocked: &mut HashMap<String, (ChildLookup, Vec<String>)>,
) -> Result<()> {
    let parents: Vec<String> = frontier.keys().cloned().collect();
    for lookup in &plan.restricts {
        if !probe.is_used(lookup)? {
            continue;
        }
        for child in probe.sql.live_children(lookup, &parents)? {
            let Some(top) = frontier.get(&child.parent) else {
                continue;
            };
            let entry = blocked
                .entry(top.clone())
                .or_insert_with(|| (lookup.clone(), Vec::new()));
            if entry.0 == *lookup {
                entry.1.push(child.name.unwrap_or(child.id));
            }
        }
    }
    for step in plan.cascades.iter().filter(|c| c.then.may_be_refused()) {
        if !probe.is_used(&step.lookup)? {
            continue;
        }
        let next: HashMap<String, String> = probe
            .sql
            .live_children(&step.lookup, &parents)?
            .into_iter()
            .filter_map(|child| Some((child.id, frontier.get(&child.parent)?.clone())))
            .collect();
        if !next.is_empty() {
            find_blockers(probe, &step.then, &next, blocked)?;
        }
    }
    Ok(())
}

/// Applies `plan` to the children of `deleted` (records of the plan's object just deleted, soft or
/// `hard`): cascading children deleted the same way, recursively; optional lookups cleared.
pub(crate) fn cascade(
    sql: &mut dyn CascadeSql,
    plan: &DeletePlan,
    deleted: &[String],
    hard: bool,
) -> Result<()> {
    if deleted.is_empty() || plan.is_empty() {
        return Ok(());
    }
    let mut probe = Probe {
        sql,
        used: HashMap::new(),
    };
    cascade_level(&mut probe, plan, deleted, hard)
}

fn cascade_level(
    probe: &mut Probe<'_>,
    plan: &DeletePlan,
    deleted: &[String],
    hard: bool,
) -> Result<()> {
    for lookup in &plan.clears {
        if probe.is_used(lookup)? {
            probe.sql.clear_lookup(lookup, deleted)?;
        }
    }
    for step in &plan.cascades {
        if !probe.is_used(&step.lookup)? {
            continue;
        }
        let children = probe.sql.delete_children(&step.lookup, deleted, hard)?;
        if !children.is_empty() && !step.then.is_empty() {
            cascade_level(probe, &step.then, &children, hard)?;
        }
    }
    Ok(())
}

/// The column naming `object`'s records in a refusal, when its table has one (a stored field, or the
/// generated person `Name`).
pub(crate) fn name_column(object: &SObject) -> Option<&str> {
    let field = bulkforce_core::org::cascade::display_name_field(object)?;
    let has_column = object.stored_fields().any(|f| f.name == field.name)
        || object.derived_name_parts(field).is_some();
    has_column.then_some(field.name.as_str())
}

/// The value each audit field of `object` takes when a cascade deletes its records: the writing user
/// for `LastModifiedById`, the time for the others.
pub(crate) fn audit_assignments(object: &SObject) -> Vec<(&'static str, AuditValue)> {
    crate::rows::audit_fields(object)
        .into_iter()
        .map(|name| {
            let value = if name == "LastModifiedById" {
                AuditValue::User
            } else {
                AuditValue::Now
            };
            (name, value)
        })
        .collect()
}

/// Which stamp an audit field gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AuditValue {
    Now,
    User,
}

/// What a chunk (or a REST unit's rows) of deletes does beyond its own records: built before its rows
/// are applied (the refusals), finished after (the cascade over what was deleted).
pub(crate) struct ChunkDeletes {
    plan: DeletePlan,
    hard: bool,
    refused: HashMap<SfId, RowError>,
}

impl ChunkDeletes {
    /// The deletes of `ingest`'s rows whose ids are `ids`; `None` when the rows are not deletes or the
    /// delete touches nothing beyond its records (no statement is run then).
    pub(crate) fn prepare(
        sql: &mut dyn CascadeSql,
        schema: &bulkforce_core::schema::Schema,
        ingest: &bulkforce_core::ingest::IngestPlan,
        ids: &[SfId],
    ) -> Result<Option<ChunkDeletes>> {
        use bulkforce_core::job::Operation;
        let hard = match ingest.operation() {
            Operation::Delete => false,
            Operation::HardDelete => true,
            _ => return Ok(None),
        };
        let object = ingest.object();
        let plan = DeletePlan::of(schema, object);
        if ids.is_empty() || plan.is_empty() {
            return Ok(None);
        }
        let refused = refusals(sql, object, &plan, ids)?;
        Ok(Some(ChunkDeletes {
            plan,
            hard,
            refused,
        }))
    }

    /// The failed outcome of a delete row that restricting children refuse, if they do.
    pub(crate) fn refusal(&self, op: &bulkforce_core::ingest::RowOp) -> Option<crate::RowOutcome> {
        use bulkforce_core::ingest::RowOp;
        match op {
            RowOp::Delete { id } | RowOp::HardDelete { id } => self.refused_id(*id),
            _ => None,
        }
    }

    /// The failed outcome of the delete of `id`, if restricting children refuse it.
    pub(crate) fn refused_id(&self, id: SfId) -> Option<crate::RowOutcome> {
        self.refused
            .get(&id)
            .map(|error| crate::RowOutcome::Failed {
                id: Some(id),
                error: error.clone(),
            })
    }

    /// Cascades the deletes of the records of `outcomes` that were deleted.
    pub(crate) fn finish<'o>(
        &self,
        sql: &mut dyn CascadeSql,
        outcomes: impl IntoIterator<Item = &'o crate::RowOutcome>,
    ) -> Result<()> {
        let deleted: Vec<String> = outcomes
            .into_iter()
            .filter_map(|o| match o {
                crate::RowOutcome::Deleted(id) => Some(id.as_str().to_owned()),
                _ => None,
            })
            .collect();
        self.finish_ids(sql, &deleted)
    }

    /// Cascades the deletes of the records `deleted`.
    pub(crate) fn finish_ids(&self, sql: &mut dyn CascadeSql, deleted: &[String]) -> Result<()> {
        cascade(sql, &self.plan, deleted, self.hard)
    }
}

/// The ids of the delete rows among `rows`.
pub(crate) fn delete_ids(
    rows: &[std::result::Result<
        bulkforce_core::ingest::RowOp,
        bulkforce_core::ingest::RowFailure,
    >],
) -> Vec<SfId> {
    use bulkforce_core::ingest::RowOp;
    rows.iter()
        .filter_map(|row| match row {
            Ok(RowOp::Delete { id } | RowOp::HardDelete { id }) => Some(*id),
            _ => None,
        })
        .collect()
}

/// The objects whose deleted records wait in a recycle bin: those with `IsDeleted` and the
/// `SystemModstamp` that dates the delete.
pub(crate) fn recycled_objects(
    schema: &bulkforce_core::schema::Schema,
) -> impl Iterator<Item = &SObject> {
    schema
        .objects()
        .map(std::convert::AsRef::as_ref)
        .filter(|o| recycled_objects_include(o))
}

/// Whether `object`'s deleted records wait in a recycle bin (see [`recycled_objects`]).
pub(crate) fn recycled_objects_include(object: &SObject) -> bool {
    object.field("IsDeleted").is_some() && object.field("SystemModstamp").is_some()
}

/// The name of the partial index over an object's deleted records (by `SystemModstamp`), which keeps
/// [`Store::purge_recycle_bin`](crate::Store::purge_recycle_bin) cheap.
pub(crate) fn recycle_bin_index(object: &SObject) -> String {
    format!("{}__recycle_bin", object.name)
}

/// The name of the partial index over `object`'s lookup `field` where set: one per lookup a delete acts
/// on ([`acted_on_lookups`](bulkforce_core::org::cascade::acted_on_lookups)), so a delete's statements
/// find the children of a chunk of parents without reading the whole child table, and a load that leaves
/// the lookup empty pays nothing for it.
pub(crate) fn lookup_index(object: &str, field: &str) -> String {
    format!("{object}__{field}__lookup")
}
