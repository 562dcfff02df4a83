//! `objects/<Obj>/<Obj>.object-meta.xml` (`CustomObject`): the object's labels and its name field (Text,
//! or an AutoNumber with its display format). Sharing, layouts and UI flags do not change the data.

use super::field::{Problem, auto_number, problem};
use super::xml::Element;
use crate::schema::{Field, FieldType};

/// What an object file declares.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct ObjectMeta {
    pub label: Option<String>,
    pub plural: Option<String>,
    /// The `Name` field as `nameField` declares it (its label; an auto-number's format).
    pub name_field: Option<Field>,
}

/// Reads a `CustomObject` root. `name_field` is the object's system `Name` field, which `nameField`
/// refines.
pub(super) fn parse(root: &Element, mut name_field: Field) -> Result<ObjectMeta, Problem> {
    let declared = match root.child("nameField") {
        None => None,
        Some(element) => {
            if let Some(label) = element.text_of("label") {
                name_field.label = label.to_owned();
            }
            match element.text_of("type") {
                None | Some("Text") => {}
                Some("AutoNumber") => {
                    name_field.ftype = FieldType::String;
                    name_field.length = 80;
                    auto_number(element, &mut name_field)?;
                }
                Some(other) => {
                    return Err(problem(
                        element,
                        format!("a name field is Text or AutoNumber, not {other}"),
                    ));
                }
            }
            Some(name_field)
        }
    };
    Ok(ObjectMeta {
        label: root.text_of("label").map(str::to_owned),
        plural: root.text_of("pluralLabel").map(str::to_owned),
        name_field: declared,
    })
}
