//! Record types: which record type a row gets, which it may name, and which picklist values each allows.
//!
//! Record types are org data (`RecordType` rows, created through the API as Salesforce allows), so every
//! answer here is per org: the caller reads the org's rows once (per job, per REST write, per describe)
//! and asks an [`ObjectRecordTypes`] built from them. What rows cannot say comes from the object's describe
//! file: `recordTypeInfos` entries matched to rows by `developerName` name the default record type
//! (`defaultRecordTypeMapping`) and, in describeLayout's `picklistsForRecordType` shape, the picklist values
//! each record type offers.
//!
//! The master record type (`012000000000000AAA`) is no row: it is every object's fallback. A record of the
//! master record type stores no `RecordTypeId` (null), as Salesforce's SOQL answers it.

use crate::error::RowError;
use crate::id::SfId;
use crate::ingest::RowValues;
use crate::schema::{Field, FieldTraits, FieldType, PicklistValue, SObject, Schema};
use crate::value::Value;
use serde::{Deserialize, Serialize};
use serde_json::{Value as Json, json};

/// The id every org gives the master record type.
pub const MASTER_RECORD_TYPE_ID: &str = "012000000000000AAA";
/// The object whose rows are the org's record types.
pub const RECORD_TYPE_OBJECT: &str = "RecordType";
/// The lookup a record names its record type with.
pub const RECORD_TYPE_FIELD: &str = "RecordTypeId";
/// The `RecordType` field naming the object a record type is of: a restricted picklist of the objects
/// that can have record types.
pub const SOBJECT_TYPE_FIELD: &str = "SobjectType";
/// The `RecordType` field a relationship column (`RecordType.DeveloperName`) may name a record type by.
pub const DEVELOPER_NAME: &str = "DeveloperName";

/// One `RecordType` row, as far as record-type decisions need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordTypeRow {
    pub id: SfId,
    pub sobject_type: String,
    pub developer_name: String,
    pub name: String,
    pub active: bool,
}

impl RecordTypeRow {
    /// The columns [`RecordTypeRow::from_values`] reads, in order, for the SOQL the caller runs.
    pub const COLUMNS: &'static str = "Id, SobjectType, DeveloperName, Name, IsActive";

    /// The SOQL that reads `object`'s record types (`object` is a schema object name: letters, digits and
    /// underscores only, so it needs no escaping).
    pub fn soql_for(object: &str) -> String {
        format!(
            "SELECT {} FROM {RECORD_TYPE_OBJECT} WHERE SobjectType = '{object}'",
            Self::COLUMNS
        )
    }

    /// A row from the values of [`RecordTypeRow::COLUMNS`]; `None` for a row without a valid id.
    pub fn from_values(values: &[Value]) -> Option<RecordTypeRow> {
        let text = |i: usize| match values.get(i) {
            Some(Value::Text(t)) => t.clone(),
            _ => String::new(),
        };
        let active = match values.get(4) {
            Some(Value::Integer(n)) => *n != 0,
            Some(Value::Text(t)) => t.eq_ignore_ascii_case("true") || t == "1",
            _ => false,
        };
        Some(RecordTypeRow {
            id: SfId::parse(&text(0)).ok()?,
            sobject_type: text(1),
            developer_name: text(2),
            name: text(3),
            active,
        })
    }
}

/// One entry of a describe file's `recordTypeInfos`: what rows cannot say about a record type.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DeclaredRecordType {
    /// Matched (ignoring case) with the `DeveloperName` of the object's `RecordType` rows.
    pub developer_name: Option<String>,
    /// The record type a row gets when it names none (for the API user).
    pub default_record_type_mapping: bool,
    /// The picklist values this record type offers, in describeLayout's `recordTypeMappings` shape.
    pub picklists_for_record_type: Vec<PicklistForRecordType>,
    /// The label and `active` flag of the `RecordType` row a project declares for it: the server creates
    /// that row in every org lacking it ([`missing_project_rows`]). `None` for a describe file's entry.
    #[serde(skip)]
    pub project_row: Option<(String, bool)>,
}

/// A `RecordType` row to create: what a project declares of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectRow {
    pub sobject_type: String,
    pub developer_name: String,
    pub label: String,
    pub active: bool,
}

/// The record types a project declares for `object` that none of `rows` is (matched by developer name,
/// ignoring case): the `RecordType` rows an org needs so that the project's record types apply there.
pub fn missing_project_rows(object: &SObject, rows: &[RecordTypeRow]) -> Vec<ProjectRow> {
    object
        .record_type_infos
        .iter()
        .filter_map(|declared| {
            let (label, active) = declared.project_row.as_ref()?;
            let name = declared.developer_name.as_deref()?;
            let present = rows.iter().any(|r| {
                r.sobject_type.eq_ignore_ascii_case(&object.name)
                    && r.developer_name.eq_ignore_ascii_case(name)
            });
            (!present).then(|| ProjectRow {
                sobject_type: object.name.clone(),
                developer_name: name.to_owned(),
                label: label.clone(),
                active: *active,
            })
        })
        .collect()
}

