//! What deleting a record does to the records that point at it, decided once per object from the
//! [`Schema`]: children that go to the recycle bin with their parent (`cascadeDelete`, recursively),
//! lookups that refuse the delete (`restrictedDelete`), and optional lookups that are set to null.
//!
//! Salesforce's rules, as its describe reports them (see [`Schema::child_relationships`]): a cascading
//! relationship (master-detail, and the standard ones such as Account → Contacts, Opportunities;
//! Opportunity → OpportunityLineItems) deletes the children; a restricting one (Account → Cases,
//! Contact → Cases, a lookup with "Don't allow deletion") fails the delete with `DELETE_FAILED`; any
//! other lookup that may be empty is cleared. A required lookup that neither cascades nor restricts
//! (`OwnerId`, `CreatedById`) is left as it is. The store only executes the plan.

use crate::error::RowError;
use crate::schema::{ChildRelationship, Field, FieldType, SObject, Schema};
use std::sync::Arc;

/// How many restricting records a `DELETE_FAILED` message names at most (the message stays readable
/// when a record has thousands of them; Salesforce's own limit is not documented).
pub const RESTRICTING_NAMES_SHOWN: usize = 10;

/// How many records the cascade of one deleted record may reach: Salesforce refuses a delete whose
/// cascade would take 100,000 or more child records with it ("Important Considerations When Deleting
/// Large Volumes of Data Using Data Loader", Salesforce Help 000386152; the records already in the
/// recycle bin count too). Salesforce counts an operation's records together; bulkforce counts each
/// deleted record's cascade on its own (Salesforce's advice for such deletes: a batch size of 1), so
/// the answer does not depend on how a job was split into chunks.
pub const CASCADE_LIMIT: u64 = 100_000;

/// A lookup field of `child` that points at the deleted object.
#[derive(Debug, Clone, PartialEq)]
pub struct ChildLookup {
    pub child: Arc<SObject>,
    pub field: String,
}

/// A cascading relationship and what deleting its children does in turn.
#[derive(Debug, Clone, PartialEq)]
pub struct Cascade {
    pub lookup: ChildLookup,
    pub then: DeletePlan,
}

/// Everything a delete of one object's records does beyond the records themselves.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DeletePlan {
    /// Live children through these lookups refuse the delete.
    pub restricts: Vec<ChildLookup>,
    /// Live children through these lookups lose the reference (set to null).
    pub clears: Vec<ChildLookup>,
    /// Children through these lookups are deleted with the parent (soft, or hard with a hard delete).
    pub cascades: Vec<Cascade>,
}

/// What a delete of the parent does through one relationship.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    Cascade,
    Restrict,
    Clear,
    Keep,
}

/// The effect of deleting a parent on the children of `relationship`, whose lookup field is `field`.
/// A relationship that both cascades and restricts (Account → Contracts: drafts go, activated ones
/// refuse) cascades: bulkforce does not know a contract's activation.
pub fn effect(relationship: &ChildRelationship, field: &Field) -> Effect {
    if relationship.cascade_delete {
        Effect::Cascade
    } else if relationship.restricted_delete {
        Effect::Restrict
    } else if field.nillable {
        Effect::Clear
    } else {
        Effect::Keep
    }
}

impl DeletePlan {
    /// The plan of a delete of `object`'s records.
    pub fn of(schema: &Schema, object: &SObject) -> DeletePlan {
        let mut path = vec![object.name.to_ascii_lowercase()];
        Self::build(schema, object, &mut path)
    }

    /// `path`: the objects a cascade went through to get here; a cascade back into one of them is
    /// dropped (its records are being deleted already), so the plan is finite.
    fn build(schema: &Schema, object: &SObject, path: &mut Vec<String>) -> DeletePlan {
        let mut plan = DeletePlan::default();
        for relationship in schema.child_relationships(object) {
            let Some(child) = schema.object(&relationship.child_sobject) else {
                continue;
            };
            let Some(field) = stored_lookup(child, &relationship.field) else {
                continue;
            };
            let lookup = ChildLookup {
                child: child.clone(),
                field: field.name.clone(),
            };
            match effect(&relationship, field) {
                Effect::Cascade => {
                    let key = child.name.to_ascii_lowercase();
                    if path.contains(&key) || child.field("IsDeleted").is_none() {
                        continue;
                    }
                    path.push(key);
                    let then = Self::build(schema, child, path);
                    path.pop();
                    plan.cascades.push(Cascade { lookup, then });
                }
                Effect::Restrict => plan.restricts.push(lookup),
                Effect::Clear => plan.clears.push(lookup),
                Effect::Keep => {}
            }
        }
        plan
    }

