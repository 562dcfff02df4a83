//! Row semantics every backend shares, with no SQL in them: which system fields a write stamps, which
//! fields a chunk's inserts and updates may write, how a row fails (Salesforce's row errors, kept apart
//! from storage failures), and what a lookup's or an upsert key's matches mean. Each backend finds the
//! stored facts its own way (SQLite row by row, PostgreSQL set by set) and decides with these, so one
//! row gets one outcome whichever backend applies it.

use crate::StoreError;
use bulkforce_core::error::RowError;
use bulkforce_core::id::SfId;
use bulkforce_core::ingest::{IngestPlan, ParentLookup, RowFailure, RowOp, UpsertKey};
use bulkforce_core::schema::{SObject, Schema};
use std::collections::HashMap;

/// System fields set on every write, where the object has them.
pub(crate) const AUDIT_FIELDS: [&str; 3] =
    ["LastModifiedDate", "LastModifiedById", "SystemModstamp"];
/// System fields set on insert only, where the object has them.
pub(crate) const CREATE_FIELDS: [&str; 3] = ["CreatedDate", "CreatedById", "IsDeleted"];

/// The create and audit fields `object` has, in the order inserts write them: the ones an insert
/// stamps itself (an audit field an org lets clients set is createable, and filled per row instead by
/// [`crate::auto_fields::InsertFields`]).
pub(crate) fn system_fields(object: &SObject) -> Vec<&'static str> {
    CREATE_FIELDS
        .iter()
        .chain(AUDIT_FIELDS.iter())
        .copied()
        .filter(|name| object.field(name).is_some_and(|f| !f.createable))
        .collect()
}

/// The audit fields `object` has: what every update and soft delete stamps.
pub(crate) fn audit_fields(object: &SObject) -> Vec<&'static str> {
    AUDIT_FIELDS
        .iter()
        .copied()
        .filter(|name| object.field(name).is_some())
        .collect()
}

/// Every field an insert of `rows` may write, sorted: the plan's insert defaults, the default owner,
/// each insert's and inserting upsert's fields, lookups and external key.
pub(crate) fn insert_columns(
    plan: &IngestPlan,
    owner: Option<usize>,
    rows: &[Result<RowOp, RowFailure>],
) -> Vec<usize> {
    let mut fields: Vec<usize> = plan.insert_default_fields().chain(owner).collect();
    fields.extend(crate::auto_fields::stamped_fields(plan.object()));
    for row in rows {
        let values = match row {
            Ok(RowOp::Insert(values)) => values,
            Ok(RowOp::Upsert { key, values }) => {
                if let UpsertKey::External { field, .. } = key {
                    fields.push(*field);
                }
                values
            }
            _ => continue,
        };
        fields.extend(values.assignments.iter().map(|(f, _)| *f));
        fields.extend(values.lookups.iter().map(|l| l.lookup_field));
    }
    fields.sort_unstable();
    fields.dedup();
    fields
}

/// Every field an update of `rows` may write (update and upsert rows, lookups included), sorted.
pub(crate) fn update_columns(rows: &[Result<RowOp, RowFailure>]) -> Vec<usize> {
    let mut fields: Vec<usize> = Vec::new();
    for row in rows {
        let Ok(RowOp::Update { values, .. } | RowOp::Upsert { values, .. }) = row else {
            continue;
        };
        fields.extend(values.assignments.iter().map(|(f, _)| *f));
        fields.extend(values.lookups.iter().map(|l| l.lookup_field));
    }
    fields.sort_unstable();
    fields.dedup();
    fields
}

/// External-id values that occur more than once among `rows`, with their counts: each of their rows
/// fails (Salesforce cannot tell which one the key means).
pub(crate) fn repeated_upsert_keys(rows: &[Result<RowOp, RowFailure>]) -> HashMap<String, usize> {
    let mut repeated_keys = HashMap::new();
    for row in rows {
        if let Ok(RowOp::Upsert {
            key: UpsertKey::External { text, .. },
            ..
        }) = row
        {
            *repeated_keys.entry(text.clone()).or_insert(0usize) += 1;
        }
    }
    repeated_keys.retain(|_, n| *n > 1);
    repeated_keys
}

