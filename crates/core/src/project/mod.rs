//! A Salesforce DX project in source format (`sfdx-project.json`, `force-app/main/default/objects/…`) read
//! into the schema: objects, fields, record types, validation rules, value sets; everything else reported.
//! Pure: the caller reads the files and hands their paths and texts in.
//!
//! Three steps: each file is classified by its suffix ([`files`]) and parsed into what it declares
//! ([`object`], [`field`], [`record_type`], [`validation_rule`], [`value_sets`]); the declarations are merged
//! into the schema ([`merge`]): fields of standard objects extend the built-ins, a custom object is new;
//! then every formula is compiled against the merged schema ([`formulas`]). Nothing is skipped silently:
//! the [`Report`] lists what was read, every file not supported (a warning with its path) and every error
//! (with its file, line and column).

mod field;
mod files;
mod formulas;
mod merge;
mod object;
mod record_type;
mod report;
mod sfdx_json;
mod validation_rule;
mod value_sets;
pub mod xml;

pub use report::{ProjectError, Read, Report, Warning};
pub use sfdx_json::{SfdxProject, parse_sfdx_project};
pub use value_sets::StandardValue;
pub use xml::Position;

use crate::schema::Schema;

/// One file of the project: its path (as it should be shown in messages; `/` or `\` separated, the last
/// components name the object and the kind) and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFile {
    pub path: String,
    pub text: String,
}

/// A record type the project declares: the `RecordType` row an org holding this project has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectRecordType {
    pub object: String,
    pub developer_name: String,
    pub label: String,
    pub active: bool,
    pub description: Option<String>,
}

/// What a project gives: the schema with its objects merged in, the record types it declares, the
/// standard picklist values with their flags (`OpportunityStage` closed/won, …), and the report.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub schema: Schema,
    pub record_types: Vec<ProjectRecordType>,
    /// Each standard value set read, by its name (`OpportunityStage`), with its values' flags.
    pub standard_value_sets: Vec<(String, Vec<StandardValue>)>,
    pub report: Report,
}

/// Reads `files` (every file of the project's package directories) into `schema`. Errors do not stop the
/// reading: the report lists all of them, and a caller refuses a project whose report has any.
pub fn load(schema: Schema, files: &[SourceFile]) -> Loaded {
    let mut report = Report::default();
    let parsed = files::parse_all(files, &mut report);
    let merged = merge::merge(schema, parsed, &mut report);
    formulas::check(&merged.schema, &merged.sites, &mut report);
    Loaded {
        schema: merged.schema,
        record_types: merged.record_types,
        standard_value_sets: merged.standard_value_sets,
        report,
    }
}

#[cfg(test)]
mod tests;
