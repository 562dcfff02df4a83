//! Each file of the project classified by its suffix (source format names every kind by it: any nesting
//! is legal) and parsed into what it declares; a file of a kind bulkforce does not act on is a warning.

use super::field::{self, FieldDecl, FieldFile, Problem};
use super::formulas::{FormulaSite, Purpose};
use super::record_type::{self, RecordTypeDecl};
use super::report::Report;
use super::value_sets::{self, StandardValue};
use super::xml::{self, Element};
use super::{SourceFile, validation_rule};
use crate::schema::{PicklistValue, ValidationRule};
use std::collections::{BTreeMap, BTreeSet};

/// A field file read: its path, the field, and its formulas (a formula field's, a default value's).
#[derive(Debug, Clone)]
pub(super) struct FieldEntry {
    pub path: String,
    pub decl: FieldDecl,
    pub sites: Vec<FormulaSite>,
}

/// Everything the files declare about one object (the folder `objects/<Object>/`).
#[derive(Debug, Clone, Default)]
pub(super) struct ObjectFiles {
    /// The API name as the folder spells it.
    pub name: String,
    /// The object file's path and root (`CustomObject`).
    pub meta: Option<(String, Element)>,
    pub fields: Vec<FieldEntry>,
    /// Standard fields' files (path, name): overlays of the built-in definition, which stands.
    pub overlays: Vec<(String, String)>,
    pub record_types: Vec<(String, RecordTypeDecl)>,
    pub rules: Vec<(String, ValidationRule, FormulaSite)>,
    /// Every file of the object that was read, for the warning when the object is not supported.
    pub paths: Vec<String>,
}

/// What all files declare.
#[derive(Debug, Clone, Default)]
pub(super) struct Parsed {
    /// By lower-case object name.
    pub objects: BTreeMap<String, ObjectFiles>,
    pub global_value_sets: Vec<(String, String, Vec<PicklistValue>)>,
    pub standard_value_sets: Vec<(String, String, Vec<StandardValue>)>,
}

/// What a file is, from its path.
enum Kind<'a> {
    Object {
        object: &'a str,
    },
    Field {
        object: &'a str,
        name: &'a str,
    },
    RecordType {
        object: &'a str,
        name: &'a str,
    },
    Rule {
        object: &'a str,
        name: &'a str,
    },
    GlobalValueSet {
        name: &'a str,
    },
    StandardValueSet {
        name: &'a str,
    },
    /// A metadata file of a kind bulkforce does not act on: its type (`trigger`, `flow`, …).
    Unsupported(&'a str),
    /// A file that is no metadata file itself (an Apex body, a component's script…).
    Other,
    /// A member file outside the folder of its object.
    Misplaced(&'static str),
}

fn classify(path: &str) -> Kind<'_> {
    let parts: Vec<&str> = path.split(['/', '\\']).filter(|p| !p.is_empty()).collect();
    let file = parts.last().copied().unwrap_or("");
    let Some(base) = file.strip_suffix("-meta.xml") else {
        return Kind::Other;
    };
    let Some((stem, kind)) = base.rsplit_once('.') else {
        return Kind::Unsupported(base);
    };
    let member = |folder: &'static str| -> Option<&str> {
        let n = parts.len();
        (n >= 3 && parts[n - 2] == folder).then(|| parts[n - 3])
    };
    match kind {
        "object" => Kind::Object { object: stem },
        "field" => member("fields").map_or(Kind::Misplaced("fields"), |object| Kind::Field {
            object,
            name: stem,
        }),
        "recordType" => member("recordTypes").map_or(Kind::Misplaced("recordTypes"), |object| {
            Kind::RecordType { object, name: stem }
        }),
        "validationRule" => {
            member("validationRules").map_or(Kind::Misplaced("validationRules"), |object| {
                Kind::Rule { object, name: stem }
            })
        }
        "globalValueSet" => Kind::GlobalValueSet { name: stem },
        "standardValueSet" => Kind::StandardValueSet { name: stem },
        other => Kind::Unsupported(other),
    }
}

/// What an unsupported metadata type is, for its warning.
fn describe_kind(kind: &str) -> String {
    let known = match kind {
        "trigger" => "an Apex trigger (bulkforce runs no Apex)",
        "cls" => "an Apex class (bulkforce runs no Apex)",
        "flow" => "a flow (bulkforce runs no flows)",
        "duplicateRule" => "a duplicate rule (not enforced)",
        "matchingRule" => "a matching rule (not enforced)",
        "workflow" => "a workflow (not run)",
        "businessProcess" => "a business process (its stage or status subsets are not enforced)",
        "layout" | "compactLayout" | "listView" | "webLink" | "fieldSet" | "flexipage" | "tab"
        | "app" => "user interface metadata (no effect on data)",
        "profile" | "permissionset" | "permissionsetgroup" => {
            "access metadata (bulkforce does not apply field or object permissions)"
        }
        "sharingRules" => "sharing rules (bulkforce does not apply sharing)",
        "js" => "a Lightning web component",
        _ => "",
    };
    if known.is_empty() {
        format!("not supported: {kind} metadata is not read")
    } else {
        format!("not supported: {known}")
    }
}

