//! What a chunk's rows share on PostgreSQL ([`RowWriter`]), and [`apply_rows`]: the one place rows are
//! written, for ingest chunks and REST units alike.
//!
//! Rows are applied set by set rather than statement by statement: the chunk is cut, in row order, into
//! segments of rows that cannot affect one another (see `segment`), and each segment is checked with a
//! few set-based queries (lookups, existence, unique values) and then written with one statement per
//! kind of row. Rows of one segment being independent, each gets the outcome it would get applied alone
//! after the segments before it: the outcomes are those of applying the rows one by one, as SQLite does.

use super::segment;
use crate::auto_fields::InsertFields;
use crate::postgres::ddl::{org_schema, quote};
use crate::rows;
use crate::{Result, RowOutcome};
use bulkforce_core::id::SfId;
use bulkforce_core::ingest::{IngestPlan, RowFailure, RowOp, RowValues};
use bulkforce_core::org::polymorphic::QueueOwner;
use bulkforce_core::schema::{FieldType, SObject, Schema};
use bulkforce_core::value::format_datetime;
use chrono::{DateTime, Utc};
use postgres::Transaction;
use std::collections::HashSet;

/// Who writes, when, and where: what every row of a write is stamped with.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Stamp {
    pub(crate) org: SfId,
    pub(crate) shard: u16,
    pub(crate) now: DateTime<Utc>,
    pub(crate) user: SfId,
}

/// A row on its way to the table, after its upsert key was matched.
#[derive(Debug)]
pub(super) enum Step {
    Insert(RowValues),
    Update { id: SfId, values: RowValues },
    Delete(SfId),
    HardDelete(SfId),
}

impl Step {
    /// The existing record the step writes, if any.
    pub(super) fn target(&self) -> Option<SfId> {
        match self {
            Step::Insert(_) => None,
            Step::Update { id, .. } | Step::Delete(id) | Step::HardDelete(id) => Some(*id),
        }
    }

    /// The values it writes, if any.
    pub(super) fn values(&self) -> Option<&RowValues> {
        match self {
            Step::Insert(values) | Step::Update { values, .. } => Some(values),
            Step::Delete(_) | Step::HardDelete(_) => None,
        }
    }

    /// The id a failure of this row reports.
    pub(super) fn reported_id(&self) -> Option<SfId> {
        self.target()
    }
}

/// A step with the index of its row in the chunk.
#[derive(Debug)]
pub(super) struct Pending {
    pub(super) row: usize,
    pub(super) step: Step,
}

/// Everything one chunk's rows share.
pub(super) struct RowWriter<'a, 'c> {
    pub(super) tx: &'a mut Transaction<'c>,
    pub(super) schema: &'a Schema,
    pub(super) object: &'a SObject,
    pub(super) plan: &'a IngestPlan,
    /// The object's table, schema-qualified and quoted.
    pub(super) table: String,
    pub(super) org_schema: String,
    pub(super) stamp: Stamp,
    /// The user and the time as the tables store them.
    pub(super) user: String,
    pub(super) now: String,
    /// `OwnerId`, set to the writing user when a row does not set it.
    pub(super) owner: Option<usize>,
    /// The owner field, where the object's owners may be queues (a group id there must be a queue's).
    pub(super) queue_owner: Option<QueueOwner>,
    pub(super) system_fields: Vec<&'static str>,
    pub(super) audit_fields: Vec<&'static str>,
    /// The object's unique fields (a unique index each).
    pub(super) unique_fields: Vec<usize>,
    /// Records an upsert key of these rows matched live in this transaction: known to be there.
    pub(super) matched_live: HashSet<SfId>,
    /// Each row's outcome once decided.
    pub(super) outcomes: Vec<Option<RowOutcome>>,
    /// The values of applied rows, handed back with the outcomes to be freed elsewhere.
    pub(super) spent: Vec<RowValues>,
    /// Auto-numbers and settable audit fields the inserts fill.
    pub(super) insert_fields: InsertFields,
    /// The object's validation rules and default value formulas (`None`: it has neither, decided once).
    pub(super) rules: Option<std::sync::Arc<crate::rules::WriteRules>>,
}

