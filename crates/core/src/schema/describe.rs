//! Reading describe JSON (`sObject describe` results) into [`SObject`]s.

use super::{ChildRelationship, Field, FieldTraits, FieldType, PicklistValue, SObject};
use crate::id::KeyPrefix;
use serde::Deserialize;

/// Why a describe document could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    #[error("not a describe document: {0}")]
    Json(#[from] serde_json::Error),
    #[error("{0}")]
    Invalid(String),
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Document {
    /// The envelope `sf sobject describe --json` prints.
    Envelope {
        result: DescribeObject,
    },
    Bare(DescribeObject),
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DescribeObject {
    name: String,
    label: Option<String>,
    label_plural: Option<String>,
    key_prefix: Option<String>,
    custom: Option<bool>,
    #[serde(default)]
    fields: Vec<DescribeField>,
    #[serde(default)]
    child_relationships: Vec<ChildRelationship>,
    #[serde(default)]
    record_type_infos: Vec<crate::org::record_types::DeclaredRecordType>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DescribeField {
    name: String,
    label: Option<String>,
    #[serde(rename = "type")]
    ftype: String,
    #[serde(default)]
    length: u32,
    #[serde(default)]
    precision: u32,
    #[serde(default)]
    scale: u32,
    #[serde(default)]
    digits: u32,
    #[serde(default = "yes")]
    nillable: bool,
    #[serde(default = "yes")]
    createable: bool,
    #[serde(default = "yes")]
    updateable: bool,
    #[serde(default)]
    defaulted_on_create: bool,
    #[serde(default)]
    unique: bool,
    #[serde(default)]
    external_id: bool,
    #[serde(default)]
    id_lookup: bool,
    #[serde(default)]
    picklist_values: Vec<PicklistValue>,
    #[serde(default)]
    restricted_picklist: bool,
    #[serde(default)]
    reference_to: Vec<String>,
    relationship_name: Option<String>,
    custom: Option<bool>,
    #[serde(flatten)]
    traits: FieldTraits,
}

fn yes() -> bool {
    true
}

/// Parses one describe document. `fallback_prefix` is used for custom objects that name no `keyPrefix`.
pub fn parse_describe(
    text: &str,
    fallback_prefix: Option<KeyPrefix>,
) -> Result<SObject, SchemaError> {
    let object = match serde_json::from_str::<Document>(text)? {
        Document::Envelope { result } => result,
        Document::Bare(object) => object,
    };
    if object.name.is_empty()
        || !object
            .name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_')
    {
        return Err(SchemaError::Invalid(format!(
            "invalid object name {:?}",
            object.name
        )));
    }
    let custom = object.custom.unwrap_or(object.name.ends_with("__c"));
    let key_prefix = match (&object.key_prefix, fallback_prefix) {
        (Some(p), _) => KeyPrefix::parse(p).ok_or_else(|| {
            SchemaError::Invalid(format!("invalid keyPrefix {p:?} on {}", object.name))
        })?,
        (None, Some(p)) => p,
        (None, None) => {
            return Err(SchemaError::Invalid(format!(
                "{} has no keyPrefix",
                object.name
            )));
        }
    };
    let label = object
        .label
        .unwrap_or_else(|| object.name.trim_end_matches("__c").replace('_', " "));
    let plural = object.label_plural.unwrap_or_else(|| format!("{label}s"));
    let mut sobject = SObject::new(object.name, label, plural, key_prefix, custom);
    for f in object.fields {
        if f.name.is_empty()
            || !f
                .name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_')
        {
            return Err(SchemaError::Invalid(format!(
                "invalid field name {:?} on {}",
                f.name, sobject.name
            )));
        }
        let ftype = FieldType::parse(&f.ftype).ok_or_else(|| {
            SchemaError::Invalid(format!(
                "unknown type {:?} of {}.{}",
                f.ftype, sobject.name, f.name
            ))
        })?;
        let custom = f.custom.unwrap_or(f.name.ends_with("__c"));
        // The org issues an auto-number: no client sets or changes it, whatever the file says.
        let auto_number = f.traits.auto_number;
        sobject.upsert_field(Field {
            label: f.label.unwrap_or_else(|| f.name.clone()),
            name: f.name,
            ftype,
            length: f.length,
            precision: f.precision,
            scale: f.scale,
            digits: f.digits,
            nillable: f.nillable && !auto_number,
            createable: f.createable && !auto_number,
            updateable: f.updateable && !auto_number,
            defaulted_on_create: f.defaulted_on_create || auto_number,
            unique: f.unique,
            external_id: f.external_id,
            id_lookup: f.id_lookup,
            picklist_values: f.picklist_values,
            restricted_picklist: f.restricted_picklist,
            reference_to: f.reference_to,
            relationship_name: f.relationship_name,
            custom,
            traits: f.traits,
        });
    }
    for field in sobject.fields() {
        crate::org::auto_number::check_display_format(field)
            .map_err(|e| SchemaError::Invalid(format!("{}.{}: {e}", sobject.name, field.name)))?;
    }
    sobject.child_relationships = object.child_relationships;
    sobject.record_type_infos = object.record_type_infos;
    Ok(sobject)
}

impl Field {
    /// The field in describe shape, as `GET /sobjects/X/describe` answers it.
    pub fn describe_json(&self) -> serde_json::Value {
        let soap_type = match self.ftype {
            FieldType::Id | FieldType::Reference => "tns:ID",
            FieldType::Boolean => "xsd:boolean",
            FieldType::Int => "xsd:int",
            FieldType::Long => "xsd:long",
            FieldType::Double | FieldType::Currency | FieldType::Percent => "xsd:double",
            FieldType::Date => "xsd:date",
            FieldType::DateTime => "xsd:dateTime",
            FieldType::Time => "xsd:time",
            FieldType::Base64 => "xsd:base64Binary",
            FieldType::Compound => "urn:address",
            _ => "xsd:string",
        };
        serde_json::json!({
            "name": self.name,
            "label": self.label,
            "type": self.ftype.name(),
            "soapType": soap_type,
            "length": self.length,
            "byteLength": self.length * 3,
            "precision": self.precision,
            "scale": self.scale,
            "digits": self.digits,
            "nillable": self.nillable,
            "createable": self.createable,
            "updateable": self.updateable,
            "defaultedOnCreate": self.defaulted_on_create,
            "unique": self.unique,
            "externalId": self.external_id,
            "idLookup": self.id_lookup,
            "filterable": true,
            "sortable": self.ftype != FieldType::TextArea || self.length <= 255,
            "groupable": !matches!(self.ftype, FieldType::TextArea | FieldType::Double | FieldType::Currency | FieldType::Percent | FieldType::DateTime),
            "calculated": self.traits.calculated || self.traits.formula.is_some(),
            "calculatedFormula": self
                .traits
                .formula
                .as_ref()
                .map(|f| f.source.as_str())
                .or(self.traits.calculated_formula.as_deref()),
            "defaultValueFormula": self.traits.default_formula,
            "autoNumber": self.traits.auto_number,
            "cascadeDelete": self.traits.cascade_delete,
            "restrictedDelete": self.traits.restricted_delete,
            "compoundFieldName": self.traits.compound_field_name,
            "controllerName": self.traits.controller_name,
            "polymorphicForeignKey": self.reference_to.len() > 1,
            "picklistValues": self.picklist_values,
            "restrictedPicklist": self.restricted_picklist,
            "referenceTo": self.reference_to,
            "relationshipName": self.relationship_name,
            "custom": self.custom,
        })
    }
}

impl SObject {
    /// The `urls` block of describe answers.
    fn urls(&self, version: &str) -> serde_json::Value {
        let base = format!("/services/data/v{version}/sobjects/{}", self.name);
        serde_json::json!({
            "sobject": base,
            "describe": format!("{base}/describe"),
            "rowTemplate": format!("{base}/{{ID}}"),
        })
    }

    /// One entry of `GET /sobjects` (describeGlobal).
    pub fn global_describe_json(&self, version: &str) -> serde_json::Value {
        serde_json::json!({
            "name": self.name,
            "label": self.label,
            "labelPlural": self.label_plural,
            "keyPrefix": self.key_prefix.as_str(),
            "custom": self.custom,
            "createable": true,
            "updateable": true,
            "deletable": true,
            "queryable": true,
            "retrieveable": true,
            "searchable": true,
            "layoutable": true,
            "urls": self.urls(version),
        })
    }

    /// `GET /sobjects/X/describe`: the object with every field.
    pub fn describe_json(&self, version: &str) -> serde_json::Value {
        let mut value = self.global_describe_json(version);
        let fields: Vec<_> = self.fields().iter().map(Field::describe_json).collect();
        value["fields"] = serde_json::Value::Array(fields);
        value["childRelationships"] = serde_json::json!(self.child_relationships);
        value
    }
}