    /// Whether a delete does nothing beyond its own records (no statement to run).
    pub fn is_empty(&self) -> bool {
        self.restricts.is_empty() && self.clears.is_empty() && self.cascades.is_empty()
    }

    /// Whether this delete, or a cascade of it, may be refused by a restricting lookup.
    pub fn may_be_refused(&self) -> bool {
        !self.restricts.is_empty() || self.cascades.iter().any(|c| c.then.may_be_refused())
    }
}

/// The lookups a delete of some parent acts on (`(child object, field)`: cascades, restricts, clears):
/// the store indexes them (where set), so a delete's statements find the children of a chunk of
/// parents without reading the whole child table.
pub fn acted_on_lookups(schema: &Schema) -> std::collections::BTreeSet<(String, String)> {
    let mut lookups = std::collections::BTreeSet::new();
    for parent in schema.objects() {
        for relationship in schema.child_relationships(parent) {
            let Some(child) = schema.object(&relationship.child_sobject) else {
                continue;
            };
            let Some(field) = stored_lookup(child, &relationship.field) else {
                continue;
            };
            if effect(&relationship, field) != Effect::Keep {
                lookups.insert((child.name.clone(), field.name.clone()));
            }
        }
    }
    lookups
}

/// The stored reference field `name` of `child`, if it is one (a describe may name fields bulkforce
/// does not store).
fn stored_lookup<'a>(child: &'a SObject, name: &str) -> Option<&'a Field> {
    let field = child.field(name)?;
    let stored = child.stored_fields().any(|f| f.name == field.name);
    (stored && field.ftype == FieldType::Reference).then_some(field)
}

/// The field whose value names a record in messages: `Name` (stored or built from a person's parts),
/// else the object's auto-number (`CaseNumber`); `None` when it has neither (the Id names it).
pub fn display_name_field(object: &SObject) -> Option<&Field> {
    object
        .field("Name")
        .or_else(|| object.fields().iter().find(|f| f.traits.auto_number))
        .or_else(|| object.field("CaseNumber"))
}

/// Salesforce's row error for a delete refused by restricting children: `parent_name` names the record,
/// `child` the restricting object (its plural label, in lower case), `children` the names of the first
/// restricting records. The message ends with a newline, as Salesforce's does.
pub fn restricted_delete_error(
    parent_name: &str,
    child: &SObject,
    children: &[String],
) -> RowError {
    let shown: Vec<&str> = children
        .iter()
        .take(RESTRICTING_NAMES_SHOWN)
        .map(String::as_str)
        .collect();
    RowError::new(
        "DELETE_FAILED",
        format!(
            "Your attempt to delete {parent_name} could not be completed because it is associated with \
             the following {}.: {}\n",
            child.label_plural.to_lowercase(),
            shown.join(", ")
        ),
        Vec::new(),
    )
}