/// What a row whose Id matched no live record reports: deleted (`Some(true)`: in the recycle bin) or
/// never there.
pub(crate) fn missing_record(deleted: Option<bool>) -> RowError {
    match deleted {
        Some(true) => RowError::entity_is_deleted(),
        _ => RowError::invalid_cross_reference(),
    }
}

/// Whether a reference field may point at a record in this state (`None`: no such record).
pub(crate) fn reference_target(deleted: Option<bool>) -> Result<(), RowError> {
    match deleted {
        Some(false) => Ok(()),
        other => Err(missing_record(other)),
    }
}

/// A unique value clash, naming a live record that holds the value (empty when only a deleted record
/// does).
pub(crate) fn duplicate_value(field: &str, live_holder: Option<SfId>) -> RowError {
    let other = live_holder
        .map(|i| i.as_str()[..15].to_owned())
        .unwrap_or_default();
    RowError::duplicate_value(field, &other)
}

/// The parent a relationship column names, from the live parents whose key field has the value (at
/// most two are needed to tell one from many).
pub(crate) fn parent_match(
    schema: &Schema,
    lookup: &ParentLookup,
    matches: &[SfId],
) -> Result<SfId, RowProblem> {
    let parent = schema
        .object(&lookup.parent_object)
        .ok_or_else(|| StoreError::Corrupt(format!("unknown parent {}", lookup.parent_object)))?;
    match matches {
        [id] => Ok(*id),
        [] => Err(RowProblem::Row(RowError::foreign_key_not_found(
            &lookup.value,
            &lookup.parent_field,
            &parent.name,
        ))),
        ids => {
            let label = parent
                .field(&lookup.parent_field)
                .map(|f| f.label.clone())
                .unwrap_or_default();
            let ids: Vec<String> = ids.iter().map(|i| i.as_str().to_owned()).collect();
            Err(RowProblem::Row(RowError::duplicate_external_id(
                &label, &ids,
            )))
        }
    }
}

/// What an upsert on an external id does, given the live records its key matches.
pub(crate) enum UpsertMatch {
    /// No record has the key: the row inserts one (with the key set).
    Insert,
    /// One record has it: the row updates it.
    Update(SfId),
}

/// Decides an external-id upsert from its matches (`label`: the key field's label).
pub(crate) fn upsert_match(label: &str, matches: &[SfId]) -> Result<UpsertMatch, RowError> {
    match matches {
        [] => Ok(UpsertMatch::Insert),
        [id] => Ok(UpsertMatch::Update(*id)),
        ids => {
            let ids: Vec<String> = ids.iter().map(|i| i.as_str().to_owned()).collect();
            Err(RowError::duplicate_external_id(label, &ids))
        }
    }
}

/// A row failure with the record id to report, or a storage failure that stops the chunk.
pub(crate) enum Failure {
    Row(Option<SfId>, RowError),
    Store(StoreError),
}

impl Failure {
    pub(crate) fn store(e: impl Into<StoreError>) -> Failure {
        Failure::Store(e.into())
    }
}

/// A problem found while resolving lookups, before the record id is attached.
pub(crate) enum RowProblem {
    Row(RowError),
    Store(StoreError),
}

impl RowProblem {
    pub(crate) fn on(self, id: Option<SfId>) -> Failure {
        match self {
            RowProblem::Row(e) => Failure::Row(id, e),
            RowProblem::Store(e) => Failure::Store(e),
        }
    }
}

impl From<StoreError> for RowProblem {
    fn from(e: StoreError) -> Self {
        RowProblem::Store(e)
    }
}

impl From<rusqlite::Error> for RowProblem {
    fn from(e: rusqlite::Error) -> Self {
        RowProblem::Store(e.into())
    }
}

impl From<::postgres::Error> for RowProblem {
    fn from(e: ::postgres::Error) -> Self {
        RowProblem::Store(e.into())
    }
}