/// The values one picklist offers under one record type (describeLayout's `picklistsForRecordType`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PicklistForRecordType {
    pub picklist_name: String,
    #[serde(default)]
    pub picklist_values: Vec<PicklistValue>,
}

/// One record type of an object with what its describe file declares for it.
#[derive(Debug, Clone, PartialEq)]
struct RecordType {
    row: RecordTypeRow,
    declared: Option<DeclaredRecordType>,
}

/// An object's record types in one org: the decisions a write and a describe need.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ObjectRecordTypes {
    object: String,
    /// Sorted by name, as describe lists them (the master record type comes after them).
    types: Vec<RecordType>,
    /// The active record type rows get when they name none; `None`: the master record type.
    default: Option<SfId>,
    /// The index of `RecordTypeId` in the object's fields; `None` when the object has no such field.
    field: Option<usize>,
}

impl ObjectRecordTypes {
    /// `object`'s record types among `rows` (rows of other objects are ignored), with what its describe
    /// file declares for them.
    pub fn new(object: &SObject, rows: impl IntoIterator<Item = RecordTypeRow>) -> Self {
        let mut types: Vec<RecordType> = rows
            .into_iter()
            .filter(|r| r.sobject_type.eq_ignore_ascii_case(&object.name))
            .map(|row| {
                let declared = object
                    .record_type_infos
                    .iter()
                    .find(|d| {
                        d.developer_name
                            .as_deref()
                            .is_some_and(|n| n.eq_ignore_ascii_case(&row.developer_name))
                    })
                    .cloned();
                RecordType { row, declared }
            })
            .collect();
        types.sort_by(|a, b| {
            let key = |t: &RecordType| t.row.name.to_lowercase();
            key(a)
                .cmp(&key(b))
                .then_with(|| a.row.id.as_str().cmp(b.row.id.as_str()))
        });
        let default = types
            .iter()
            .find(|t| {
                t.row.active
                    && t.declared
                        .as_ref()
                        .is_some_and(|d| d.default_record_type_mapping)
            })
            .map(|t| t.row.id);
        let field = object
            .field_index(RECORD_TYPE_FIELD)
            .filter(|&i| object.fields()[i].ftype == FieldType::Reference);
        ObjectRecordTypes {
            object: object.name.clone(),
            types,
            default,
            field,
        }
    }

    /// The record type an inserted row gets when it names none: `None` for the master record type (the
    /// row's `RecordTypeId` stays null).
    pub fn default_id(&self) -> Option<SfId> {
        self.default
    }

    /// The index of the object's `RecordTypeId` field, if it has one.
    pub fn field(&self) -> Option<usize> {
        self.field
    }

    /// Applies the org's record types to one row's values: a `RecordType.DeveloperName` lookup becomes
    /// the record type's id, a named record type must be an active one of this object (the master record
    /// type names none: stored as null), and a restricted picklist's value must be one the row's record
    /// type offers. `insert` says the row is an insert, whose record type is the default when it names none;
    /// other rows are checked against the record type they name, if any.
    pub fn apply(
        &self,
        object: &SObject,
        values: &mut RowValues,
        insert: bool,
    ) -> Result<(), RowError> {
        let Some(field) = self.field else {
            return Ok(());
        };
        self.resolve_developer_name(values, field)?;
        let named = match values.get(field) {
            Some(Value::Text(text)) => Some(self.check_named(text)?),
            _ => None,
        };
        if let Some(named) = named {
            let stored = named.map_or(Value::Null, |id| Value::Text(id.as_str().to_owned()));
            values.set(field, stored);
        }
        let effective = match named {
            Some(named) => named,
            None if insert => self.default,
            None => return Ok(()),
        };
        self.check_picklists(object, effective, values)
    }

    /// Replaces a `RecordType.DeveloperName` lookup by the id of this object's record type of that name.
    fn resolve_developer_name(&self, values: &mut RowValues, field: usize) -> Result<(), RowError> {
        let Some(position) = values.lookups.iter().position(|l| {
            l.lookup_field == field
                && l.parent_object.eq_ignore_ascii_case(RECORD_TYPE_OBJECT)
                && l.parent_field.eq_ignore_ascii_case(DEVELOPER_NAME)
        }) else {
            return Ok(());
        };
        let lookup = values.lookups.remove(position);
        let found = self
            .types
            .iter()
            .find(|t| t.row.developer_name.eq_ignore_ascii_case(&lookup.value))
            .ok_or_else(|| {
                RowError::foreign_key_not_found(&lookup.value, DEVELOPER_NAME, RECORD_TYPE_OBJECT)
            })?;
        values.set(field, Value::Text(found.row.id.as_str().to_owned()));
        Ok(())
    }

