//! Polymorphic lookups: a reference field that may point at records of several objects (Task `WhoId` at a
//! Contact or a Lead, `WhatId` at an Account, an Opportunity, a Case…, `OwnerId` at a User or a queue).
//!
//! Which objects a lookup accepts is its describe `referenceTo`; an id of any other object is refused with
//! Salesforce's `FIELD_INTEGRITY_EXCEPTION` (see [`RowError::incorrect_reference_type`]). Owners are users
//! or queues: a `Group` id in `OwnerId` must be a group of type `Queue` ([`QueueOwner`]), which only the
//! store can tell, so it asks this module.
//!
//! In SOQL a polymorphic relationship (`What`, `Who`, `Owner` of a Case) reaches the `Name` object, whose
//! few fields every target can answer ([`name_object`]); `Type` is the target's object, read from the key
//! prefix of the id ([`type_value`]). `TYPEOF` reaches the targets' own fields instead.

use crate::error::RowError;
use crate::id::{KeyPrefix, SfId};
use crate::schema::{Field, SObject, Schema, parse_describe};
use std::sync::{Arc, LazyLock};

/// The name of the object a polymorphic relationship reaches in SOQL.
pub const NAME_OBJECT: &str = "Name";
/// The `Name` object's field holding the target's type.
pub const TYPE_FIELD: &str = "Type";
/// The object queues are records of, and the `Type` a group must have to own records.
pub const GROUP_OBJECT: &str = "Group";
pub const QUEUE_TYPE: &str = "Queue";
/// The lookup naming a record's owner, the one field a queue may fill.
pub const OWNER_FIELD: &str = "OwnerId";

/// The `Name` object as the Object Reference describes it: the fields a polymorphic relationship can
/// select. It is never stored: each field is read from the target record that has it.
const NAME_DESCRIBE: &str = r#"{"name": "Name", "label": "Name", "keyPrefix": "000", "fields": [
 {"name": "Id", "label": "ID", "type": "id", "length": 18, "nillable": false},
 {"name": "Alias", "label": "Alias", "type": "string", "length": 8},
 {"name": "Email", "label": "Email", "type": "email", "length": 80},
 {"name": "FirstName", "label": "First Name", "type": "string", "length": 40},
 {"name": "IsActive", "label": "Active", "type": "boolean", "nillable": false},
 {"name": "LastName", "label": "Last Name", "type": "string", "length": 80},
 {"name": "LastReferencedDate", "label": "Last Referenced Date", "type": "datetime"},
 {"name": "LastViewedDate", "label": "Last Viewed Date", "type": "datetime"},
 {"name": "Name", "label": "Name", "type": "string", "length": 255},
 {"name": "NameOrAlias", "label": "Name or Alias", "type": "string", "length": 80},
 {"name": "Phone", "label": "Phone", "type": "phone", "length": 40},
 {"name": "ProfileId", "label": "Profile ID", "type": "reference", "length": 18},
 {"name": "RecordTypeId", "label": "Record Type ID", "type": "reference", "length": 18},
 {"name": "Title", "label": "Title", "type": "string", "length": 80},
 {"name": "Type", "label": "Type", "type": "picklist", "length": 40},
 {"name": "UserRoleId", "label": "Role ID", "type": "reference", "length": 18},
 {"name": "Username", "label": "Username", "type": "string", "length": 80}
]}"#;

static NAME: LazyLock<Arc<SObject>> = LazyLock::new(|| {
    let mut object = parse_describe(NAME_DESCRIBE, None).expect("the Name describe is valid");
    // Nothing of the Name object is written: it only answers queries.
    let fields: Vec<Field> = object.fields().to_vec();
    for mut field in fields {
        field.createable = false;
        field.updateable = false;
        object.upsert_field(field);
    }
    Arc::new(object)
});

/// The `Name` object a polymorphic relationship reaches in SOQL (`What.Name`, `Owner.Type`).
pub fn name_object() -> Arc<SObject> {
    NAME.clone()
}

