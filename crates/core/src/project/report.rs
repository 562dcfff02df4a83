//! What reading a project found: the metadata read, the files not supported (warnings) and the errors
//! (with file, line and column), each printable as one line.

use super::xml::Position;
use std::fmt;

/// A malformed file, field or formula.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectError {
    pub path: String,
    pub position: Position,
    pub message: String,
}

impl fmt::Display for ProjectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.path, self.position.line, self.position.column, self.message
        )
    }
}

/// A file (or part of one) bulkforce does not act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    pub path: String,
    pub message: String,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// One piece of metadata read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Read {
    Object {
        name: String,
        /// A custom object the project defines (rather than a standard or already known one it extends).
        new: bool,
        key_prefix: String,
        fields: usize,
        record_types: Vec<String>,
        validation_rules: usize,
    },
    GlobalValueSet {
        name: String,
        values: usize,
    },
    StandardValueSet {
        name: String,
        values: usize,
        fields: Vec<String>,
    },
}

impl fmt::Display for Read {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Read::Object {
                name,
                new,
                key_prefix,
                fields,
                record_types,
                validation_rules,
            } => {
                let kind = if *new { "custom object" } else { "object" };
                write!(
                    f,
                    "{kind} {name} ({key_prefix}): {fields} fields, {} record types{}, {validation_rules} validation rules",
                    record_types.len(),
                    if record_types.is_empty() {
                        String::new()
                    } else {
                        format!(" ({})", record_types.join(", "))
                    }
                )
            }
            Read::GlobalValueSet { name, values } => {
                write!(f, "global value set {name}: {values} values")
            }
            Read::StandardValueSet {
                name,
                values,
                fields,
            } => write!(
                f,
                "standard value set {name}: {values} values ({})",
                if fields.is_empty() {
                    "no field of the schema uses it".to_owned()
                } else {
                    fields.join(", ")
                }
            ),
        }
    }
}

/// Everything reading a project found.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Report {
    pub read: Vec<Read>,
    pub warnings: Vec<Warning>,
    pub errors: Vec<ProjectError>,
}

impl Report {
    pub(crate) fn warn(&mut self, path: &str, message: impl Into<String>) {
        self.warnings.push(Warning {
            path: path.to_owned(),
            message: message.into(),
        });
    }

    pub(crate) fn error(&mut self, path: &str, position: Position, message: impl Into<String>) {
        self.errors.push(ProjectError {
            path: path.to_owned(),
            position,
            message: message.into(),
        });
    }
}
