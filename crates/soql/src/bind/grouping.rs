//! Aggregate queries: GROUP BY keys, and the rule that everything else a grouped query selects or sorts by
//! is a GROUP BY key or an aggregate (HAVING's share of that rule is checked with its operands, in
//! `conditions`).

use super::select_list::SelectList;
use super::{Binder, Clause, Scope};
use crate::ast;
use crate::bound::{Condition, Operand, OrderKey, SelectItem};
use crate::error::{MALFORMED_QUERY, SoqlError};

/// Whether a bound statement aggregates: it groups, has HAVING, or selects or sorts by an aggregate or date
/// function.
pub(super) fn is_aggregated(
    select: &[SelectItem],
    group_by: &[Operand],
    having: Option<&Condition>,
    order_by: &[OrderKey],
) -> bool {
    !group_by.is_empty()
        || having.is_some()
        || select.iter().any(|s| !matches!(s, SelectItem::Field(_)))
        || order_by
            .iter()
            .any(|k| matches!(k.operand, Operand::Aggregate(..)))
}

/// Whether two GROUP BY-able operands are the same key.
pub(super) fn same_key(a: &Operand, b: &Operand) -> bool {
    match (a, b) {
        (Operand::Field(x), Operand::Field(y)) => x.header() == y.header(),
        (Operand::DateFunction(f, x), Operand::DateFunction(g, y)) => {
            f == g && x.header() == y.header()
        }
        _ => false,
    }
}

impl Binder<'_> {
    /// The GROUP BY keys: groupable fields and date functions (never aggregates).
    pub(super) fn group_by(
        &self,
        scope: &Scope,
        keys: &[ast::Expr],
    ) -> Result<Vec<Operand>, SoqlError> {
        keys.iter()
            .map(|key| self.operand(scope, key, Clause::GroupBy))
            .collect()
    }

    /// In an aggregate query, every selected field and date function must be grouped, and so must every
    /// ORDER BY key that is not an aggregate. `written_order` is the ORDER BY as written, for the errors.
    pub(super) fn check_grouping(
        &self,
        list: &SelectList,
        group_by: &[Operand],
        written_order: &[ast::OrderKey],
        order_by: &[OrderKey],
    ) -> Result<(), SoqlError> {
        let grouped = |key: &Operand| group_by.iter().any(|g| same_key(g, key));
        for (item, written) in list.items.iter().zip(&list.written) {
            let key = match item {
                SelectItem::Field(path) => Operand::Field(path.clone()),
                SelectItem::DateFunction {
                    function, argument, ..
                } => Operand::DateFunction(*function, argument.clone()),
                SelectItem::Aggregate { .. } => continue,
            };
            if !grouped(&key) {
                return Err(self.err(
                    written.span,
                    MALFORMED_QUERY,
                    format!("Field must be grouped or aggregated: {}", written.text),
                ));
            }
        }
        for (key, written) in order_by.iter().zip(written_order) {
            if !matches!(key.operand, Operand::Aggregate(..)) && !grouped(&key.operand) {
                return Err(self.err(
                    written.expr.span(),
                    MALFORMED_QUERY,
                    format!(
                        "Ordered field must be grouped or aggregated: {}",
                        written.expr.text()
                    ),
                ));
            }
        }
        Ok(())
    }
}