    /// The record type a `RecordTypeId` value names: `Ok(None)` for the master record type, the id of an
    /// active record type of this object, or Salesforce's refusal.
    fn check_named(&self, text: &str) -> Result<Option<SfId>, RowError> {
        let id = SfId::parse(text.trim()).map_err(|_| invalid_record_type(text))?;
        if id.as_str() == MASTER_RECORD_TYPE_ID {
            return Ok(None);
        }
        self.types
            .iter()
            .find(|t| t.row.id == id && t.row.active)
            .map(|t| Some(t.row.id))
            .ok_or_else(|| invalid_record_type(id.as_str()))
    }

    /// Each restricted picklist value the row sets must be one `record_type` offers, where its describe
    /// file lists that picklist's values for it (the master record type offers every value of the field).
    fn check_picklists(
        &self,
        object: &SObject,
        record_type: Option<SfId>,
        values: &RowValues,
    ) -> Result<(), RowError> {
        let Some(declared) = record_type
            .and_then(|id| self.types.iter().find(|t| t.row.id == id))
            .and_then(|t| t.declared.as_ref())
        else {
            return Ok(());
        };
        for allowed in &declared.picklists_for_record_type {
            let Some(index) = object.field_index(&allowed.picklist_name) else {
                continue;
            };
            let field = &object.fields()[index];
            if !field.restricted_picklist {
                continue;
            }
            let Some(Value::Text(value)) = values.get(index) else {
                continue;
            };
            let offered = |v: &str| {
                allowed
                    .picklist_values
                    .iter()
                    .any(|p| p.active && p.value == v)
            };
            let refused = match field.ftype {
                FieldType::MultiPicklist => value.split(';').find(|v| !offered(v)),
                _ => Some(value.as_str()).filter(|v| !offered(v)),
            };
            if let Some(refused) = refused {
                return Err(RowError::restricted_picklist(
                    &field.label,
                    &field.name,
                    refused,
                ));
            }
        }
        Ok(())
    }

    /// Gives each picklist an insert leaves out the default value the row's record type declares for it
    /// (Salesforce's record-type default comes before the field's own). The row's record type is the one
    /// its `RecordTypeId` names (already resolved by [`ObjectRecordTypes::apply`]), else the default one;
    /// the master record type declares no defaults. A multi-select picklist gets all its defaults.
    pub fn fill_picklist_defaults(&self, object: &SObject, values: &mut RowValues) {
        let Some(field) = self.field else {
            return;
        };
        let record_type = match values.get(field) {
            Some(Value::Text(text)) => SfId::parse(text.trim()).ok(),
            Some(_) => None,
            None => self.default,
        };
        let Some(declared) = record_type
            .and_then(|id| self.types.iter().find(|t| t.row.id == id))
            .and_then(|t| t.declared.as_ref())
        else {
            return;
        };
        for picklist in &declared.picklists_for_record_type {
            let Some(index) = object.field_index(&picklist.picklist_name) else {
                continue;
            };
            if values.get(index).is_some() {
                continue;
            }
            let mut defaults = picklist
                .picklist_values
                .iter()
                .filter(|p| p.active && p.default_value)
                .map(|p| p.value.as_str());
            let default = match object.fields()[index].ftype {
                FieldType::MultiPicklist => {
                    Some(defaults.collect::<Vec<_>>().join(";")).filter(|joined| !joined.is_empty())
                }
                _ => defaults.next().map(str::to_owned),
            };
            if let Some(default) = default {
                values.set(index, Value::Text(default));
            }
        }
    }

    /// Describe's `recordTypeInfos`: the object's record types by name, then the master record type,
    /// which is the default when no active record type is.
    pub fn describe_infos(&self, version: &str) -> Json {
        let layout = |id: &str| {
            format!(
                "/services/data/v{version}/sobjects/{}/describe/layouts/{id}",
                self.object
            )
        };
        let mut infos: Vec<Json> = self
            .types
            .iter()
            .map(|t| {
                json!({
                    "active": t.row.active,
                    "available": t.row.active,
                    "defaultRecordTypeMapping": self.default == Some(t.row.id),
                    "developerName": t.row.developer_name,
                    "master": false,
                    "name": t.row.name,
                    "recordTypeId": t.row.id.as_str(),
                    "urls": { "layout": layout(t.row.id.as_str()) },
                })
            })
            .collect();
        infos.push(json!({
            "active": true,
            "available": true,
            "defaultRecordTypeMapping": self.default.is_none(),
            "developerName": "Master",
            "master": true,
            "name": "Master",
            "recordTypeId": MASTER_RECORD_TYPE_ID,
            "urls": { "layout": layout(MASTER_RECORD_TYPE_ID) },
        }));
        Json::Array(infos)
    }
}

