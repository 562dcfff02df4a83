//! `fields/<Field>.field-meta.xml` (`CustomField`) -> a core [`Field`], with describe's derivations (org
//! metadata spec §2): type and lengths, nillable/createable/updateable, defaults, picklist values,
//! references and what a delete of the parent does, auto-numbers and formulas.

use super::xml::{Element, Position};
use crate::schema::{Field, FieldTraits, FieldType, FormulaSpec, PicklistValue};

/// Something wrong in a metadata file: where, and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Problem {
    pub position: Position,
    pub message: String,
}

pub(super) fn problem(element: &Element, message: impl Into<String>) -> Problem {
    Problem {
        position: element.position,
        message: message.into(),
    }
}

/// A field as its file declares it: the core field, and what only the merge can resolve.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct FieldDecl {
    pub field: Field,
    /// `valueSet/valueSetName`: the global value set giving the values.
    pub value_set_name: Option<String>,
    /// `relationshipName` of a lookup: the parent's child relationship is `<name>__r`.
    pub child_relationship: Option<String>,
    /// The file's root element, for the positions of what the merge finds wrong.
    pub root: Element,
}

/// What a field file gives.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum FieldFile {
    Declared(Box<FieldDecl>),
    /// A type bulkforce does not have (roll-up summaries, locations, …): the message says which.
    Unsupported(String),
}

/// `true`/`false` of the child `name`, if present.
pub(super) fn flag(root: &Element, name: &str) -> Result<Option<bool>, Problem> {
    let Some(child) = root.child(name) else {
        return Ok(None);
    };
    match child.text.trim() {
        "true" => Ok(Some(true)),
        "false" => Ok(Some(false)),
        other => Err(problem(
            child,
            format!("<{name}> must be true or false, not {other:?}"),
        )),
    }
}

/// A whole number child `name`, if present.
pub(super) fn number(root: &Element, name: &str) -> Result<Option<u32>, Problem> {
    let Some(child) = root.child(name) else {
        return Ok(None);
    };
    child.text.trim().parse().map(Some).map_err(|_| {
        problem(
            child,
            format!(
                "<{name}> must be a whole number, not {:?}",
                child.text.trim()
            ),
        )
    })
}

/// The field `name` of an object as `root` (a `CustomField`, or an object's `nameField`) declares it.
pub(super) fn parse(root: &Element, name: &str) -> Result<FieldFile, Problem> {
    let Some(type_name) = root.text_of("type") else {
        return Err(problem(root, format!("the field {name} has no <type>")));
    };
    let required = flag(root, "required")?.unwrap_or(false);
    let external_id = flag(root, "externalId")?.unwrap_or(false);
    let mut field = Field {
        name: name.to_owned(),
        label: root.text_of("label").unwrap_or(name).to_owned(),
        ftype: FieldType::String,
        length: 0,
        precision: 0,
        scale: 0,
        digits: 0,
        nillable: !required,
        createable: true,
        updateable: true,
        defaulted_on_create: false,
        unique: flag(root, "unique")?.unwrap_or(false),
        external_id,
        id_lookup: external_id,
        picklist_values: Vec::new(),
        restricted_picklist: false,
        reference_to: Vec::new(),
        relationship_name: None,
        custom: name.ends_with("__c"),
        traits: FieldTraits::default(),
    };
    let (mut value_set_name, mut child_relationship) = (None, None);
    let length = |default: u32| Ok::<u32, Problem>(number(root, "length")?.unwrap_or(default));
    match type_name {
        "Text" => set_type(&mut field, FieldType::String, length(255)?),
        "TextArea" => set_type(&mut field, FieldType::TextArea, 255),
        "LongTextArea" | "Html" => set_type(&mut field, FieldType::TextArea, length(32768)?),
        "EncryptedText" => set_type(&mut field, FieldType::EncryptedString, length(175)?),
        "Email" => set_type(&mut field, FieldType::Email, 80),
        "Phone" => set_type(&mut field, FieldType::Phone, 40),
        "Url" => set_type(&mut field, FieldType::Url, 255),
        "Date" => set_type(&mut field, FieldType::Date, 0),
        "DateTime" => set_type(&mut field, FieldType::DateTime, 0),
        "Time" => set_type(&mut field, FieldType::Time, 0),
        "Number" | "Currency" | "Percent" => numeric(root, &mut field, type_name)?,
        "Checkbox" => {
            set_type(&mut field, FieldType::Boolean, 0);
            field.nillable = false;
            field.defaulted_on_create = true;
        }
        "Picklist" | "MultiselectPicklist" => {
            let multi = type_name == "MultiselectPicklist";
            let (ftype, size) = if multi {
                (FieldType::MultiPicklist, 4099)
            } else {
                (FieldType::Picklist, 255)
            };
            set_type(&mut field, ftype, size);
            if root.child("formula").is_none() {
                value_set(root, &mut field, &mut value_set_name)?;
            }
        }
        "Lookup" | "MasterDetail" => {
            set_type(&mut field, FieldType::Reference, 18);
            reference(root, &mut field, type_name == "MasterDetail")?;
            child_relationship = root.text_of("relationshipName").map(str::to_owned);
        }
        "AutoNumber" => {
            set_type(&mut field, FieldType::String, 30);
            auto_number(root, &mut field)?;
        }
        other => {
            return Ok(FieldFile::Unsupported(format!(
                "field type {other} is not supported: the field {name} is skipped"
            )));
        }
    }
    if let Some(formula) = root.child("formula") {
        make_formula(root, formula, &mut field);
    } else if let Some(default) = root.child("defaultValue") {
        let text = default.text.trim();
        if !text.is_empty() {
            field.defaulted_on_create = true;
            field.traits.default_formula = Some(text.to_owned());
        }
    }
    Ok(FieldFile::Declared(Box::new(FieldDecl {
        field,
        value_set_name,
        child_relationship,
        root: root.clone(),
    })))
}

