//! Child relationship names (`Contacts`, `ChildAccounts`, `Brokers__r`): how a tree request nests children
//! under a parent record, and which lookup of the child gets the parent's id.
//!
//! The names are the schema's ([`Schema::named_child_relationships`]: describe's declared
//! `childRelationships`, then Salesforce's names for undeclared lookups), the same names a parent-to-child
//! subquery uses. A tree request can only nest children through a lookup a client may set on create.

use bulkforce_core::schema::{NamedChildRelationship, SObject, Schema};

/// One way of nesting children under a parent object.
pub(super) type ChildRelationship = NamedChildRelationship;

/// Every child relationship of `parent` a tree request can fill, in schema order.
pub(super) fn child_relationships(schema: &Schema, parent: &SObject) -> Vec<ChildRelationship> {
    schema
        .named_child_relationships(parent)
        .into_iter()
        .filter(|r| r.child.field(&r.field).is_some_and(|f| f.createable))
        .collect()
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
            ("Tasks", "Task", "WhatId"),
        ] {
            assert!(
                account
                    .iter()
                    .any(|(n, c, f)| (n.as_str(), c.as_str(), f.as_str()) == expected),
                "{expected:?} in {account:?}"
            );
        }
        // Only lookups a client sets on create: no audit lookups, no `OwnerId`; each name once.
        assert!(
            !account
                .iter()
                .any(|(_, _, f)| f == "OwnerId" || f == "CreatedById")
        );
        let mut unique: Vec<String> = account.iter().map(|(n, _, _)| n.to_lowercase()).collect();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), account.len(), "{account:?}");
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
