//! What a field may be used for. Salesforce lets every field be selected, but not every field be filtered,
//! sorted, grouped, matched with LIKE or used in a semi-join; these rules say which, by field type.

use super::Clause;
use bulkforce_core::schema::{Field, FieldType};

/// What a plain field must be to appear in a clause.
pub(super) struct FieldRule {
    pub(super) allows: fn(&Field) -> bool,
    /// The verb of the refusal: `field 'X' can not be filtered in a query call`.
    pub(super) verb: &'static str,
}

impl Clause {
    /// The rule a plain field must pass to appear in this clause; the SELECT list takes every field.
    pub(super) fn field_rule(self) -> Option<FieldRule> {
        let (allows, verb): (fn(&Field) -> bool, _) = match self {
            Clause::Select => return None,
            Clause::Where | Clause::Having => (filterable, "filtered"),
            Clause::GroupBy => (groupable, "grouped"),
            Clause::OrderBy => (sortable, "sorted"),
        };
        Some(FieldRule { allows, verb })
    }
}

/// Ids and references: what a semi-join compares and selects.
pub(super) fn is_id_like(ftype: FieldType) -> bool {
    matches!(ftype, FieldType::Id | FieldType::Reference)
}

/// Long text areas (more than 255 characters) can be selected but not filtered, grouped or sorted.
fn is_long_text(field: &Field) -> bool {
    field.ftype == FieldType::TextArea && field.length > 255
}

pub(super) fn filterable(field: &Field) -> bool {
    !is_long_text(field) && !matches!(field.ftype, FieldType::Base64 | FieldType::Compound)
}

fn sortable(field: &Field) -> bool {
    filterable(field) && field.ftype != FieldType::MultiPicklist
}

fn groupable(field: &Field) -> bool {
    sortable(field)
        && !matches!(
            field.ftype,
            FieldType::DateTime | FieldType::EncryptedString
        )
        // Of formula fields, only checkbox and date formulas group (describe `groupable`).
        && (field.traits.formula.is_none()
            || matches!(field.ftype, FieldType::Boolean | FieldType::Date))
}

/// `LIKE` works on string fields only.
pub(super) fn likeable(ftype: FieldType) -> bool {
    matches!(
        ftype,
        FieldType::String
            | FieldType::TextArea
            | FieldType::Picklist
            | FieldType::Combobox
            | FieldType::Email
            | FieldType::Phone
            | FieldType::Url
            | FieldType::EncryptedString
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Mode;
    use crate::bind::test_support::compile;
    use bulkforce_core::schema::Schema;

    #[test]
    fn long_text_areas_are_selectable_but_not_filterable() {
        let schema = Schema::builtin();
        let account = schema.object("Account").unwrap();
        let description = account.field("Description").unwrap();
        let street = account.field("BillingStreet").unwrap();
        assert!(!filterable(description) && !sortable(description) && !groupable(description));
        assert!(filterable(street) && sortable(street) && groupable(street));
        assert!(compile("SELECT Description FROM Account", Mode::BulkQuery).is_ok());
    }

    #[test]
    fn formula_fields_filter_and_sort_and_only_checkbox_and_date_ones_group() {
        let schema = Schema::builtin();
        let account = schema.object("Account").unwrap();
        let formula = |name: &str| {
            let mut field = account.field(name).unwrap().clone();
            field.traits.formula = Some(bulkforce_core::schema::FormulaSpec {
                source: "1".into(),
                blanks_as_zero: true,
            });
            field
        };
        let text = formula("Site");
        assert!(filterable(&text) && sortable(&text) && !groupable(&text));
        assert!(!groupable(&formula("AnnualRevenue")));
        assert!(groupable(&formula("IsDeleted")));
    }
}
