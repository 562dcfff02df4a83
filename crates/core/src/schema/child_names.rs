//! The names of child relationships (`Contacts`, `ChildAccounts`, `Brokers__r`): what a parent-to-child
//! subquery writes after FROM and what a tree request nests children under.
//!
//! A describe's declared `childRelationships` are the facts and come first. A lookup no describe declares
//! (a custom object's lookup to a standard object, whose describe cannot know it) gets the name Salesforce
//! would give it: a standard lookup's relationship is the child object's plural label without spaces
//! (`Contacts`, `Opportunities`), a custom lookup's is that plural label with `__r` (`Brokers__r`), and the
//! few standard self-lookups have their own names (`ChildAccounts`, `ManagedUsers`). Lookups a client
//! cannot set on create (audit fields, `MasterRecordId`, converted-lead links) and `OwnerId` get no
//! derived name, as they have none in Salesforce. When two relationships would share one name, the first
//! (declared before derived, then describe order) keeps it.

use super::{Field, FieldType, SObject, Schema};
use std::sync::Arc;

/// A child relationship that has a name.
#[derive(Debug, Clone)]
pub struct NamedChildRelationship {
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

impl Schema {
    /// Every named child relationship of `parent`: declared ones, then derived ones (see the module doc).
    pub fn named_child_relationships(&self, parent: &SObject) -> Vec<NamedChildRelationship> {
        let mut found: Vec<NamedChildRelationship> = Vec::new();
        let mut add = |name: String, child: &Arc<SObject>, field: &str| {
            if !found.iter().any(|r| r.name.eq_ignore_ascii_case(&name)) {
                found.push(NamedChildRelationship {
                    name,
                    child: child.clone(),
                    field: field.to_owned(),
                });
            }
        };
        for declared in &parent.child_relationships {
            let (Some(name), Some(child)) = (
                declared.relationship_name.as_ref(),
                self.object(&declared.child_sobject),
            ) else {
                continue;
            };
            if let Some(field) = child.field(&declared.field) {
                add(name.clone(), child, &field.name);
            }
        }
        for child in self.objects() {
            for field in child.fields() {
                let undeclared = !parent.child_relationships.iter().any(|r| {
                    r.child_sobject.eq_ignore_ascii_case(&child.name)
                        && r.field.eq_ignore_ascii_case(&field.name)
                });
                if undeclared
                    && points_at(field, parent)
                    && let Some(name) = derived_name(child, field)
                {
                    add(name, child, &field.name);
                }
            }
        }
        found
    }

    /// The child relationship of `parent` called `name` (ignoring case, as Salesforce does).
    pub fn child_relationship_named(
        &self,
        parent: &SObject,
        name: &str,
    ) -> Option<NamedChildRelationship> {
        self.named_child_relationships(parent)
            .into_iter()
            .find(|r| r.name.eq_ignore_ascii_case(name))
    }
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

/// The name Salesforce gives the child relationship of an undeclared lookup.
fn derived_name(child: &SObject, field: &Field) -> Option<String> {
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

    #[test]
    fn declared_names_come_first_and_undeclared_lookups_get_salesforces_names() {
        let mut schema = Schema::builtin();
        schema
            .merge_describe(
                r#"{"name":"Broker__c","label":"Broker","labelPlural":"Real Brokers","keyPrefix":"a01",
                    "fields":[{"name":"Account__c","type":"reference","referenceTo":["Account"],
                               "relationshipName":"Account__r","custom":true,"createable":true},
                              {"name":"Backup__c","type":"reference","referenceTo":["Account"],
                               "relationshipName":"Backup__r","custom":true,"createable":true}]}"#,
            )
            .unwrap();
        schema
            .merge_describe(
                r#"{"name":"Account","childRelationships":[{"childSObject":"Broker__c",
                    "field":"Backup__c","relationshipName":"Backups__r"}]}"#,
            )
            .unwrap();
        let account = schema.object("Account").unwrap();
        let backups = schema
            .child_relationship_named(account, "BACKUPS__R")
            .unwrap();
        assert_eq!(
            (backups.child.name.as_str(), backups.field.as_str()),
            ("Broker__c", "Backup__c")
        );
        let derived = schema
            .child_relationship_named(account, "Real_Brokers__r")
            .unwrap();
        assert_eq!(derived.field, "Account__c");
        let contacts = schema
            .child_relationship_named(account, "contacts")
            .unwrap();
        assert_eq!(
            (contacts.child.name.as_str(), contacts.field.as_str()),
            ("Contact", "AccountId")
        );
        let children = schema
            .child_relationship_named(account, "ChildAccounts")
            .unwrap();
        assert_eq!(children.field, "ParentId");
        assert!(schema.child_relationship_named(account, "Owners").is_none());
    }
}
