//! The project's declarations merged into a schema: value sets first (fields name them), then each object
//! in name order (so key prefixes are deterministic), then the child relationships of every lookup (their
//! parents may come later in the order), and last the record types every custom object can have.

use super::files::{ObjectFiles, Parsed};
use super::formulas::FormulaSite;
use super::report::{Read, Report};
use super::value_sets::{StandardValue, fields_of_standard_set};
use super::xml::Position;
use super::{ProjectRecordType, object};
use crate::id::KeyPrefix;
use crate::org::record_types::{DeclaredRecordType, PicklistForRecordType};
use crate::schema::{ChildRelationship, Field, PicklistValue, SObject, Schema};
use std::collections::{BTreeMap, BTreeSet};

/// The merged schema and what goes with it.
pub(super) struct Merged {
    pub schema: Schema,
    pub sites: Vec<FormulaSite>,
    pub record_types: Vec<ProjectRecordType>,
    pub standard_value_sets: Vec<(String, Vec<StandardValue>)>,
}

/// A lookup read, whose parent gets a child relationship once every object is in.
struct Lookup {
    child: String,
    field: String,
    relationship: Option<String>,
    path: String,
    position: Position,
}

/// Suffixes of objects that are not data objects (events, custom metadata, external and big objects).
const OTHER_KINDS: [(&str, &str); 4] = [
    ("__e", "a platform event"),
    ("__mdt", "a custom metadata type"),
    ("__x", "an external object"),
    ("__b", "a big object"),
];

pub(super) fn merge(mut schema: Schema, parsed: Parsed, report: &mut Report) -> Merged {
    let mut globals: BTreeMap<String, Vec<PicklistValue>> = BTreeMap::new();
    for (_, name, values) in parsed.global_value_sets {
        report.read.push(Read::GlobalValueSet {
            name: name.clone(),
            values: values.len(),
        });
        globals.insert(name.to_ascii_lowercase(), values);
    }
    let mut standard_value_sets = Vec::new();
    for (path, name, values) in parsed.standard_value_sets {
        merge_standard_set(&mut schema, &path, &name, &values, report);
        standard_value_sets.push((name, values));
    }
    let mut merged = Merged {
        schema,
        sites: Vec::new(),
        record_types: Vec::new(),
        standard_value_sets,
    };
    let mut lookups = Vec::new();
    for files in parsed.objects.into_values() {
        merge_object(&mut merged, files, &globals, &mut lookups, report);
    }
    add_child_relationships(&mut merged.schema, lookups, report);
    crate::org::record_types::allow_for_custom_objects(&mut merged.schema);
    merged
}

/// A standard value set gives the values of the standard picklists it is known to back.
fn merge_standard_set(
    schema: &mut Schema,
    path: &str,
    name: &str,
    values: &[StandardValue],
    report: &mut Report,
) {
    let targets = fields_of_standard_set(name);
    if targets.is_empty() {
        report.warn(
            path,
            format!("not supported: the standard value set {name} backs no field bulkforce has"),
        );
        return;
    }
    let mut fields = Vec::new();
    for (object_name, field_name) in targets {
        let Some(object) = schema.object(object_name) else {
            continue;
        };
        let Some(mut field) = object.field(field_name).cloned() else {
            continue;
        };
        field.picklist_values = values.iter().map(|v| v.value.clone()).collect();
        let mut object = (**object).clone();
        object.upsert_field(field);
        schema.replace_object(object);
        fields.push(format!("{object_name}.{field_name}"));
    }
    report.read.push(Read::StandardValueSet {
        name: name.to_owned(),
        values: values.len(),
        fields,
    });
}

/// The first custom key prefix no object of `schema` has.
fn free_prefix(schema: &Schema) -> KeyPrefix {
    let used: BTreeSet<KeyPrefix> = schema.objects().map(|o| o.key_prefix).collect();
    (0..62 * 62)
        .map(KeyPrefix::custom)
        .find(|p| !used.contains(p))
        .unwrap_or_else(|| KeyPrefix::custom(0))
}