/// The objects `field` may point at that the schema knows, in `referenceTo` order.
pub fn targets(schema: &Schema, field: &Field) -> Vec<Arc<SObject>> {
    field
        .reference_to
        .iter()
        .filter_map(|name| schema.object(name).cloned())
        .collect()
}

/// Whether `field` is a polymorphic lookup: it may point at more than one known object.
pub fn is_polymorphic(schema: &Schema, field: &Field) -> bool {
    field
        .reference_to
        .iter()
        .filter(|name| schema.object(name).is_some())
        .nth(1)
        .is_some()
}

/// Where an object's records may be owned by a queue: its `OwnerId`, when that lookup accepts groups
/// (owners are users or queues, never a public group or a role), and the key prefix of groups.
///
/// A writer decides it once for its rows, so checking a row costs an index and a key prefix compared
/// rather than a look-up of every value's object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueOwner {
    /// The index of the owner field among the object's fields.
    pub field: usize,
    group_prefix: KeyPrefix,
}

impl QueueOwner {
    /// `object`'s queue owner: `None` when its `OwnerId` accepts no group (or the schema's `Group` has no
    /// `Type` to tell queues from other groups).
    pub fn of(schema: &Schema, object: &SObject) -> Option<QueueOwner> {
        let group = schema
            .object(GROUP_OBJECT)
            .filter(|group| group.field(TYPE_FIELD).is_some())?;
        let field = object.field_index(OWNER_FIELD)?;
        object.fields()[field]
            .reference_to
            .iter()
            .any(|target| target.eq_ignore_ascii_case(GROUP_OBJECT))
            .then_some(QueueOwner {
                field,
                group_prefix: group.key_prefix,
            })
    }

    /// Whether `value` of the field at `field` is a group's id, which must then be a queue's.
    pub fn must_be_queue(&self, field: usize, value: &str) -> bool {
        field == self.field
            && SfId::parse(value).is_ok_and(|id| id.key_prefix() == self.group_prefix)
    }
}

/// The row error of an owner that is a group but not a queue (`group_type`: the group's `Type`), or
/// `None` when it is a queue.
pub fn queue_owner_error(field: &Field, value: &str, group_type: Option<&str>) -> Option<RowError> {
    (group_type != Some(QUEUE_TYPE))
        .then(|| RowError::incorrect_reference_type(&field.label, &field.name, value))
}

/// The `Type` a polymorphic relationship answers for a target: its object name, but `Queue` for a group
/// (only queues own records, and `Owner.Type = 'Queue'` is how Salesforce tells them from users).
pub fn type_value(target: &SObject) -> &str {
    if target.name.eq_ignore_ascii_case(GROUP_OBJECT) {
        QUEUE_TYPE
    } else {
        &target.name
    }
}

/// The column of `target` that answers the `Name` object's field `name`: the field of that name (stored,
/// or a person's derived `Name`), except that `Name` is the target's name field, which for objects named by
/// an auto-number is that number (a Case's `CaseNumber`, a Contract's `ContractNumber`).
pub fn name_column<'t>(target: &'t SObject, name: &str) -> Option<&'t Field> {
    let stored = |f: &&Field| f.ftype.is_stored() || target.derived_name_parts(f).is_some();
    let own = target.field(name).filter(stored);
    if own.is_some() || !name.eq_ignore_ascii_case("Name") {
        return own;
    }
    target.fields().iter().find(|f| {
        f.ftype.is_stored()
            && (f.traits.auto_number || NUMBER_NAMES.contains(&f.name.as_str()))
            && f.name.ends_with("Number")
    })
}

/// Standard objects named by an auto-number, for describe files that do not flag it `autoNumber`.
const NUMBER_NAMES: [&str; 4] = [
    "CaseNumber",
    "ContractNumber",
    "OrderNumber",
    "SolutionNumber",
];

