//! Every formula of the project (validation rule conditions, formula fields, default values) compiled
//! against the merged schema, its errors placed at the file's line and column.

use super::report::Report;
use super::xml::{Element, Position};
use crate::org::rules::defaults::DEFAULT_OPTIONS;
use crate::org::rules::resolver::{SchemaResolver, ftype};
use crate::org::rules::validation::RULE_OPTIONS;
use crate::schema::Schema;
use bulkforce_formula::{Blanks, CompileOptions, FType, compile};

/// What a formula is for: it decides the type it must have and whether prior values are allowed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Purpose {
    /// A validation rule's `errorConditionFormula`: Boolean, may use `ISCHANGED`/`PRIORVALUE`/`ISNEW`.
    Rule,
    /// A formula field's `formula`: its return type.
    Field { field: String },
    /// A field's `defaultValue`: the field's type.
    Default { field: String },
}

/// One formula in one file, with the file position of each character of its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct FormulaSite {
    pub path: String,
    pub object: String,
    pub purpose: Purpose,
    pub source: String,
    /// Where the element holding the formula starts (for errors past the text's end).
    pub element: Position,
    pub positions: Vec<Position>,
}

impl FormulaSite {
    pub fn new(path: &str, object: &str, purpose: Purpose, element: &Element, file: &str) -> Self {
        FormulaSite {
            path: path.to_owned(),
            object: object.to_owned(),
            purpose,
            source: element.text.clone(),
            element: element.position,
            positions: element.text_positions(file),
        }
    }

    /// The file position of the formula's 1-based `line` and `column`.
    pub fn file_position(&self, line: u32, column: u32) -> Position {
        let (mut at_line, mut at_column) = (1u32, 1u32);
        let mut last = None;
        for (index, c) in self.source.chars().enumerate() {
            if at_line == line && at_column == column {
                return self.positions.get(index).copied().unwrap_or(self.element);
            }
            last = self.positions.get(index).copied();
            if c == '\n' {
                at_line += 1;
                at_column = 1;
            } else {
                at_column += 1;
            }
        }
        // Past the end (an unfinished formula): just after its last character.
        last.map_or(self.element, |p| Position {
            line: p.line,
            column: p.column + 1,
        })
    }
}

/// Compiles every site's formula against `schema` as the write and read paths will (a rule's condition
/// as a Boolean with prior values allowed, a formula field as its return type with its blank setting, a
/// default value as its field's type), reporting each error at its file position.
pub(super) fn check(schema: &Schema, sites: &[FormulaSite], report: &mut Report) {
    for site in sites {
        let Some(object) = schema.object(&site.object) else {
            continue;
        };
        let options = match &site.purpose {
            Purpose::Rule => RULE_OPTIONS,
            Purpose::Field { field } => {
                let Some(field) = object.field(field) else {
                    continue;
                };
                CompileOptions {
                    blanks: match &field.traits.formula {
                        Some(spec) if !spec.blanks_as_zero => Blanks::AsBlank,
                        _ => Blanks::AsZero,
                    },
                    expected: ftype(field.ftype),
                    allow_prior: false,
                }
            }
            Purpose::Default { field } => {
                let Some(field) = object.field(field) else {
                    continue;
                };
                CompileOptions {
                    expected: ftype(field.ftype)
                        .filter(|t| !matches!(t, FType::Picklist | FType::MultiPicklist)),
                    ..DEFAULT_OPTIONS
                }
            }
        };
        let resolver = SchemaResolver::new(schema, object);
        if let Err(error) = compile(&site.source, &resolver, options) {
            let position = site.file_position(error.line, error.column);
            report.error(
                &site.path,
                position,
                format!("{}: {}", site.what(), error.message),
            );
        }
    }
}

impl FormulaSite {
    /// What the formula is, for its error.
    fn what(&self) -> String {
        match &self.purpose {
            Purpose::Rule => "validation rule condition".to_owned(),
            Purpose::Field { field } => format!("formula of {}.{field}", self.object),
            Purpose::Default { field } => format!("default value of {}.{field}", self.object),
        }
    }
}
