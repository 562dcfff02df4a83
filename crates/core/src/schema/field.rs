//! One field of an sObject, with the describe properties that drive validation.

use serde::{Deserialize, Serialize};

/// The describe `type` of a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    Id,
    String,
    TextArea,
    Picklist,
    MultiPicklist,
    Combobox,
    Boolean,
    Int,
    Long,
    Double,
    Currency,
    Percent,
    Date,
    DateTime,
    Time,
    Email,
    Phone,
    Url,
    Reference,
    EncryptedString,
    Base64,
    /// Compound address and geolocation fields: read through their components, never stored themselves.
    Compound,
}

impl FieldType {
    pub fn parse(name: &str) -> Option<FieldType> {
        Some(match name.to_ascii_lowercase().as_str() {
            "id" => FieldType::Id,
            "string" => FieldType::String,
            "textarea" => FieldType::TextArea,
            "picklist" => FieldType::Picklist,
            "multipicklist" => FieldType::MultiPicklist,
            "combobox" => FieldType::Combobox,
            "boolean" => FieldType::Boolean,
            "int" => FieldType::Int,
            "long" => FieldType::Long,
            "double" => FieldType::Double,
            "currency" => FieldType::Currency,
            "percent" => FieldType::Percent,
            "date" => FieldType::Date,
            "datetime" => FieldType::DateTime,
            "time" => FieldType::Time,
            "email" => FieldType::Email,
            "phone" => FieldType::Phone,
            "url" => FieldType::Url,
            "reference" => FieldType::Reference,
            "encryptedstring" => FieldType::EncryptedString,
            "base64" => FieldType::Base64,
            "address" | "location" | "complexvalue" | "anytype" => FieldType::Compound,
            _ => return None,
        })
    }

    /// The describe name.
    pub fn name(self) -> &'static str {
        match self {
            FieldType::Id => "id",
            FieldType::String => "string",
            FieldType::TextArea => "textarea",
            FieldType::Picklist => "picklist",
            FieldType::MultiPicklist => "multipicklist",
            FieldType::Combobox => "combobox",
            FieldType::Boolean => "boolean",
            FieldType::Int => "int",
            FieldType::Long => "long",
            FieldType::Double => "double",
            FieldType::Currency => "currency",
            FieldType::Percent => "percent",
            FieldType::Date => "date",
            FieldType::DateTime => "datetime",
            FieldType::Time => "time",
            FieldType::Email => "email",
            FieldType::Phone => "phone",
            FieldType::Url => "url",
            FieldType::Reference => "reference",
            FieldType::EncryptedString => "encryptedstring",
            FieldType::Base64 => "base64",
            FieldType::Compound => "address",
        }
    }

    /// The XML Schema type named in deserialisation errors (`xsd:double`, …).
    pub fn xsd_name(self) -> &'static str {
        match self {
            FieldType::Boolean => "xsd:boolean",
            FieldType::Int => "xsd:int",
            FieldType::Long => "xsd:long",
            FieldType::Double | FieldType::Currency | FieldType::Percent => "xsd:double",
            FieldType::Date => "xsd:date",
            FieldType::DateTime => "xsd:dateTime",
            FieldType::Time => "xsd:time",
            FieldType::Base64 => "xsd:base64Binary",
            _ => "xsd:string",
        }
    }

    /// Whether values of this type have a column of their own.
    pub fn is_stored(self) -> bool {
        self != FieldType::Compound
    }

    /// Text-like types whose `length` bounds the value.
    pub fn has_length(self) -> bool {
        matches!(
            self,
            FieldType::String
                | FieldType::TextArea
                | FieldType::Picklist
                | FieldType::MultiPicklist
                | FieldType::Combobox
                | FieldType::Email
                | FieldType::Phone
                | FieldType::Url
                | FieldType::EncryptedString
        )
    }

    /// Storage class of the values: text, integer or floating point.
    pub fn storage(self) -> Storage {
        match self {
            FieldType::Boolean | FieldType::Int | FieldType::Long => Storage::Integer,
            FieldType::Double | FieldType::Currency | FieldType::Percent => Storage::Real,
            _ => Storage::Text,
        }
    }
}

/// How a field's values are kept in the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Storage {
    Text,
    Integer,
    Real,
}

/// One allowed value of a picklist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PicklistValue {
    #[serde(default = "yes")]
    pub active: bool,
    #[serde(default)]
    pub default_value: bool,
    #[serde(default)]
    pub label: Option<String>,
    pub value: String,
}

fn yes() -> bool {
    true
}

/// A field with the describe properties bulkforce acts on.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    pub name: String,
    pub label: String,
    pub ftype: FieldType,
    pub length: u32,
    pub precision: u32,
    pub scale: u32,
    pub digits: u32,
    pub nillable: bool,
    pub createable: bool,
    pub updateable: bool,
    pub defaulted_on_create: bool,
    pub unique: bool,
    pub external_id: bool,
    pub id_lookup: bool,
    pub picklist_values: Vec<PicklistValue>,
    pub restricted_picklist: bool,
    pub reference_to: Vec<String>,
    pub relationship_name: Option<String>,
    pub custom: bool,
    /// What the org derives or enforces for this field beyond its type (issue 15's org behaviour).
    pub traits: FieldTraits,
}

