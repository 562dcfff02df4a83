//! The org's own formulas bound to its schema: names resolved for the formula engine (resolver), validation
//! rules compiled per object and checked per row (validation), default value formulas (defaults). Pure:
//! the store supplies the row (and its stored values) through `bulkforce_formula::RowSource`.

pub mod convert;
pub mod defaults;
pub mod resolver;
pub mod validation;