/// The target of a polymorphic id: the object among `targets` whose key prefix the id starts with.
pub fn target_of<'t>(targets: &'t [Arc<SObject>], id: &str) -> Option<&'t Arc<SObject>> {
    let prefix = KeyPrefix::parse(id.get(..3)?)?;
    targets.iter().find(|t| t.key_prefix == prefix)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_name_object_has_the_documented_fields_and_writes_nothing() {
        let name = name_object();
        assert_eq!(name.name, NAME_OBJECT);
        for field in [
            "Id",
            "Name",
            "Type",
            "Alias",
            "Email",
            "FirstName",
            "LastName",
            "Username",
        ] {
            assert!(name.field(field).is_some(), "{field}");
        }
        assert!(name.field("Phone").is_some());
        assert!(name.field("NumberOfEmployees").is_none());
        assert!(name.fields().iter().all(|f| !f.createable && !f.updateable));
    }

    #[test]
    fn polymorphic_means_more_than_one_known_target() {
        let schema = Schema::builtin();
        let account = schema.object("Account").unwrap();
        let owner = account.field("OwnerId").unwrap().clone();
        assert!(!is_polymorphic(&schema, &owner));
        let mut both = owner.clone();
        both.reference_to = vec!["Contact".into(), "Lead".into(), "Nowhere".into()];
        assert!(is_polymorphic(&schema, &both));
        let found: Vec<String> = targets(&schema, &both)
            .iter()
            .map(|o| o.name.clone())
            .collect();
        assert_eq!(found, ["Contact", "Lead"]);
        let contact = schema.object("Contact").unwrap();
        let id = format!("{}000000000001AAA", contact.key_prefix.as_str());
        assert_eq!(
            target_of(&targets(&schema, &both), &id).unwrap().name,
            "Contact"
        );
        assert!(target_of(&targets(&schema, &both), "00100000000001AAA").is_none());
    }

    #[test]
    fn the_name_of_a_case_is_its_number() {
        let schema = Schema::builtin();
        let case = schema.object("Case").unwrap();
        assert_eq!(name_column(case, "Name").unwrap().name, "CaseNumber");
        let contact = schema.object("Contact").unwrap();
        assert_eq!(name_column(contact, "Name").unwrap().name, "Name");
        assert_eq!(name_column(contact, "Email").unwrap().name, "Email");
        assert!(name_column(contact, "Username").is_none());
    }

    #[test]
    fn owners_that_are_groups_must_be_queues() {
        let schema = Schema::builtin();
        let owner = schema
            .object("Account")
            .unwrap()
            .field("OwnerId")
            .unwrap()
            .clone();
        let error = queue_owner_error(&owner, "00G000000000001AAA", Some("Regular")).unwrap();
        assert_eq!(
            error.to_string(),
            "FIELD_INTEGRITY_EXCEPTION:Owner ID: id value of incorrect type: 00G000000000001AAA:OwnerId --"
        );
        assert!(queue_owner_error(&owner, "00G000000000001AAA", Some("Queue")).is_none());
    }

    #[test]
    fn only_an_owner_field_accepting_groups_is_checked_for_queues() {
        let schema = Schema::builtin();
        let case = schema.object("Case").unwrap();
        let owner = QueueOwner::of(&schema, case).expect("a Case may be owned by a queue");
        assert_eq!(owner.field, case.field_index("OwnerId").unwrap());
        let group = SfId::parse("00G000000000001").unwrap();
        assert!(owner.must_be_queue(owner.field, group.as_str()));
        assert!(owner.must_be_queue(owner.field, "00G000000000001"));
        assert!(
            !owner.must_be_queue(owner.field, "005000000000001"),
            "a user"
        );
        let account = case.field_index("AccountId").unwrap();
        assert!(
            !owner.must_be_queue(account, group.as_str()),
            "another field"
        );
        assert!(!owner.must_be_queue(owner.field, "not an id"));
        let account = schema.object("Account").unwrap();
        assert!(
            QueueOwner::of(&schema, account).is_none(),
            "an Account's owner is a user"
        );
        let group = schema.object("Group").unwrap();
        assert!(QueueOwner::of(&schema, group).is_none());
    }
}
