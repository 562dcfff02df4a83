//! The org's record types of one object, read from its `RecordType` rows with an ordinary SOQL query, so
//! both backends answer alike. Core decides what they mean ([`ObjectRecordTypes`]); this only reads them:
//! once per ingest job, per REST record write and per describe.

use crate::soql::{FISCAL_YEAR_START_MONTH, Mode};
use bulkforce_core::id::SfId;
use bulkforce_core::org::record_types::{ObjectRecordTypes, RecordTypeRow};
use bulkforce_core::schema::{SObject, Schema};
use bulkforce_soql::bound::Query;
use bulkforce_soql::{BindContext, compile};
use bulkforce_store::{QueryOptions, RecordUnit, Store, StoreError};
use chrono::{DateTime, Utc};
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
    Ok(Arc::new(ObjectRecordTypes::new(object, rows)))
}

/// `object`'s record types as an open REST write unit sees them (its own earlier writes included).
pub fn from_unit(
    unit: &mut dyn RecordUnit,
    schema: &Schema,
    object: &SObject,
) -> Result<Arc<ObjectRecordTypes>, StoreError> {
    let Some(query) = query_for(schema, object) else {
        return Ok(Arc::new(ObjectRecordTypes::new(object, [])));
    };
    let mut rows = Vec::new();
    unit.run_query(&query, QueryOptions::default(), &mut |values| {
        rows.extend(RecordTypeRow::from_values(values));
        Ok(true)
    })?;
    Ok(Arc::new(ObjectRecordTypes::new(object, rows)))
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