/// Describe properties of a field that say what the org does with it rather than what it holds: derived
/// values, auto-numbers, what a delete of the referenced record does. All default to "nothing special", so
/// a describe file that omits them keeps today's behaviour.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct FieldTraits {
    /// A formula or roll-up the org computes (describe `calculated`): never written by a client.
    pub calculated: bool,
    /// The formula of a calculated field (describe `calculatedFormula`), when known.
    pub calculated_formula: Option<String>,
    /// An auto-number the org issues on insert (describe `autoNumber`).
    pub auto_number: bool,
    /// How an auto-number is shown (`CAS-{00000}`; metadata's `displayFormat`, not a describe key): when
    /// absent the number is zero-padded to eight digits as `CaseNumber` is.
    pub display_format: Option<String>,
    /// The first number an auto-number issues (metadata's `startingNumber`, not a describe key): when
    /// absent, the standard field's (`CaseNumber` 1000) or 1 (see [`crate::org::auto_number`]).
    pub starting_number: Option<u64>,
    /// On a lookup: deleting the referenced record deletes this record too (describe `cascadeDelete`).
    pub cascade_delete: bool,
    /// On a lookup: the referenced record cannot be deleted while this one points at it
    /// (describe `restrictedDelete`).
    pub restricted_delete: bool,
    /// The compound field this one is a part of (`BillingAddress` for `BillingCity`; describe
    /// `compoundFieldName`).
    pub compound_field_name: Option<String>,
    /// The field whose value controls this dependent picklist (describe `controllerName`).
    pub controller_name: Option<String>,
    /// A formula field of the org's own metadata (sfdx `<formula>`): never stored, computed when read (the
    /// store renders it as SQL), `calculated` in describe. Built-in derived fields have `calculated` without
    /// a formula here: those are stored and derived when written (see [`crate::org::stages`]).
    pub formula: Option<FormulaSpec>,
    /// A default value formula (sfdx `<defaultValue>`, describe `defaultValueFormula`): evaluated on insert
    /// when the row leaves the field out.
    pub default_formula: Option<String>,
}

/// The formula of a formula field, as the metadata gives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormulaSpec {
    /// The formula text (`<formula>`).
    pub source: String,
    /// `<formulaTreatBlanksAs>BlankAsZero</formulaTreatBlanksAs>` (the default) rather than `BlankAsBlank`.
    pub blanks_as_zero: bool,
}

impl Field {
    /// Salesforce's rule for "required on create": not nillable, createable, not defaulted, not a boolean.
    pub fn required_on_create(&self) -> bool {
        !self.nillable
            && self.createable
            && !self.defaulted_on_create
            && self.ftype != FieldType::Boolean
    }

    /// Whether `value` is one of the active picklist values (exact match, as restricted picklists require).
    pub fn allows_picklist_value(&self, value: &str) -> bool {
        self.picklist_values
            .iter()
            .any(|p| p.active && p.value == value)
    }

    /// The picklist value marked as default, used on insert when the cell is empty.
    pub fn default_picklist_value(&self) -> Option<&str> {
        self.picklist_values
            .iter()
            .find(|p| p.active && p.default_value)
            .map(|p| p.value.as_str())
    }

    /// Unique and external-id fields can identify a record (upsert keys, relationship columns).
    pub fn is_lookup_key(&self) -> bool {
        self.external_id || self.id_lookup || self.unique
    }

    fn system(name: &str, label: &str, ftype: FieldType) -> Field {
        Field {
            name: name.to_owned(),
            label: label.to_owned(),
            ftype,
            length: if matches!(ftype, FieldType::Id | FieldType::Reference) {
                18
            } else {
                0
            },
            precision: 0,
            scale: 0,
            digits: 0,
            nillable: false,
            createable: false,
            updateable: false,
            defaulted_on_create: true,
            unique: false,
            external_id: false,
            id_lookup: ftype == FieldType::Id,
            picklist_values: Vec::new(),
            restricted_picklist: false,
            reference_to: Vec::new(),
            relationship_name: None,
            custom: false,
            traits: FieldTraits::default(),
        }
    }

    fn user_reference(mut self, relationship: &str) -> Field {
        self.reference_to = vec!["User".to_owned()];
        self.relationship_name = Some(relationship.to_owned());
        self
    }

    /// The fields every record of a custom object has, in Salesforce's describe order.
    pub(crate) fn system_fields(object_label: &str, custom: bool) -> Vec<Field> {
        let mut name = Field::system("Name", &format!("{object_label} Name"), FieldType::String);
        name.length = 80;
        name.nillable = true;
        name.createable = true;
        name.updateable = true;
        name.id_lookup = true;
        let mut owner =
            Field::system("OwnerId", "Owner ID", FieldType::Reference).user_reference("Owner");
        owner.createable = true;
        owner.updateable = true;
        // A custom object's records may be owned by a queue as well as a user.
        owner.reference_to = vec!["Group".to_owned(), "User".to_owned()];
        let mut fields = vec![
            Field::system("Id", "Record ID", FieldType::Id),
            Field::system("IsDeleted", "Deleted", FieldType::Boolean),
            Field::system("CreatedDate", "Created Date", FieldType::DateTime),
            Field::system("CreatedById", "Created By ID", FieldType::Reference)
                .user_reference("CreatedBy"),
            Field::system(
                "LastModifiedDate",
                "Last Modified Date",
                FieldType::DateTime,
            ),
            Field::system(
                "LastModifiedById",
                "Last Modified By ID",
                FieldType::Reference,
            )
            .user_reference("LastModifiedBy"),
            Field::system("SystemModstamp", "System Modstamp", FieldType::DateTime),
        ];
        if custom {
            fields.insert(1, owner);
            fields.insert(3, name);
        }
        fields
    }
}
