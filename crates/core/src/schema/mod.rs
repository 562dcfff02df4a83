//! sObjects in the shape of Salesforce's describe JSON: the built-in standard objects, and user-supplied
//! describe files that add fields to them or define custom objects.
//!
//! The describe shape is the contract: a file written by `sf sobject describe --json` loads as is (its
//! `result`, or the whole envelope), and unknown keys are ignored.

mod child_names;
mod describe;
mod field;

pub use child_names::NamedChildRelationship;
pub use describe::{SchemaError, parse_describe};
pub use field::{Field, FieldTraits, FieldType, FormulaSpec, PicklistValue, Storage};

use crate::id::KeyPrefix;
use std::collections::BTreeMap;
use std::sync::Arc;

/// One object type: its name, key prefix and fields, with case-insensitive field lookup.
#[derive(Debug, Clone, PartialEq)]
pub struct SObject {
    pub name: String,
    pub label: String,
    pub label_plural: String,
    pub key_prefix: KeyPrefix,
    pub custom: bool,
    /// The relationships from other objects' lookups to this one, as describe's `childRelationships`
    /// lists them (declared by the describe file; see [`Schema::child_relationships`] for all of them).
    pub child_relationships: Vec<ChildRelationship>,
    /// What the describe file's `recordTypeInfos` declare beyond the org's `RecordType` rows: the default
    /// record type and the picklist values of each (see [`crate::org::record_types`]).
    pub record_type_infos: Vec<crate::org::record_types::DeclaredRecordType>,
    /// The org's validation rules on this object (sfdx `validationRules/`), in name order.
    pub validation_rules: Vec<ValidationRule>,
    fields: Vec<Field>,
    by_lower_name: BTreeMap<String, usize>,
}

/// A validation rule (sfdx `validationRules/<Name>.validationRule-meta.xml`): when its condition is true for
/// a row being saved, the row fails `FIELD_CUSTOM_VALIDATION_EXCEPTION:<message>:<display field> --`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationRule {
    /// `fullName` (the file name without its suffix).
    pub name: String,
    pub active: bool,
    /// `errorConditionFormula`.
    pub condition: String,
    /// `errorMessage`.
    pub message: String,
    /// `errorDisplayField`: the field the error is shown on (its API name), if any.
    pub display_field: Option<String>,
}

/// One entry of describe's `childRelationships`: a lookup field of `child_sobject` pointing at the
/// described object, and the name a parent-to-child subquery uses for it (`Contacts`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChildRelationship {
    #[serde(rename = "childSObject")]
    pub child_sobject: String,
    pub field: String,
    pub relationship_name: Option<String>,
    #[serde(default)]
    pub cascade_delete: bool,
    #[serde(default)]
    pub restricted_delete: bool,
}

impl SObject {
    pub fn new(
        name: String,
        label: String,
        label_plural: String,
        key_prefix: KeyPrefix,
        custom: bool,
    ) -> Self {
        SObject {
            name,
            label,
            label_plural,
            key_prefix,
            custom,
            child_relationships: Vec::new(),
            record_type_infos: Vec::new(),
            validation_rules: Vec::new(),
            fields: Vec::new(),
            by_lower_name: BTreeMap::new(),
        }
    }

    pub fn fields(&self) -> &[Field] {
        &self.fields
    }

    /// Finds a field by its API name, ignoring case as Salesforce does.
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.field_index(name).map(|i| &self.fields[i])
    }

    pub fn field_index(&self, name: &str) -> Option<usize> {
        self.by_lower_name.get(&name.to_ascii_lowercase()).copied()
    }

    /// Adds a field, or replaces the one with the same name (in place, keeping column order stable).
    pub fn upsert_field(&mut self, field: Field) {
        if let Some(i) = self.field_index(&field.name) {
            self.fields[i] = field;
        } else {
            self.by_lower_name
                .insert(field.name.to_ascii_lowercase(), self.fields.len());
            self.fields.push(field);
        }
    }

    /// Whether records of this object have an owner.
    pub fn has_owner(&self) -> bool {
        self.field("OwnerId").is_some()
    }

    /// Fields whose values the object stores in a column: everything but compound and formula-like fields
    /// that are derived from others (such as the person `Name` on Contact, Lead and User).
    pub fn stored_fields(&self) -> impl Iterator<Item = &Field> {
        self.fields.iter().filter(|f| {
            f.ftype.is_stored()
                && f.traits.formula.is_none()
                && self.derived_name_parts(f).is_none()
        })
    }

    /// For a person object's read-only `Name`, the fields it is built from (`FirstName`, `LastName`).
    pub fn derived_name_parts(&self, field: &Field) -> Option<(&Field, &Field)> {
        if !field.name.eq_ignore_ascii_case("Name") || field.createable {
            return None;
        }
        Some((self.field("FirstName")?, self.field("LastName")?))
    }

    /// Adds the system fields every record has, where a describe file left them out (custom objects).
    fn ensure_system_fields(&mut self) {
        let label = self.label.clone();
        for field in Field::system_fields(&label, self.custom) {
            if self.field(&field.name).is_none() {
                self.upsert_field(field);
            }
        }
    }
}