/// A number, currency or percent: its digits.
fn numeric(root: &Element, field: &mut Field, type_name: &str) -> Result<(), Problem> {
    field.ftype = match type_name {
        "Number" => FieldType::Double,
        "Currency" => FieldType::Currency,
        _ => FieldType::Percent,
    };
    field.precision = number(root, "precision")?.unwrap_or(18);
    field.scale = number(root, "scale")?.unwrap_or(0);
    if field.scale > field.precision || field.precision > 18 {
        return Err(problem(
            root,
            format!(
                "precision {} and scale {} of {}: at most 18 digits, scale at most the precision",
                field.precision, field.scale, field.name
            ),
        ));
    }
    Ok(())
}

fn set_type(field: &mut Field, ftype: FieldType, length: u32) {
    field.ftype = ftype;
    field.length = length;
}

/// A formula field: computed when read, never written, `calculated` in describe.
fn make_formula(root: &Element, formula: &Element, field: &mut Field) {
    field.createable = false;
    field.updateable = false;
    field.nillable = true;
    field.defaulted_on_create = false;
    if field.ftype == FieldType::String {
        field.length = 1300;
    }
    field.traits.calculated = true;
    field.traits.formula = Some(FormulaSpec {
        source: formula.text.clone(),
        blanks_as_zero: root.text_of("formulaTreatBlanksAs") != Some("BlankAsBlank"),
    });
}

/// A picklist's `valueSet`: inline values, or the name of a global value set the merge resolves.
fn value_set(
    root: &Element,
    field: &mut Field,
    global: &mut Option<String>,
) -> Result<(), Problem> {
    let Some(set) = root.child("valueSet") else {
        return Err(problem(
            root,
            format!("the picklist {} has no <valueSet>", field.name),
        ));
    };
    field.restricted_picklist = flag(set, "restricted")?.unwrap_or(false);
    field.traits.controller_name = set.text_of("controllingField").map(str::to_owned);
    if let Some(name) = set.text_of("valueSetName") {
        *global = Some(name.to_owned());
        return Ok(());
    }
    let Some(definition) = set.child("valueSetDefinition") else {
        return Err(problem(
            set,
            format!(
                "the picklist {} has neither <valueSetDefinition> nor <valueSetName>",
                field.name
            ),
        ));
    };
    field.picklist_values = values(definition, "value")?;
    Ok(())
}

/// The `value`/`customValue` children of a value set, as picklist values.
pub(super) fn values(set: &Element, element: &str) -> Result<Vec<PicklistValue>, Problem> {
    set.all(element).map(picklist_value).collect()
}

/// One value of a value set (`fullName`, `label`, `default`, `isActive`).
pub(super) fn picklist_value(value: &Element) -> Result<PicklistValue, Problem> {
    let Some(name) = value.text_of("fullName") else {
        return Err(problem(
            value,
            format!("a <{}> without <fullName>", value.name),
        ));
    };
    let name = super::record_type::percent_decode(name);
    Ok(PicklistValue {
        active: flag(value, "isActive")?.unwrap_or(true),
        default_value: flag(value, "default")?.unwrap_or(false),
        label: Some(value.text_of("label").map_or(name.clone(), str::to_owned)),
        value: name,
    })
}

/// A lookup or master-detail: its parent and what deleting the parent does.
fn reference(root: &Element, field: &mut Field, master_detail: bool) -> Result<(), Problem> {
    let Some(target) = root.text_of("referenceTo") else {
        return Err(problem(
            root,
            format!("the lookup {} has no <referenceTo>", field.name),
        ));
    };
    field.reference_to = vec![target.to_owned()];
    field.relationship_name = Some(match field.name.strip_suffix("__c") {
        Some(stem) => format!("{stem}__r"),
        None => field.name.trim_end_matches("Id").to_owned(),
    });
    if master_detail {
        // Always required, always cascading; reparenting only when the metadata allows it.
        field.nillable = false;
        field.traits.cascade_delete = true;
        field.updateable = flag(root, "reparentableMasterDetail")?.unwrap_or(false);
        return Ok(());
    }
    match root.text_of("deleteConstraint") {
        None | Some("SetNull") => {}
        Some("Cascade") => field.traits.cascade_delete = true,
        Some("Restrict") => field.traits.restricted_delete = true,
        Some(other) => {
            let at = root.child("deleteConstraint").unwrap_or(root);
            return Err(problem(
                at,
                format!("<deleteConstraint> is SetNull, Restrict or Cascade, not {other:?}"),
            ));
        }
    }
    Ok(())
}

/// An auto-number: issued by the org, never written, shown by its display format.
pub(super) fn auto_number(root: &Element, field: &mut Field) -> Result<(), Problem> {
    field.createable = false;
    field.updateable = false;
    field.nillable = false;
    field.defaulted_on_create = true;
    field.traits.auto_number = true;
    field.traits.display_format = root.text_of("displayFormat").map(str::to_owned);
    field.traits.starting_number = match root.child("startingNumber") {
        None => None,
        Some(child) => Some(
            child
                .text
                .trim()
                .parse()
                .map_err(|_| problem(child, "<startingNumber> must be a whole number"))?,
        ),
    };
    crate::org::auto_number::check_display_format(field)
        .map_err(|e| problem(root, format!("{}: {e}", field.name)))
}
