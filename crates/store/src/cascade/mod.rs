//! Executing a [`DeletePlan`] (core decides, this runs it), shared by both backends so they cannot drift
//! apart: each backend only supplies the few set-based statements of [`CascadeSql`], every one over a
//! bounded slice of parent ids (never a statement per child row, never an unbounded list of ids).
//!
//! Two steps around a chunk's deletes, in its transaction:
//! - [`refusals`] before: the parents a restricting lookup keeps (directly, or through a record a
//!   cascade would delete), with Salesforce's `DELETE_FAILED` row error, and the parents whose cascade
//!   would reach [`CASCADE_LIMIT`](bulkforce_core::org::cascade::CASCADE_LIMIT) records
//!   (`DELETE_OPERATION_TOO_LARGE`);
//! - [`cascade`] after, over the parents actually deleted: children deleted (recursively), optional
//!   lookups cleared.
//!
//! Memory stays bounded whatever the data: parents are taken [`SLICE`] at a time, a cascade's children
//! are walked a page of [`SLICE`] ids at a time (their own children deleted before them), and a refusal
//! reads at most the names its message shows.
//!
//! A lookup that no record sets is skipped after one probe of its index (`lookup_index`: the records
//! where it is set), so a delete of records that nothing points at pays a few index probes per chunk.

mod path_sql;
mod refusals;

pub(crate) use path_sql::{PathSql, live_condition};
pub(crate) use refusals::refusals;

use crate::Result;
use bulkforce_core::error::RowError;
use bulkforce_core::id::SfId;
use bulkforce_core::org::cascade::{ChildLookup, DeletePlan};
use bulkforce_core::schema::SObject;
use std::collections::HashMap;

/// How many parent ids one cascade statement takes, and how many child ids one page of a cascade
/// holds: large enough that a delete of many records runs few statements, small enough that the
/// lists stay small.
pub(crate) const SLICE: usize = 1_000;

/// A record reached from a deleted one: its id, the deleted record it was reached from, and its
/// display name.
#[derive(Debug, Clone)]
pub(crate) struct ChildRow {
    pub(crate) id: String,
    pub(crate) parent: String,
    pub(crate) name: Option<String>,
}

/// The statements a backend runs for a delete plan, inside the transaction of the delete. Each takes
/// at most [`SLICE`] parents as one list and is one statement.
///
/// A path (`&[&ChildLookup]`) goes down from the parents: its first lookup points at them, each next
/// one at the records of the previous; the statements over a path are built by [`PathSql`].
pub(crate) trait CascadeSql {
    /// Whether any record of `lookup.child`, live or deleted, sets the lookup (one probe of its index).
    fn is_used(&mut self, lookup: &ChildLookup) -> Result<bool>;

    /// The live records at the end of `path` (every record along it live), at most `per_parent` per
    /// parent (the first by Id), each with the parent it was reached from and its display name.
    fn first_reached(
        &mut self,
        path: &[&ChildLookup],
        parents: &[String],
        per_parent: usize,
    ) -> Result<Vec<ChildRow>>;

    /// How many records, live or in the recycle bin, are at the end of `path`, per parent that has
    /// any.
    fn count_reached(
        &mut self,
        path: &[&ChildLookup],
        parents: &[String],
    ) -> Result<Vec<(String, u64)>>;

    /// The ids of the children of `parents` through `lookup` (the live ones, or `all`), ordered, at
    /// most `limit` of them, those after `after`.
    fn child_ids(
        &mut self,
        lookup: &ChildLookup,
        parents: &[String],
        after: Option<&str>,
        limit: usize,
        all: bool,
    ) -> Result<Vec<String>>;

    /// Deletes the children of `parents` through `lookup` (soft: the live ones go to the recycle bin,
    /// stamped as a delete; hard: all of them are removed).
    fn delete_children(
        &mut self,
        lookup: &ChildLookup,
        parents: &[String],
        hard: bool,
    ) -> Result<()>;

    /// Sets the lookup of the live children of `parents` to null (their `SystemModstamp` moves).
    fn clear_lookup(&mut self, lookup: &ChildLookup, parents: &[String]) -> Result<()>;

    /// The display names of `object`'s records `ids` (those that have one).
    fn names(&mut self, object: &SObject, ids: &[String]) -> Result<HashMap<String, String>>;
}

/// Remembers which lookups no record sets during one delete, so each is probed once.
pub(crate) struct Probe<'a> {
    pub(crate) sql: &'a mut dyn CascadeSql,
    used: HashMap<(String, String), bool>,
}

impl<'a> Probe<'a> {
    pub(crate) fn new(sql: &'a mut dyn CascadeSql) -> Probe<'a> {
        Probe {
            sql,
            used: HashMap::new(),
        }
    }

    pub(crate) fn is_used(&mut self, lookup: &ChildLookup) -> Result<bool> {
        let key = (lookup.child.name.clone(), lookup.field.clone());
        if let Some(known) = self.used.get(&key) {
            return Ok(*known);
        }
        let used = self.sql.is_used(lookup)?;
        self.used.insert(key, used);
        Ok(used)
    }

    /// Whether every lookup of `path` is set by some record (else the path reaches nothing).
    pub(crate) fn path_used(&mut self, path: &[&ChildLookup]) -> Result<bool> {
        for lookup in path {
            if !self.is_used(lookup)? {
                return Ok(false);
            }
        }
        Ok(true)
    }
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
    cascade_level(&mut Probe::new(sql), plan, deleted, hard)
}

/// One level of a cascade, [`SLICE`] parents at a time. A cascading child's own children go first, a
/// page of its ids at a time (the live ones; all of them for a hard delete), then the child itself in
/// one statement: no list of ids grows with the data.
fn cascade_level(
    probe: &mut Probe<'_>,
    plan: &DeletePlan,
    deleted: &[String],
    hard: bool,
) -> Result<()> {
    for parents in deleted.chunks(SLICE) {
        for lookup in &plan.clears {
            if probe.is_used(lookup)? {
                probe.sql.clear_lookup(lookup, parents)?;
            }
        }
        for step in &plan.cascades {
            if !probe.is_used(&step.lookup)? {
                continue;
            }
            if !step.then.is_empty() {
                let mut after: Option<String> = None;
                loop {
                    let page = probe.sql.child_ids(
                        &step.lookup,
                        parents,
                        after.as_deref(),
                        SLICE,
                        hard,
                    )?;
                    if !page.is_empty() {
                        cascade_level(probe, &step.then, &page, hard)?;
                    }
                    if page.len() < SLICE {
                        break;
                    }
                    after = page.last().cloned();
                }
            }
            probe.sql.delete_children(&step.lookup, parents, hard)?;
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