/// All the objects of an org, looked up by case-insensitive name or by key prefix.
#[derive(Debug, Clone, Default)]
pub struct Schema {
    objects: BTreeMap<String, Arc<SObject>>,
}

const BUILTIN: [&str; 21] = [
    include_str!("builtin/Account.json"),
    include_str!("builtin/Contact.json"),
    include_str!("builtin/Lead.json"),
    include_str!("builtin/Opportunity.json"),
    include_str!("builtin/OpportunityLineItem.json"),
    include_str!("builtin/Product2.json"),
    include_str!("builtin/Pricebook2.json"),
    include_str!("builtin/PricebookEntry.json"),
    include_str!("builtin/Case.json"),
    include_str!("builtin/Task.json"),
    include_str!("builtin/Event.json"),
    include_str!("builtin/Campaign.json"),
    include_str!("builtin/CampaignMember.json"),
    include_str!("builtin/Contract.json"),
    include_str!("builtin/Order.json"),
    include_str!("builtin/OrderItem.json"),
    include_str!("builtin/Asset.json"),
    include_str!("builtin/User.json"),
    include_str!("builtin/Group.json"),
    include_str!("builtin/RecordType.json"),
    include_str!("builtin/Organization.json"),
];

impl Schema {
    /// The standard objects every org starts with, as a new Developer Edition org describes them: the
    /// sales objects (Account, Contact, Lead, Opportunity and its line items, Product2, Pricebook2,
    /// PricebookEntry, Campaign and its members, Contract, Order and its items, Asset), Case, the
    /// activities (Task, Event), User, Group (queues among them) and RecordType, and the read-only
    /// Organization that describes the org itself.
    pub fn builtin() -> Schema {
        let mut schema = Schema::default();
        for text in BUILTIN {
            let object = parse_describe(text, None).expect("built-in describe files are valid");
            schema
                .objects
                .insert(object.name.to_ascii_lowercase(), Arc::new(object));
        }
        for name in crate::org::record_types::objects_with_record_types(&schema) {
            if let Some(object) = schema.objects.get_mut(&name.to_ascii_lowercase())
                && object.field("RecordTypeId").is_none()
            {
                Arc::make_mut(object).upsert_field(crate::org::record_types::record_type_field());
            }
        }
        schema
    }

    /// Merges one describe document: a known object gains or replaces fields by name, a new name becomes a
    /// custom object (which, as every custom object, can have record types). Returns the merged object's
    /// name.
    pub fn merge_describe(&mut self, text: &str) -> Result<String, SchemaError> {
        let next_prefix = KeyPrefix::custom(self.objects.values().filter(|o| o.custom).count());
        let incoming = parse_describe(text, Some(next_prefix))?;
        let key = incoming.name.to_ascii_lowercase();
        let merged = if let Some(existing) = self.objects.get(&key) {
            let mut object = (**existing).clone();
            for field in incoming.fields {
                object.upsert_field(field);
            }
            for relationship in incoming.child_relationships {
                object.child_relationships.retain(|r| {
                    !(r.child_sobject
                        .eq_ignore_ascii_case(&relationship.child_sobject)
                        && r.field.eq_ignore_ascii_case(&relationship.field))
                });
                object.child_relationships.push(relationship);
            }
            if !incoming.record_type_infos.is_empty() {
                object.record_type_infos = incoming.record_type_infos;
            }
            object
        } else {
            if let Some(clash) = self
                .objects
                .values()
                .find(|o| o.key_prefix == incoming.key_prefix)
            {
                return Err(SchemaError::Invalid(format!(
                    "key prefix {} of {} is already used by {}",
                    incoming.key_prefix, incoming.name, clash.name
                )));
            }
            let mut object = incoming;
            object.ensure_system_fields();
            object
        };
        let name = merged.name.clone();
        self.objects.insert(key, Arc::new(merged));
        crate::org::record_types::allow_for_custom_objects(self);
        Ok(name)
    }

    /// Puts `object` in place of the one of the same name (or adds it): how an org's view of the schema
    /// (such as [`crate::org::audit_fields`]) is derived from the loaded one.
    pub fn replace_object(&mut self, object: SObject) {
        self.objects
            .insert(object.name.to_ascii_lowercase(), Arc::new(object));
    }