/// Salesforce's row error for a delete whose cascade reaches [`CASCADE_LIMIT`] records:
/// `DELETE_OPERATION_TOO_LARGE`, naming the objects the cascade went through to the largest share
/// (`path`: from the deleted record's children down), the deepest first, one line each, as a real org
/// answers ("Cascade deleting too many records:" then "occurring when cascading to Feed Item records").
pub fn cascade_too_large_error(path: &[&SObject]) -> RowError {
    let mut message = String::from("Cascade deleting too many records:");
    for object in path.iter().rev() {
        message.push_str(&format!(
            "\noccurring when cascading to {} records",
            object.label
        ));
    }
    RowError::new("DELETE_OPERATION_TOO_LARGE", message, Vec::new())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema() -> Schema {
        let mut schema = Schema::builtin();
        for text in [
            r#"{"name":"Parent__c","custom":true,"labelPlural":"Parents","fields":[]}"#,
            r#"{"name":"Child__c","custom":true,"labelPlural":"Children","fields":[
                {"name":"Parent__c","type":"reference","referenceTo":["Parent__c"],"nillable":false,
                 "createable":true,"updateable":false,"cascadeDelete":true,"custom":true}]}"#,
            r#"{"name":"Grand__c","custom":true,"labelPlural":"Grandchildren","fields":[
                {"name":"Child__c","type":"reference","referenceTo":["Child__c"],"nillable":false,
                 "createable":true,"updateable":false,"cascadeDelete":true,"custom":true},
                {"name":"Back__c","type":"reference","referenceTo":["Parent__c"],"nillable":false,
                 "createable":true,"updateable":true,"restrictedDelete":true,"custom":true}]}"#,
            r#"{"name":"Note__c","custom":true,"labelPlural":"Notes","fields":[
                {"name":"Parent__c","type":"reference","referenceTo":["Parent__c"],"nillable":true,
                 "createable":true,"updateable":true,"custom":true}]}"#,
        ] {
            schema.merge_describe(text).unwrap();
        }
        schema
    }

    fn names(lookups: &[ChildLookup]) -> Vec<String> {
        lookups
            .iter()
            .map(|l| format!("{}.{}", l.child.name, l.field))
            .collect()
    }

    #[test]
    fn cascades_recurse_restricts_refuse_and_optional_lookups_clear() {
        let schema = schema();
        let plan = DeletePlan::of(&schema, schema.object("Parent__c").unwrap());
        assert_eq!(names(&plan.restricts), ["Grand__c.Back__c"]);
        assert_eq!(names(&plan.clears), ["Note__c.Parent__c"]);
        assert_eq!(plan.cascades.len(), 1);
        let child = &plan.cascades[0];
        assert_eq!(child.lookup.child.name, "Child__c");
        assert_eq!(child.then.cascades[0].lookup.child.name, "Grand__c");
        assert!(child.then.cascades[0].then.is_empty());
        assert!(plan.may_be_refused());
        assert!(!child.then.may_be_refused());
    }

    #[test]
    fn the_lookups_a_delete_acts_on_are_listed_once() {
        let schema = schema();
        let lookups = acted_on_lookups(&schema);
        for expected in [
            ("Child__c", "Parent__c"),
            ("Grand__c", "Child__c"),
            ("Grand__c", "Back__c"),
            ("Note__c", "Parent__c"),
        ] {
            assert!(
                lookups.contains(&(expected.0.to_owned(), expected.1.to_owned())),
                "{expected:?}"
            );
        }
        assert!(
            !lookups
                .iter()
                .any(|(_, field)| field == "OwnerId" || field == "CreatedById")
        );
    }

    #[test]
    fn audit_and_owner_lookups_are_kept() {
        let schema = schema();
        let plan = DeletePlan::of(&schema, schema.object("User").unwrap());
        for lookup in plan.clears.iter().chain(&plan.restricts) {
            assert!(
                !["OwnerId", "CreatedById", "LastModifiedById"].contains(&lookup.field.as_str()),
                "{}.{}",
                lookup.child.name,
                lookup.field
            );
        }
        assert!(plan.cascades.is_empty());
    }

    #[test]
    fn a_cascade_back_into_its_own_path_is_dropped() {
        let mut schema = schema();
        schema
            .merge_describe(
                r#"{"name":"Loop__c","custom":true,"fields":[
                {"name":"Self__c","type":"reference","referenceTo":["Loop__c"],"nillable":true,
                 "createable":true,"updateable":true,"cascadeDelete":true,"custom":true}]}"#,
            )
            .unwrap();
        let plan = DeletePlan::of(&schema, schema.object("Loop__c").unwrap());
        assert!(plan.cascades.is_empty());
    }

    #[test]
    fn a_cascade_too_large_names_its_objects_deepest_first() {
        let schema = schema();
        let child = schema.object("Child__c").unwrap();
        let grand = schema.object("Grand__c").unwrap();
        let error = cascade_too_large_error(&[child, grand]);
        assert_eq!(error.code, "DELETE_OPERATION_TOO_LARGE");
        assert_eq!(
            error.message,
            format!(
                "Cascade deleting too many records:\noccurring when cascading to {} records\n\
                 occurring when cascading to {} records",
                grand.label, child.label
            )
        );
        assert!(error.fields.is_empty());
    }

    #[test]
    fn the_refusal_names_the_record_and_the_first_restricting_ones() {
        let schema = schema();
        let case = schema.object("Case").unwrap();
        let error = restricted_delete_error("Josh Davis", case, &["00001005".to_owned()]);
        assert_eq!(error.code, "DELETE_FAILED");
        assert_eq!(
            error.message,
            "Your attempt to delete Josh Davis could not be completed because it is associated with the \
             following cases.: 00001005\n"
        );
        assert!(error.fields.is_empty());
        let many: Vec<String> = (0..12).map(|n| format!("C{n}")).collect();
        let error = restricted_delete_error("X", case, &many);
        assert!(
            error
                .message
                .ends_with(": C0, C1, C2, C3, C4, C5, C6, C7, C8, C9\n")
        );
    }
}
