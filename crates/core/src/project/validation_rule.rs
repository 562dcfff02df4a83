//! `validationRules/<Name>.validationRule-meta.xml` (`ValidationRule`): a condition that refuses a row.

use super::field::{Problem, flag, problem};
use super::xml::Element;
use crate::schema::ValidationRule;

/// A rule, and the element holding its condition (for the formula's file positions).
pub(super) fn parse(root: &Element, name: &str) -> Result<(ValidationRule, Element), Problem> {
    let Some(active) = flag(root, "active")? else {
        return Err(problem(root, "a validation rule needs <active>"));
    };
    let Some(condition) = root.child("errorConditionFormula") else {
        return Err(problem(
            root,
            "a validation rule needs <errorConditionFormula>",
        ));
    };
    let Some(message) = root.text_of("errorMessage") else {
        return Err(problem(root, "a validation rule needs <errorMessage>"));
    };
    let rule = ValidationRule {
        name: name.to_owned(),
        active,
        condition: condition.text.clone(),
        message: message.to_owned(),
        display_field: root.text_of("errorDisplayField").map(str::to_owned),
    };
    Ok((rule, condition.clone()))
}