/// The objects that can have record types: those `RecordType.SobjectType` lists (a record type names its
/// object there), so the built-in `RecordType` describe is the one list.
pub fn objects_with_record_types(schema: &Schema) -> Vec<String> {
    schema
        .object(RECORD_TYPE_OBJECT)
        .and_then(|record_type| record_type.field(SOBJECT_TYPE_FIELD))
        .map(|field| {
            field
                .picklist_values
                .iter()
                .map(|p| p.value.clone())
                .collect()
        })
        .unwrap_or_default()
}

/// Lets every custom object of `schema` have record types, as Salesforce lets any custom object have
/// them: `RecordType.SobjectType` offers the object (its API name, labelled with its label), so a
/// `RecordType` row can name it, and the object has [`record_type_field`] (unless its describe file
/// declares its own), as every standard object that can have record types has it from the start.
///
/// Run after each describe file is merged, so the order of the files does not matter: a custom object
/// merged after them, or a `RecordType` describe file merged after the custom objects, gets the same.
pub(crate) fn allow_for_custom_objects(schema: &mut Schema) {
    let custom: Vec<std::sync::Arc<SObject>> =
        schema.objects().filter(|o| o.custom).cloned().collect();
    let mut offered = Vec::with_capacity(custom.len());
    for object in custom {
        offered.push(PicklistValue {
            active: true,
            default_value: false,
            label: Some(object.label.clone()),
            value: object.name.clone(),
        });
        if object.field(RECORD_TYPE_FIELD).is_none() {
            let mut object = (*object).clone();
            object.upsert_field(record_type_field());
            schema.replace_object(object);
        }
    }
    offer_object_types(schema, offered);
}

/// Adds `offered` to `RecordType.SobjectType`'s values where missing, keeping them in name order.
fn offer_object_types(schema: &mut Schema, offered: Vec<PicklistValue>) {
    let Some(record_type) = schema.object(RECORD_TYPE_OBJECT) else {
        return;
    };
    let Some(mut field) = record_type.field(SOBJECT_TYPE_FIELD).cloned() else {
        return;
    };
    let before = field.picklist_values.len();
    for value in offered {
        if !field
            .picklist_values
            .iter()
            .any(|p| p.value.eq_ignore_ascii_case(&value.value))
        {
            field.picklist_values.push(value);
        }
    }
    if field.picklist_values.len() == before {
        return;
    }
    field
        .picklist_values
        .sort_by_key(|p| p.value.to_ascii_lowercase());
    let mut record_type = (**record_type).clone();
    record_type.upsert_field(field);
    schema.replace_object(record_type);
}

/// The `RecordTypeId` lookup of an object that can have record types, as describe shows it: optional,
/// createable and updateable, defaulted on create (to the default record type).
///
/// Salesforce shows the field only once the object has a record type besides the master; bulkforce's
/// schema is fixed at start while record types are rows added at any time, so every object that can have
/// record types has the field from the start.
pub fn record_type_field() -> Field {
    Field {
        name: RECORD_TYPE_FIELD.to_owned(),
        label: "Record Type ID".to_owned(),
        ftype: FieldType::Reference,
        length: 18,
        precision: 0,
        scale: 0,
        digits: 0,
        nillable: true,
        createable: true,
        updateable: true,
        defaulted_on_create: true,
        unique: false,
        external_id: false,
        id_lookup: false,
        picklist_values: Vec::new(),
        restricted_picklist: false,
        reference_to: vec![RECORD_TYPE_OBJECT.to_owned()],
        relationship_name: Some("RecordType".to_owned()),
        custom: false,
        traits: FieldTraits::default(),
    }
}

/// Salesforce's refusal of a `RecordTypeId` that is no active record type of the row's object.
pub fn invalid_record_type(id: &str) -> RowError {
    RowError::new(
        "INVALID_CROSS_REFERENCE_KEY",
        format!("Record Type ID: this ID value isn't valid for the user: {id}"),
        vec![RECORD_TYPE_FIELD.to_owned()],
    )
}

/// Whether a relationship column may name `parent`'s record by `key_field` although the field is no
/// external id: `RecordType.DeveloperName`, resolved among the row's object's record types.
pub fn is_record_type_key(parent: &str, key_field: &str) -> bool {
    parent.eq_ignore_ascii_case(RECORD_TYPE_OBJECT)
        && key_field.eq_ignore_ascii_case(DEVELOPER_NAME)
}

#[cfg(test)]
mod tests;
