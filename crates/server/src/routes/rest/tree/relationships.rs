//! Child relationship names (`Contacts`, `ChildAccounts`, `Brokers__r`): how a tree request nests children
//! under a parent record, and which lookup of the child gets the parent's id.
//!
//! bulkforce's schema keeps each object's fields, not the `childRelationships` of Salesforce's describe, so
//! the names are derived from the lookups that point at the parent, with Salesforce's naming rules:
//! a standard lookup's relationship is the child object's plural label without spaces (`Contacts`,
//! `Opportunities`, `Cases`), a custom lookup's is that plural label with `__r` (`Brokers__r`), and the few
//! standard self-lookups have their own names (`ChildAccounts`, `ManagedUsers`). Lookups a client cannot
//! set on create (audit fields, `MasterRecordId`, converted-lead links) and `OwnerId` have no child
//! relationship name in Salesforce either. When two lookups would get one name the first field in
//! describe order keeps it.

use bulkforce_core::schema::{Field, FieldType, SObject, Schema};
use std::sync::Arc;

/// One way of nesting children under a parent object.
#[derive(Debug, Clone)]
pub(super) struct ChildRelationship {
    /// The relationship name as Salesforce spells it.
    pub name: String,
    pub child: Arc<SObject>,
    /// The child's lookup field that holds the parent's id.
    pub field: String,
}

/// Standard lookups whose child relationship is not named after the child object's plural label.
const NAMED: [(&str, &str, &str); 2] = [
    ("Account", "ParentId", "ChildAccounts"),
    ("User", "ManagerId", "ManagedUsers"),
];

/// Every child relationship of `parent`, in schema order.
pub(super) fn child_relationships(schema: &Schema, parent: &SObject) -> Vec<ChildRelationship> {
    let mut found: Vec<ChildRelationship> = Vec::new();
    for child in schema.objects() {
        for field in child.fields() {
            if !points_at(field, parent) {
                continue;
            }
            let Some(name) = relationship_name(child, field) else {
                continue;
            };
            if found.iter().any(|r| r.name.eq_ignore_ascii_case(&name)) {
                continue;
            }
            found.push(ChildRelationship {
                name,
                child: child.clone(),
                field: field.name.clone(),
            });
        }
    }
    found
}

/// The child relationship of `parent` called `name` (ignoring case, as Salesforce does).
pub(super) fn child_relationship(
    schema: &Schema,
    parent: &SObject,
    name: &str,
) -> Option<ChildRelationship> {
    child_relationships(schema, parent)
        .into_iter()
        .find(|r| r.name.eq_ignore_ascii_case(name))
}

/// A lookup a client may set on create that points at `parent`.
fn points_at(field: &Field, parent: &SObject) -> bool {
    field.ftype == FieldType::Reference
        && field.createable
        && !field.name.eq_ignore_ascii_case("OwnerId")
        && field
            .reference_to
            .iter()
            .any(|target| target.eq_ignore_ascii_case(&parent.name))
}

fn relationship_name(child: &SObject, field: &Field) -> Option<String> {
    if let Some((_, _, name)) = NAMED.iter().find(|(object, lookup, _)| {
        child.name.eq_ignore_ascii_case(object) && field.name.eq_ignore_ascii_case(lookup)
    }) {
        return Some((*name).to_owned());
    }
    let plural: String = child
        .label_plural
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect::<String>()
        .split('_')
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join(if field.custom { "_" } else { "" });
    if plural.is_empty() {
        return None;
    }
    Some(if field.custom {
        format!("{plural}__r")
    } else {
        plural
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(schema: &Schema, parent: &str) -> Vec<(String, String, String)> {
        let parent = schema.object(parent).unwrap();
        child_relationships(schema, parent)
            .into_iter()
            .map(|r| (r.name, r.child.name.clone(), r.field))
            .collect()
    }

    #[test]
    fn standard_objects_have_salesforces_names() {
        let schema = Schema::builtin();
        let account = names(&schema, "Account");
        for expected in [
            ("ChildAccounts", "Account", "ParentId"),
            ("Contacts", "Contact", "AccountId"),
            ("Opportunities", "Opportunity", "AccountId"),
            ("Cases", "Case", "AccountId"),
        ] {
            assert!(
                account
                    .iter()
                    .any(|(n, c, f)| (n.as_str(), c.as_str(), f.as_str()) == expected),
                "{expected:?} in {account:?}"
            );
        }
        assert_eq!(account.len(), 4, "{account:?}");
        let contact = schema.object("Contact").unwrap();
        let cases = child_relationship(&schema, contact, "cases").unwrap();
        assert_eq!(
            (cases.child.name.as_str(), cases.field.as_str()),
            ("Case", "ContactId")
        );
    }

    #[test]
    fn custom_lookups_end_in_r() {
        let mut schema = Schema::builtin();
        schema
            .merge_describe(
                r#"{"name":"Broker__c","label":"Broker","labelPlural":"Real Brokers","keyPrefix":"a01",
                    "fields":[{"name":"Account__c","type":"reference","referenceTo":["Account"],
                               "relationshipName":"Account__r","custom":true}]}"#,
            )
            .unwrap();
        let account = schema.object("Account").unwrap();
        let brokers = child_relationship(&schema, account, "Real_Brokers__r").unwrap();
        assert_eq!(brokers.field, "Account__c");
    }
}