    /// Finds an object by name, ignoring case.
    pub fn object(&self, name: &str) -> Option<&Arc<SObject>> {
        self.objects.get(&name.to_ascii_lowercase())
    }

    /// Finds the object whose ids start with `prefix`.
    pub fn object_by_prefix(&self, prefix: KeyPrefix) -> Option<&Arc<SObject>> {
        self.objects.values().find(|o| o.key_prefix == prefix)
    }

    pub fn objects(&self) -> impl Iterator<Item = &Arc<SObject>> {
        self.objects.values()
    }

    /// Every lookup of this schema's objects that points at `parent`: the ones its describe declares
    /// (with their relationship names), then the lookups it does not declare, named as subqueries and
    /// trees name them ([`Schema::named_child_relationships`]; no name for a lookup that has none). A
    /// declared entry's delete behaviour is the union of the declaration and the child field's own
    /// `cascadeDelete` / `restrictedDelete`.
    pub fn child_relationships(&self, parent: &SObject) -> Vec<ChildRelationship> {
        let named = self.named_child_relationships(parent);
        let name_of = |child: &SObject, field: &Field| {
            named
                .iter()
                .find(|r| r.child.name == child.name && r.field == field.name)
                .map(|r| r.name.clone())
        };
        let mut relationships: Vec<ChildRelationship> = parent.child_relationships.clone();
        for child in self.objects.values() {
            for field in child.fields() {
                if !field
                    .reference_to
                    .iter()
                    .any(|target| target.eq_ignore_ascii_case(&parent.name))
                {
                    continue;
                }
                let declared = relationships.iter_mut().find(|r| {
                    r.child_sobject.eq_ignore_ascii_case(&child.name)
                        && r.field.eq_ignore_ascii_case(&field.name)
                });
                match declared {
                    Some(entry) => {
                        entry.cascade_delete |= field.traits.cascade_delete;
                        entry.restricted_delete |= field.traits.restricted_delete;
                    }
                    None => relationships.push(ChildRelationship {
                        child_sobject: child.name.clone(),
                        field: field.name.clone(),
                        relationship_name: name_of(child, field),
                        cascade_delete: field.traits.cascade_delete,
                        restricted_delete: field.traits.restricted_delete,
                    }),
                }
            }
        }
        relationships
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_objects_have_their_real_required_fields() {
        let schema = Schema::builtin();
        let required = |name: &str| -> Vec<String> {
            let mut r: Vec<String> = schema
                .object(name)
                .unwrap()
                .fields()
                .iter()
                .filter(|f| f.required_on_create())
                .map(|f| f.name.clone())
                .collect();
            r.sort();
            r
        };
        assert_eq!(required("account"), ["Name"]);
        assert_eq!(required("Contact"), ["LastName"]);
        assert_eq!(required("Lead"), ["Company", "LastName"]);
        assert_eq!(required("Opportunity"), ["CloseDate", "Name", "StageName"]);
        assert!(required("Case").is_empty());
        assert_eq!(schema.object("Account").unwrap().key_prefix.as_str(), "001");
        assert_eq!(
            schema.object_by_prefix(KeyPrefix::USER).unwrap().name,
            "User"
        );
    }

    #[test]
    fn person_name_is_derived_not_stored() {
        let schema = Schema::builtin();
        let contact = schema.object("Contact").unwrap();
        assert!(contact.stored_fields().all(|f| f.name != "Name"));
        let account = schema.object("Account").unwrap();
        assert!(account.stored_fields().any(|f| f.name == "Name"));
    }

    #[test]
    fn merging_adds_fields_and_custom_objects() {
        let mut schema = Schema::builtin();
        schema
            .merge_describe(
                r#"{"name":"Account","fields":[{"name":"External_Id__c","type":"string","length":80,
                    "externalId":true,"unique":true,"nillable":true,"createable":true,"updateable":true,"custom":true}]}"#,
            )
            .unwrap();
        let field = schema
            .object("Account")
            .unwrap()
            .field("external_id__c")
            .unwrap()
            .clone();
        assert!(field.external_id && field.unique);
        let name = schema
            .merge_describe(r#"{"status":0,"result":{"name":"Thing__c","custom":true,"fields":[
                {"name":"Size__c","type":"double","precision":18,"scale":2,"nillable":true,"createable":true,"updateable":true,"unknownKey":1}]}}"#)
            .unwrap();
        assert_eq!(name, "Thing__c");
        let thing = schema.object("thing__c").unwrap();
        assert_eq!(thing.key_prefix.as_str(), "a00");
        for system in [
            "Id",
            "Name",
            "OwnerId",
            "IsDeleted",
            "CreatedDate",
            "SystemModstamp",
        ] {
            assert!(thing.field(system).is_some(), "{system}");
        }
    }
}