/// Applies `rows` of `plan` in order inside `tx`, stamped with `stamp`. A failed row is not applied and
/// does not stop the others; outcomes in row order, with the applied rows' values.
pub(crate) fn apply_rows(
    tx: &mut Transaction<'_>,
    schema: &Schema,
    plan: &IngestPlan,
    stamp: Stamp,
    rows: Vec<Result<RowOp, RowFailure>>,
) -> Result<(Vec<RowOutcome>, Vec<RowValues>)> {
    let object = plan.object().as_ref();
    let org_schema = org_schema(stamp.org);
    let mut writer = RowWriter {
        table: format!("{}.{}", quote(&org_schema), quote(&object.name)),
        org_schema,
        tx,
        schema,
        object,
        plan,
        stamp,
        user: stamp.user.as_str().to_owned(),
        now: format_datetime(&stamp.now),
        owner: object.field_index("OwnerId"),
        queue_owner: QueueOwner::of(schema, object),
        system_fields: rows::system_fields(object),
        audit_fields: rows::audit_fields(object),
        unique_fields: object
            .fields()
            .iter()
            .enumerate()
            .filter(|(_, f)| f.unique && f.ftype != FieldType::Id)
            .filter(|(_, f)| object.stored_fields().any(|s| s.name == f.name))
            .map(|(k, _)| k)
            .collect(),
        matched_live: HashSet::new(),
        outcomes: vec![None; rows.len()],
        spent: Vec::with_capacity(rows.len()),
        insert_fields: InsertFields::new(object, stamp.now, stamp.user, rows.len()),
        rules: crate::rules::WriteRules::for_object(schema, plan.object()),
    };
    let steps = writer.steps(rows)?;
    for part in segment::split(&writer, steps) {
        writer.apply_segment(part)?;
    }
    // Every row is decided by its segment; one that is not is a bug, reported as an error (the chunk
    // rolls back) rather than a panic of the worker.
    let outcomes = writer
        .outcomes
        .into_iter()
        .enumerate()
        .map(|(i, o)| {
            o.ok_or_else(|| {
                crate::StoreError::Corrupt(format!("row {i} of a chunk was not decided"))
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok((outcomes, writer.spent))
}

impl RowWriter<'_, '_> {
    /// Records a row's outcome.
    pub(super) fn decide(&mut self, row: usize, outcome: RowOutcome) {
        self.outcomes[row] = Some(outcome);
    }

    /// Fails `pending`'s row with `error`, reporting the record it names.
    pub(super) fn fail(&mut self, pending: &Pending, error: bulkforce_core::error::RowError) {
        let id = pending.step.reported_id();
        self.decide(pending.row, RowOutcome::Failed { id, error });
    }

    /// Checks and writes one segment of independent rows (the inserts' unique values are checked by
    /// `insert`, only when the unique indexes refuse them).
    fn apply_segment(&mut self, mut steps: Vec<Pending>) -> Result<()> {
        self.resolve_lookups(&mut steps)?;
        self.check_targets(&mut steps)?;
        self.check_rules(&mut steps)?;
        self.check_unique_values(&mut steps, false)?;
        let (mut inserts, mut updates, mut deletes, mut hard) = (vec![], vec![], vec![], vec![]);
        for pending in steps {
            match pending.step {
                Step::Insert(values) => inserts.push((pending.row, values)),
                Step::Update { id, values } => updates.push((pending.row, id, values)),
                Step::Delete(id) => deletes.push((pending.row, id)),
                Step::HardDelete(id) => hard.push((pending.row, id)),
            }
        }
        self.insert(inserts)?;
        self.update(updates)?;
        self.soft_delete(deletes)?;
        self.hard_delete(hard)?;
        Ok(())
    }
}
