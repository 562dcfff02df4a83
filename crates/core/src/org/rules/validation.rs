//! Validation rules on the write path: an object's active rules compiled once (per ingest plan, per REST
//! write unit), then checked against each row being saved.
//!
//! A rule whose condition is TRUE fails the row with
//! `FIELD_CUSTOM_VALIDATION_EXCEPTION:<errorMessage>:<errorDisplayField> --` (or `…:<errorMessage>:--` for a
//! top-of-page rule), spec §4.1. Rules run in `fullName` order (Salesforce's own order is unconfirmed,
//! spec §4.2); Bulk reports one error per row, the first failing rule's, while REST single-record writes may
//! report every failing rule ([`ObjectRules::failures`]). A condition that evaluates to blank does not fire
//! (three-valued logic, spec §3.4); one that cannot be evaluated at all (division by zero) fails the row
//! with the rule's own error, since the record could not be shown to pass (a deliberate choice: Salesforce
//! does not save a record whose rule errors either).

use crate::error::RowError;
use crate::schema::{SObject, ValidationRule};
use bulkforce_formula::{
    Blanks, CompileOptions, FType, FValue, Formula, FormulaError, Resolver, RowSource, compile,
};

/// The error code of a failing validation rule.
pub const FIELD_CUSTOM_VALIDATION_EXCEPTION: &str = "FIELD_CUSTOM_VALIDATION_EXCEPTION";

/// How validation rules are compiled: a Checkbox result, blanks read as blanks (validation rules have no
/// `formulaTreatBlanksAs`, spec §3.4), and `ISNEW`/`ISCHANGED`/`PRIORVALUE` allowed.
pub const RULE_OPTIONS: CompileOptions = CompileOptions {
    blanks: Blanks::AsBlank,
    expected: Some(FType::Boolean),
    allow_prior: true,
};

/// One active rule, compiled, with the row error it gives when it fires (built once, cloned per failure).
#[derive(Debug, Clone)]
pub struct CompiledRule {
    pub name: String,
    pub formula: Formula,
    pub error: RowError,
}

impl CompiledRule {
    /// Whether the rule fires on `row`: its condition is TRUE, or cannot be evaluated.
    pub fn fires(&self, row: &dyn RowSource) -> bool {
        match self.formula.eval(row) {
            Ok(FValue::Boolean(fires)) => fires,
            Ok(_) => false,
            Err(_) => true,
        }
    }
}

/// A rule that did not compile (the project loader reports these with file, line and column; a writer
/// skips them rather than failing every row of the object).
#[derive(Debug, Clone, PartialEq)]
pub struct BrokenRule {
    pub name: String,
    pub error: FormulaError,
}

/// An object's active validation rules, compiled, in name order.
#[derive(Debug, Clone, Default)]
pub struct ObjectRules {
    rules: Vec<CompiledRule>,
    broken: Vec<BrokenRule>,
}

impl ObjectRules {
    /// Compiles `object`'s active rules against the names `resolver` knows (core's `SchemaResolver` for
    /// the object). Inactive rules are left out; so are rules that do not compile (see [`Self::broken`]).
    pub fn compile(object: &SObject, resolver: &dyn Resolver) -> ObjectRules {
        let mut active: Vec<&ValidationRule> = object
            .validation_rules
            .iter()
            .filter(|r| r.active)
            .collect();
        active.sort_by(|a, b| a.name.cmp(&b.name));
        let mut rules = Vec::with_capacity(active.len());
        let mut broken = Vec::new();
        for rule in active {
            match compile(&rule.condition, resolver, RULE_OPTIONS) {
                Ok(formula) => rules.push(CompiledRule {
                    name: rule.name.clone(),
                    formula,
                    error: rule_error(rule),
                }),
                Err(error) => broken.push(BrokenRule {
                    name: rule.name.clone(),
                    error,
                }),
            }
        }
        ObjectRules { rules, broken }
    }

    /// Whether there is nothing to check (a writer then skips every per-row step).
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    pub fn rules(&self) -> &[CompiledRule] {
        &self.rules
    }

    pub fn broken(&self) -> &[BrokenRule] {
        &self.broken
    }

    /// Whether any rule reads the stored record's prior values (`ISNEW`, `ISCHANGED`, `PRIORVALUE`).
    pub fn uses_prior(&self) -> bool {
        self.rules.iter().any(|r| r.formula.uses_prior)
    }

    /// The first failing rule's error (Bulk's one `sf__Error` per row), or `None` when the row passes.
    pub fn check(&self, row: &dyn RowSource) -> Option<RowError> {
        self.rules
            .iter()
            .find(|rule| rule.fires(row))
            .map(|rule| rule.error.clone())
    }

    /// Every failing rule's error, in name order (REST reports one entry per failing rule).
    pub fn failures(&self, row: &dyn RowSource) -> Vec<RowError> {
        self.rules
            .iter()
            .filter(|rule| rule.fires(row))
            .map(|rule| rule.error.clone())
            .collect()
    }
}

/// The row error of `rule`: its message verbatim, its display field (if any) as the error's field.
pub fn rule_error(rule: &ValidationRule) -> RowError {
    let fields = rule
        .display_field
        .iter()
        .filter(|f| !f.is_empty())
        .cloned()
        .collect();
    RowError::new(
        FIELD_CUSTOM_VALIDATION_EXCEPTION,
        rule.message.clone(),
        fields,
    )
}

#[cfg(test)]
mod tests;
