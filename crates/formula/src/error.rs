//! A malformed or ill-typed formula, and an evaluation that cannot give a value.

use crate::ast::Span;

/// What is wrong with a formula, and where (1-based line and column of the offending token).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}, column {column}: {message}")]
pub struct FormulaError {
    pub message: String,
    pub line: u32,
    pub column: u32,
}

impl FormulaError {
    pub fn at(span: Span, message: impl Into<String>) -> Self {
        FormulaError {
            message: message.into(),
            line: span.line,
            column: span.column,
        }
    }
}

/// An evaluation without a value (division by zero, a date out of range, a bad regular expression): a
/// formula field shows `#Error!`, a validation rule fails the row with this message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct EvalError(pub String);
