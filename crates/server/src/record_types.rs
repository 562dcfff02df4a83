//! The org's record types of one object, read from its `RecordType` rows with an ordinary SOQL query, so
//! both backends answer alike. Core decides what they mean ([`ObjectRecordTypes`]); this only reads them:
//! once per ingest job, per describe, and per object in a REST write unit ([`MemoizedUnit`]).

use crate::soql::{FISCAL_YEAR_START_MONTH, Mode};
use bulkforce_core::id::SfId;
use bulkforce_core::ingest::{IngestPlan, RowFailure, RowOp, RowValues};
use bulkforce_core::job::Operation;
use bulkforce_core::org::record_types::{
    ObjectRecordTypes, RECORD_TYPE_OBJECT, RecordTypeRow, missing_project_rows,
};
use bulkforce_core::schema::{SObject, Schema};
use bulkforce_core::value::Value;
use bulkforce_soql::bound::Query;
use bulkforce_soql::{BindContext, compile};
use bulkforce_store::{
    QueryOptions, RecordFields, RecordUnit, RowOutcome, Store, StoreError, UnitEnd,
};
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::sync::Arc;

/// `object`'s record types in `org`, read from the store.
pub fn from_store(
    store: &dyn Store,
    org: SfId,
    object: &SObject,
) -> Result<Arc<ObjectRecordTypes>, StoreError> {
    let Some(query) = query_for(store.schema(), object) else {
        return Ok(Arc::new(ObjectRecordTypes::new(object, [])));
    };
    let mut rows = Vec::new();
    store.run_query(org, &query, QueryOptions::default(), &mut |values| {
        rows.extend(RecordTypeRow::from_values(values));
        Ok(true)
    })?;
    if !missing_project_rows(object, &rows).is_empty() {
        // Created under the unit's write hold, which reads the rows again: two first reads at once
        // create each row once.
        let Some(user) = store.list_users(org)?.first().map(|p| p.user_id) else {
            return Ok(Arc::new(ObjectRecordTypes::new(object, rows)));
        };
        let schema = store.schema().clone();
        store.write_unit(org, user, &mut |unit| {
            rows = read_and_create(unit, &schema, object, &query)?;
            Ok(UnitEnd::Commit)
        })?;
    }
    Ok(Arc::new(ObjectRecordTypes::new(object, rows)))
}

/// Creates in every org of `store` the `RecordType` rows the project declares and the org lacks (at
/// start; orgs created or reset later get theirs at their first read of an object's record types).
pub fn create_project_rows(store: &dyn Store) -> Result<(), StoreError> {
    let schema = store.schema().clone();
    let objects: Vec<Arc<SObject>> = schema
        .objects()
        .filter(|o| o.record_type_infos.iter().any(|d| d.project_row.is_some()))
        .cloned()
        .collect();
    if objects.is_empty() {
        return Ok(());
    }
    for org in store.list_orgs()? {
        for object in &objects {
            from_store(store, org.id, object)?;
        }
    }
    Ok(())
}

/// `object`'s `RecordType` rows as `unit` sees them, after creating there those the project declares and
/// the unit lacks.
fn read_and_create(
    unit: &mut dyn RecordUnit,
    schema: &Schema,
    object: &SObject,
    query: &Query,
) -> Result<Vec<RecordTypeRow>, StoreError> {
    let mut rows = read_in_unit(unit, query)?;
    let missing = missing_project_rows(object, &rows);
    if missing.is_empty() {
        return Ok(rows);
    }
    let Some(record_type) = schema.object(RECORD_TYPE_OBJECT) else {
        return Ok(rows);
    };
    let header = ["SobjectType", "DeveloperName", "Name", "IsActive"].map(String::from);
    let plan = IngestPlan::new(
        schema,
        record_type.clone(),
        Operation::Insert,
        None,
        &header,
    )
    .map_err(StoreError::Corrupt)?;
    let field = |name: &str| {
        record_type
            .field_index(name)
            .ok_or_else(|| StoreError::Corrupt(format!("RecordType has no {name}")))
    };
    let fields = [
        field(header[0].as_str())?,
        field(header[1].as_str())?,
        field(header[2].as_str())?,
        field(header[3].as_str())?,
    ];
    let ops = missing
        .into_iter()
        .map(|row| {
            let mut values = RowValues::default();
            values.set(fields[0], Value::Text(row.sobject_type));
            values.set(fields[1], Value::Text(row.developer_name));
            values.set(fields[2], Value::Text(row.label));
            values.set(fields[3], Value::Integer(i64::from(row.active)));
            plan.complete_insert(&mut values)
                .map_err(|error| RowFailure { id: None, error })?;
            Ok(RowOp::Insert(values))
        })
        .collect();
    for outcome in unit.apply(&plan, ops)? {
        if let RowOutcome::Failed { error, .. } = outcome {
            tracing::warn!(object = %object.name, %error, "a project record type could not be created");
        }
    }
    rows = read_in_unit(unit, query)?;
    Ok(rows)
}