/// Parses every file; problems go to `report`.
pub(super) fn parse_all(files: &[SourceFile], report: &mut Report) -> Parsed {
    let mut parsed = Parsed::default();
    let metadata_paths: BTreeSet<&str> = files
        .iter()
        .map(|f| f.path.as_str())
        .filter(|p| p.ends_with("-meta.xml"))
        .collect();
    let metadata_dirs: BTreeSet<&str> = metadata_paths.iter().map(|p| parent(p)).collect();
    for file in files {
        let path = file.path.as_str();
        match classify(path) {
            Kind::Other => {
                let companion = metadata_paths.contains(format!("{path}-meta.xml").as_str())
                    || metadata_dirs.contains(parent(path));
                if !companion {
                    report.warn(path, "not a metadata file: not read");
                }
            }
            Kind::Unsupported(kind) => report.warn(path, describe_kind(kind)),
            Kind::Misplaced(folder) => report.warn(
                path,
                format!("not read: this kind belongs in objects/<Object>/{folder}/"),
            ),
            kind => {
                let root = match xml::parse(&file.text) {
                    Ok(root) => root,
                    Err(e) => {
                        report.error(path, e.position, e.message);
                        continue;
                    }
                };
                if let Err(problem) = read(&mut parsed, report, kind, path, &file.text, root) {
                    report.error(path, problem.position, problem.message);
                }
            }
        }
    }
    parsed
}

fn parent(path: &str) -> &str {
    path.rfind(['/', '\\']).map_or("", |i| &path[..i])
}

/// Checks the root element's name.
fn expect_root(root: &Element, name: &str) -> Result<(), Problem> {
    if root.name == name {
        Ok(())
    } else {
        Err(field::problem(
            root,
            format!(
                "the root element is <{}>, this kind of file has <{name}>",
                root.name
            ),
        ))
    }
}

fn read(
    parsed: &mut Parsed,
    report: &mut Report,
    kind: Kind<'_>,
    path: &str,
    text: &str,
    root: Element,
) -> Result<(), Problem> {
    match kind {
        Kind::Object { object } => {
            expect_root(&root, "CustomObject")?;
            entry(parsed, object, path).meta = Some((path.to_owned(), root));
        }
        Kind::Field { object, name } => {
            expect_root(&root, "CustomField")?;
            if !name.ends_with("__c") {
                // Source format keeps almost nothing of a standard field (its name, tracking flags).
                entry(parsed, object, path)
                    .overlays
                    .push((path.to_owned(), name.to_owned()));
                return Ok(());
            }
            match field::parse(&root, name)? {
                FieldFile::Declared(decl) => {
                    let mut sites = Vec::new();
                    if let Some(formula) = decl.root.child("formula") {
                        let purpose = Purpose::Field {
                            field: name.to_owned(),
                        };
                        sites.push(FormulaSite::new(path, object, purpose, formula, text));
                    } else if decl.field.traits.default_formula.is_some()
                        && let Some(default) = decl.root.child("defaultValue")
                    {
                        let purpose = Purpose::Default {
                            field: name.to_owned(),
                        };
                        sites.push(FormulaSite::new(path, object, purpose, default, text));
                    }
                    entry(parsed, object, path).fields.push(FieldEntry {
                        path: path.to_owned(),
                        decl: *decl,
                        sites,
                    });
                }
                FieldFile::Unsupported(message) => report.warn(path, message),
            }
        }
        Kind::RecordType { object, name } => {
            expect_root(&root, "RecordType")?;
            let decl = record_type::parse(&root, name)?;
            entry(parsed, object, path)
                .record_types
                .push((path.to_owned(), decl));
        }
        Kind::Rule { object, name } => {
            expect_root(&root, "ValidationRule")?;
            let (rule, condition) = validation_rule::parse(&root, name)?;
            let site = FormulaSite::new(path, object, Purpose::Rule, &condition, text);
            entry(parsed, object, path)
                .rules
                .push((path.to_owned(), rule, site));
        }
        Kind::GlobalValueSet { name } => {
            expect_root(&root, "GlobalValueSet")?;
            let values = value_sets::parse_global(&root)?;
            parsed
                .global_value_sets
                .push((path.to_owned(), name.to_owned(), values));
        }
        Kind::StandardValueSet { name } => {
            expect_root(&root, "StandardValueSet")?;
            let values = value_sets::parse_standard(&root)?;
            parsed
                .standard_value_sets
                .push((path.to_owned(), name.to_owned(), values));
        }
        Kind::Unsupported(_) | Kind::Other | Kind::Misplaced(_) => {}
    }
    Ok(())
}

/// The files of `object`, created at its first file.
fn entry<'p>(parsed: &'p mut Parsed, object: &str, path: &str) -> &'p mut ObjectFiles {
    let entry = parsed
        .objects
        .entry(object.to_ascii_lowercase())
        .or_default();
    if entry.name.is_empty() {
        entry.name = object.to_owned();
    }
    entry.paths.push(path.to_owned());
    entry
}
