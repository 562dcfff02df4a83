//! What each API refuses of a statement that is otherwise valid SOQL. Bulk query jobs refuse aggregates,
//! parent-to-child subqueries, TYPEOF, OFFSET, `FIELDS(ALL|CUSTOM)` and compound fields with Salesforce's
//! `API_ERROR` messages (clients match them); the REST query resource takes aggregates, OFFSET, TYPEOF and
//! parent-to-child subqueries. The top-level statement and each parent-to-child subquery are checked.

use super::Binder;
use crate::Mode;
use crate::ast;
use crate::bound::SelectItem;
use crate::error::{API_ERROR, SoqlError};
use crate::lexer::Span;
use bulkforce_core::schema::FieldType;

/// Bulk refusal of parent-to-child subqueries and of aggregate queries (Data Loader matches
/// `Aggregate Relationships not supported in Bulk Query` in it).
pub const BULK_AGGREGATE: &str =
    "Aggregate Relationships not supported in Bulk Query with CSV content type";
/// Bulk refusal of compound (address, geolocation) fields.
pub const BULK_COMPOUND: &str = "Selecting compound data not supported in Bulk Query";
pub const BULK_OFFSET: &str = "OFFSET not supported in Bulk Query";
pub const BULK_TYPEOF: &str = "TYPEOF not supported in Bulk Query";

/// The SELECT items only some APIs accept: the first of each kind, where it was written.
#[derive(Default)]
pub(super) struct SpecialItems {
    /// A parent-to-child subquery `(SELECT … FROM Contacts)`.
    pub(super) subquery: Option<Span>,
    /// `TYPEOF … END`.
    pub(super) type_of: Option<Span>,
    /// `FIELDS(CUSTOM)` or `FIELDS(ALL)` (which also need a LIMIT).
    pub(super) wide_fields: Option<(ast::FieldsKind, Span)>,
}

impl Binder<'_> {
    /// What Bulk query jobs refuse (the REST query resource refuses none of these).
    pub(super) fn check_api_support(
        &self,
        special: &SpecialItems,
        aggregated: bool,
        offset: Option<u64>,
        select: &[SelectItem],
    ) -> Result<(), SoqlError> {
        match self.mode {
            Mode::BulkQuery => bulk_refusal(special, aggregated, offset, select)
                .map_or(Ok(()), |message| Err(SoqlError::plain(API_ERROR, message))),
            Mode::Rest => Ok(()),
        }
    }
}

/// The first thing a Bulk query job refuses, in Salesforce's order, as its `API_ERROR` message.
fn bulk_refusal(
    special: &SpecialItems,
    aggregated: bool,
    offset: Option<u64>,
    select: &[SelectItem],
) -> Option<String> {
    if special.subquery.is_some() || aggregated {
        return Some(BULK_AGGREGATE.to_owned());
    }
    if special.type_of.is_some() {
        return Some(BULK_TYPEOF.to_owned());
    }
    if offset.is_some() {
        return Some(BULK_OFFSET.to_owned());
    }
    if let Some((kind, _)) = special.wide_fields {
        let name = match kind {
            ast::FieldsKind::Custom => "CUSTOM",
            _ => "ALL",
        };
        return Some(format!("FIELDS({name}) not supported in Bulk Query"));
    }
    let compound = select
        .iter()
        .any(|item| matches!(item, SelectItem::Field(p) if p.field.ftype == FieldType::Compound));
    compound.then(|| BULK_COMPOUND.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bind::test_support::compile;

    #[test]
    fn modes_differ_only_in_what_they_refuse() {
        let text = "SELECT Industry, COUNT(Id) FROM Account GROUP BY Industry";
        assert!(compile(text, Mode::Rest).is_ok());
        let e = compile(text, Mode::BulkQuery).unwrap_err();
        assert_eq!((e.code, e.message.as_str()), (API_ERROR, BULK_AGGREGATE));
        assert!(BULK_AGGREGATE.contains("Aggregate Relationships not supported in Bulk Query"));
    }
}