fn read_in_unit(
    unit: &mut dyn RecordUnit,
    query: &Query,
) -> Result<Vec<RecordTypeRow>, StoreError> {
    let mut rows = Vec::new();
    unit.run_query(query, QueryOptions::default(), &mut |values| {
        rows.extend(RecordTypeRow::from_values(values));
        Ok(true)
    })?;
    Ok(rows)
}

/// `object`'s record types as an open REST write unit sees them (its own earlier writes included): read
/// once per object in a [`MemoizedUnit`], at every call in a plain unit.
pub fn from_unit(
    unit: &mut dyn RecordUnit,
    schema: &Schema,
    object: &SObject,
) -> Result<Arc<ObjectRecordTypes>, StoreError> {
    let key = object.name.to_ascii_lowercase();
    if let Some(known) = memo_of(unit).and_then(|memo| memo.get(&key)) {
        return Ok(known.clone());
    }
    let Some(query) = query_for(schema, object) else {
        return Ok(Arc::new(ObjectRecordTypes::new(object, [])));
    };
    let rows = read_and_create(unit, schema, object, &query)?;
    let read = Arc::new(ObjectRecordTypes::new(object, rows));
    if let Some(memo) = memo_of(unit) {
        memo.insert(key, read.clone());
    }
    Ok(read)
}

/// Each object's record types a [`MemoizedUnit`] has read, by lower-case object name.
type Memo = HashMap<String, Arc<ObjectRecordTypes>>;

fn memo_of(unit: &mut dyn RecordUnit) -> Option<&mut Memo> {
    unit.memo()?.downcast_mut::<Memo>()
}

/// A write unit that remembers each object's record types once read, so that a collection of 200
/// records, a tree or a composite request reads them once per object rather than once per record. A write
/// of `RecordType` rows, or going back to a savepoint (which may undo one), forgets them all: the next
/// read sees the unit as it now is.
pub struct MemoizedUnit<'a> {
    unit: &'a mut dyn RecordUnit,
    memo: Memo,
}

impl<'a> MemoizedUnit<'a> {
    pub fn new(unit: &'a mut dyn RecordUnit) -> Self {
        MemoizedUnit {
            unit,
            memo: Memo::new(),
        }
    }
}

impl RecordUnit for MemoizedUnit<'_> {
    fn apply(
        &mut self,
        plan: &IngestPlan,
        rows: Vec<Result<RowOp, RowFailure>>,
    ) -> Result<Vec<RowOutcome>, StoreError> {
        if plan.object().name.eq_ignore_ascii_case(RECORD_TYPE_OBJECT) {
            self.memo.clear();
        }
        self.unit.apply(plan, rows)
    }

    fn get_record(&mut self, object: &str, id: SfId) -> Result<Option<RecordFields>, StoreError> {
        self.unit.get_record(object, id)
    }

    fn run_query(
        &mut self,
        query: &Query,
        options: QueryOptions,
        visit: &mut dyn FnMut(&[bulkforce_core::value::Value]) -> Result<bool, StoreError>,
    ) -> Result<u64, StoreError> {
        self.unit.run_query(query, options, visit)
    }

    fn savepoint(&mut self) -> Result<(), StoreError> {
        self.unit.savepoint()
    }

    fn rollback_to_savepoint(&mut self) -> Result<(), StoreError> {
        self.memo.clear();
        self.unit.rollback_to_savepoint()
    }

    fn release_savepoint(&mut self) -> Result<(), StoreError> {
        self.unit.release_savepoint()
    }

    fn memo(&mut self) -> Option<&mut dyn std::any::Any> {
        Some(&mut self.memo)
    }
}

/// The query reading `object`'s record types; `None` when no read is needed: the object has no
/// `RecordTypeId` (nothing to decide but describe's master record type), or the schema has no
/// `RecordType` object with the fields the query names.
fn query_for(schema: &Schema, object: &SObject) -> Option<Query> {
    object.field("RecordTypeId")?;
    let ctx = BindContext {
        // The statement has no date literal, so no clock reading can change it.
        now: DateTime::<Utc>::UNIX_EPOCH,
        fiscal_year_start_month: FISCAL_YEAR_START_MONTH,
    };
    compile(
        &RecordTypeRow::soql_for(&object.name),
        schema,
        &ctx,
        Mode::Rest,
    )
    .ok()
}