fn merge_object(
    merged: &mut Merged,
    files: ObjectFiles,
    globals: &BTreeMap<String, Vec<PicklistValue>>,
    lookups: &mut Vec<Lookup>,
    report: &mut Report,
) {
    let name = files.name.clone();
    let existing = merged.schema.object(&name).cloned();
    let other_kind = OTHER_KINDS
        .iter()
        .find(|(suffix, _)| name.ends_with(suffix));
    if other_kind.is_some() || (existing.is_none() && !name.ends_with("__c")) {
        let why = match other_kind {
            Some((_, kind)) => format!("{name} is {kind}, which holds no records here"),
            None => format!("{name} is a standard object bulkforce does not have"),
        };
        for path in &files.paths {
            report.warn(path, format!("not supported: {why}"));
        }
        return;
    }
    let (mut sobject, new) = match existing {
        Some(known) => ((*known).clone(), false),
        None => match new_object(&merged.schema, &name, &files, report) {
            Some(sobject) => (sobject, true),
            None => return,
        },
    };
    let mut fields = 0;
    for (path, name) in &files.overlays {
        if sobject.field(name).is_none() {
            report.warn(
                path,
                format!(
                    "not supported: {}.{name} is a standard field bulkforce does not have",
                    sobject.name
                ),
            );
        }
    }
    for entry in files.fields {
        let mut field = entry.decl.field;
        if let Some(set) = &entry.decl.value_set_name {
            let Some(values) = globals.get(&set.to_ascii_lowercase()) else {
                let at = entry
                    .decl
                    .root
                    .child("valueSet")
                    .unwrap_or(&entry.decl.root);
                report.error(
                    &entry.path,
                    at.position,
                    format!("the global value set {set} is not in the project"),
                );
                continue;
            };
            field.picklist_values = values.clone();
        }
        if !field.reference_to.is_empty() {
            let at = entry
                .decl
                .root
                .child("referenceTo")
                .unwrap_or(&entry.decl.root);
            lookups.push(Lookup {
                child: sobject.name.clone(),
                field: field.name.clone(),
                relationship: entry.decl.child_relationship.clone(),
                path: entry.path.clone(),
                position: at.position,
            });
        }
        sobject.upsert_field(field);
        merged.sites.extend(entry.sites);
        fields += 1;
    }
    let record_type_names = merge_record_types(merged, &mut sobject, files.record_types, report);
    let rules = files.rules.len();
    for (_, rule, site) in files.rules {
        sobject.validation_rules.retain(|r| r.name != rule.name);
        sobject.validation_rules.push(rule);
        merged.sites.push(site);
    }
    sobject.validation_rules.sort_by(|a, b| a.name.cmp(&b.name));
    report.read.push(Read::Object {
        name: sobject.name.clone(),
        new,
        key_prefix: sobject.key_prefix.to_string(),
        fields,
        record_types: record_type_names,
        validation_rules: rules,
    });
    merged.schema.replace_object(sobject);
}

/// The object's record types: the picklist values each offers, and the `RecordType` rows they are.
fn merge_record_types(
    merged: &mut Merged,
    sobject: &mut SObject,
    record_types: Vec<(String, super::record_type::RecordTypeDecl)>,
    report: &mut Report,
) -> Vec<String> {
    let mut names = Vec::new();
    for (path, declared) in record_types {
        let mut picklists = Vec::new();
        for block in &declared.picklists {
            let Some(field) = sobject.field(&block.picklist) else {
                report.error(
                    &path,
                    block.position,
                    format!("{} has no picklist {}", sobject.name, block.picklist),
                );
                continue;
            };
            picklists.push(record_type_picklist(field, block, &path, report));
        }
        let info = DeclaredRecordType {
            developer_name: Some(declared.developer_name.clone()),
            default_record_type_mapping: false,
            picklists_for_record_type: picklists,
            project_row: Some((declared.label.clone(), declared.active)),
        };
        sobject.record_type_infos.retain(|d| {
            !d.developer_name
                .as_deref()
                .is_some_and(|n| n.eq_ignore_ascii_case(&declared.developer_name))
        });
        sobject.record_type_infos.push(info);
        names.push(declared.developer_name.clone());
        merged.record_types.push(ProjectRecordType {
            object: sobject.name.clone(),
            developer_name: declared.developer_name,
            label: declared.label,
            active: declared.active,
            description: declared.description,
        });
    }
    names
}

