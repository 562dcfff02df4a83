//! ORDER BY keys (Salesforce's default null placement: first ascending, last descending), and the bounds
//! on LIMIT and OFFSET.

use super::{Binder, Clause, Scope};
use crate::ast;
use crate::bound::OrderKey;
use crate::error::{MALFORMED_QUERY, NUMBER_OUTSIDE_VALID_RANGE, SoqlError};
use crate::lexer::Span;

/// `FIELDS(ALL)` and `FIELDS(CUSTOM)` need `LIMIT` at most this.
pub const FIELDS_LIMIT: u64 = 200;
/// The largest OFFSET SOQL accepts.
pub const MAX_OFFSET: u64 = 2000;
pub const FIELDS_NEEDS_LIMIT: &str = "The SOQL FIELDS function must have a LIMIT of at most 200";

impl Binder<'_> {
    /// The ORDER BY keys: sortable fields, date functions or aggregates.
    pub(super) fn order_by(
        &self,
        scope: &Scope,
        keys: &[ast::OrderKey],
    ) -> Result<Vec<OrderKey>, SoqlError> {
        keys.iter()
            .map(|key| {
                Ok(OrderKey {
                    operand: self.operand(scope, &key.expr, Clause::OrderBy)?,
                    descending: key.descending,
                    nulls_first: key.nulls_first.unwrap_or(!key.descending),
                })
            })
            .collect()
    }
}

/// LIMIT and OFFSET: OFFSET at most [`MAX_OFFSET`], and a LIMIT of at most [`FIELDS_LIMIT`] when the
/// SELECT list has `FIELDS(CUSTOM)` or `FIELDS(ALL)` (`wide_fields`).
pub(super) fn limit_and_offset(
    stmt: &ast::Select,
    wide_fields: Option<(ast::FieldsKind, Span)>,
) -> Result<(Option<u64>, Option<u64>), SoqlError> {
    let limit = stmt.limit.map(|c| c.value);
    let offset = stmt.offset.map(|c| c.value);
    if offset.is_some_and(|o| o > MAX_OFFSET) {
        return Err(SoqlError::plain(
            NUMBER_OUTSIDE_VALID_RANGE,
            format!("Maximum SOQL offset allowed is {MAX_OFFSET}"),
        ));
    }
    if wide_fields.is_some() && limit.is_none_or(|l| l > FIELDS_LIMIT) {
        return Err(SoqlError::plain(MALFORMED_QUERY, FIELDS_NEEDS_LIMIT));
    }
    Ok((limit, offset))
}
