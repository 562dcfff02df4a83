//! "Set Audit Fields upon Record Creation": an org setting that lets clients give a new record its own
//! `CreatedDate`, `CreatedById`, `LastModifiedDate` and `LastModifiedById` (a data migration keeping the
//! history of the system it leaves). Salesforce allows it on insert only (not on update, not on upsert),
//! on the objects its documentation lists and every custom object; `SystemModstamp` stays the org's.
//!
//! The setting is an org's ([`OrgSettings`], kept by the store); with it on, the org's writes and
//! describes follow [`with_settable_audit_fields`]: the same schema with those fields createable.

use crate::schema::{SObject, Schema};
use serde::{Deserialize, Serialize};

/// The audit fields the setting makes createable (Salesforce's "Create Audit Fields" article).
pub const SETTABLE_AUDIT_FIELDS: [&str; 4] = [
    "CreatedDate",
    "CreatedById",
    "LastModifiedDate",
    "LastModifiedById",
];

/// The standard objects whose audit fields the setting opens (custom objects always are).
const STANDARD_OBJECTS: [&str; 16] = [
    "Account",
    "CampaignMember",
    "Case",
    "CaseComment",
    "Contact",
    "ContentNote",
    "ContentVersion",
    "Contract",
    "EmailMessage",
    "Event",
    "Idea",
    "Lead",
    "Opportunity",
    "Quote",
    "Task",
    "WorkOrder",
];

/// What an org's administrator has switched on, stored per org. Every setting defaults to off (a new
/// org), and a stored document missing a setting reads it as off.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct OrgSettings {
    /// "Set Audit Fields upon Record Creation".
    pub set_audit_fields: bool,
}

/// Whether `name` is one of the audit fields the setting makes createable.
pub fn is_settable_audit_field(name: &str) -> bool {
    SETTABLE_AUDIT_FIELDS
        .iter()
        .any(|f| f.eq_ignore_ascii_case(name))
}

/// Whether the setting opens the audit fields of `object`.
pub fn object_allows_audit_fields(object: &SObject) -> bool {
    object.custom
        || STANDARD_OBJECTS
            .iter()
            .any(|o| o.eq_ignore_ascii_case(&object.name))
}

/// `schema` as an org with the setting on sees it: the audit fields of the objects that allow it
/// createable (never updateable).
pub fn with_settable_audit_fields(schema: &Schema) -> Schema {
    let mut opened = schema.clone();
    for object in schema.objects() {
        if !object_allows_audit_fields(object) {
            continue;
        }
        let mut changed = (**object).clone();
        for name in SETTABLE_AUDIT_FIELDS {
            if let Some(field) = object.field(name) {
                let mut field = field.clone();
                field.createable = true;
                changed.upsert_field(field);
            }
        }
        opened.replace_object(changed);
    }
    opened
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_setting_opens_audit_fields_of_listed_and_custom_objects_only() {
        let mut schema = Schema::builtin();
        schema
            .merge_describe(r#"{"name":"Thing__c","fields":[]}"#)
            .unwrap();
        let opened = with_settable_audit_fields(&schema);
        for object in ["Account", "Case", "Thing__c"] {
            let o = opened.object(object).unwrap();
            for name in SETTABLE_AUDIT_FIELDS {
                let field = o.field(name).unwrap();
                assert!(field.createable && !field.updateable, "{object}.{name}");
            }
            assert!(!o.field("SystemModstamp").unwrap().createable);
        }
        let user = opened.object("User").unwrap();
        assert!(!user.field("CreatedDate").unwrap().createable);
        assert!(
            !schema
                .object("Account")
                .unwrap()
                .field("CreatedDate")
                .unwrap()
                .createable,
            "the loaded schema is left as it is"
        );
    }

    #[test]
    fn settings_read_missing_keys_as_off() {
        let settings: OrgSettings = serde_json::from_str("{}").unwrap();
        assert!(!settings.set_audit_fields);
        let on: OrgSettings = serde_json::from_str(r#"{"setAuditFields":true}"#).unwrap();
        assert!(on.set_audit_fields);
    }
}
