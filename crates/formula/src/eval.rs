//! Evaluation of a compiled formula against one row.

use crate::error::EvalError;
use crate::typed::{FieldRef, Formula, GlobalRef};
use crate::types::FValue;
use chrono::{DateTime, Utc};

/// The row a formula is evaluated on, as the writer sees it.
pub trait RowSource {
    /// The value of `Formula::fields[index]` on the record as it will be saved (for a path through
    /// lookups: the parent's value, `Null` when the lookup is empty).
    fn field(&self, index: usize, field: &FieldRef) -> FValue;
    /// The stored value before this write; `None` when the record is new.
    fn prior(&self, index: usize, field: &FieldRef) -> Option<FValue>;
    /// The value of `Formula::globals[index]`.
    fn global(&self, index: usize, global: &GlobalRef) -> FValue;
    /// Whether the record is being created.
    fn is_new(&self) -> bool;
    /// The time of the write (`NOW()`; `TODAY()` is its date in UTC).
    fn now(&self) -> DateTime<Utc>;
}

impl Formula {
    /// The formula's value on `row`.
    pub fn eval(&self, row: &dyn RowSource) -> Result<FValue, EvalError> {
        let _ = row;
        Err(EvalError("the formula engine is not built yet".into()))
    }
}