/// A custom object the project defines: its object file's labels and name field, the system fields
/// every record has, and a key prefix no other object has.
fn new_object(
    schema: &Schema,
    name: &str,
    files: &ObjectFiles,
    report: &mut Report,
) -> Option<SObject> {
    let Some((path, root)) = &files.meta else {
        let path = files.paths.first().map_or("", String::as_str);
        report.error(
            path,
            Position { line: 1, column: 1 },
            format!("the custom object {name} has no {name}.object-meta.xml"),
        );
        return None;
    };
    let fallback = name.trim_end_matches("__c").replace('_', " ");
    let label = root.text_of("label").unwrap_or(&fallback).to_owned();
    let system = Field::system_fields(&label, true);
    let name_field = system.iter().find(|f| f.name == "Name").cloned()?;
    let meta = match object::parse(root, name_field) {
        Ok(meta) => meta,
        Err(problem) => {
            report.error(path, problem.position, problem.message);
            return None;
        }
    };
    let plural = meta.plural.unwrap_or_else(|| format!("{label}s"));
    let mut sobject = SObject::new(name.to_owned(), label, plural, free_prefix(schema), true);
    for field in system {
        sobject.upsert_field(field);
    }
    if let Some(name_field) = meta.name_field {
        sobject.upsert_field(name_field);
    }
    Some(sobject)
}

/// The values `block` offers for `field` under a record type, labelled as the field labels them.
fn record_type_picklist(
    field: &Field,
    block: &super::record_type::RecordTypePicklist,
    path: &str,
    report: &mut Report,
) -> PicklistForRecordType {
    let mut values = Vec::new();
    for (value, default) in &block.values {
        let known = field.picklist_values.iter().find(|p| &p.value == value);
        if known.is_none() {
            report.warn(
                path,
                format!("{} is not a value of {}: offered anyway", value, field.name),
            );
        }
        values.push(PicklistValue {
            active: true,
            default_value: *default,
            label: known.and_then(|p| p.label.clone()).or(Some(value.clone())),
            value: value.clone(),
        });
    }
    PicklistForRecordType {
        picklist_name: field.name.clone(),
        picklist_values: values,
    }
}

/// Each lookup's parent lists it among its child relationships, named `<relationshipName>__r`.
fn add_child_relationships(schema: &mut Schema, lookups: Vec<Lookup>, report: &mut Report) {
    for lookup in lookups {
        let Some(child) = schema.object(&lookup.child).cloned() else {
            continue;
        };
        let Some(field) = child.field(&lookup.field).cloned() else {
            continue;
        };
        let target = field.reference_to.first().cloned().unwrap_or_default();
        let Some(parent_name) = schema.object(&target).map(|p| p.name.clone()) else {
            report.error(
                &lookup.path,
                lookup.position,
                format!(
                    "{}.{} refers to {target}, which is neither in the project nor a standard object bulkforce has",
                    child.name, field.name
                ),
            );
            continue;
        };
        if parent_name != target {
            let mut child = (*child).clone();
            let mut field = field.clone();
            field.reference_to = vec![parent_name.clone()];
            child.upsert_field(field);
            schema.replace_object(child);
        }
        let Some(parent) = schema.object(&parent_name) else {
            continue;
        };
        let mut parent = (**parent).clone();
        parent
            .child_relationships
            .retain(|r| !(r.child_sobject == lookup.child && r.field == lookup.field));
        parent.child_relationships.push(ChildRelationship {
            child_sobject: lookup.child,
            field: lookup.field,
            relationship_name: lookup.relationship.map(|r| format!("{r}__r")),
            cascade_delete: field.traits.cascade_delete,
            restricted_delete: field.traits.restricted_delete,
        });
        schema.replace_object(parent);
    }
}
