//! Semi-joins, `Id [NOT] IN (SELECT AccountId FROM Contact …)`: only at the top level of WHERE (not
//! nested, not under NOT or OR), an Id or reference field on the left, and a subquery selecting exactly one
//! Id or reference field at most one hop away.

use super::conditions::CondCtx;
use super::field_rules::is_id_like;
use super::{Binder, Clause, Level, Scope};
use crate::ast;
use crate::bound::{Condition, SelectItem};
use crate::error::{MALFORMED_QUERY, SoqlError};
use crate::lexer::Span;

impl Binder<'_> {
    /// `left [NOT] IN (SELECT …)`; `span` is the parenthesised subquery, where placement errors point.
    pub(super) fn semi_join(
        &self,
        scope: &Scope,
        cx: CondCtx<'_>,
        left: &ast::Expr,
        negated: bool,
        query: &ast::Select,
        span: Span,
    ) -> Result<Condition, SoqlError> {
        self.check_semi_join_placement(cx, span)?;
        let ast::Expr::Field(path) = left else {
            return Err(self.err(
                left.span(),
                MALFORMED_QUERY,
                "The left operand of a semi join must be an Id or a reference field",
            ));
        };
        let bound = self.path(scope, path)?;
        if !is_id_like(bound.field.ftype) {
            return Err(self.err(
                path.span,
                MALFORMED_QUERY,
                "The left operand of a semi join must be an Id or a reference field",
            ));
        }
        let subquery = self.select(query, Level::SemiJoin)?;
        Ok(Condition::InSubquery {
            left: bound,
            negated,
            subquery: Box::new(subquery),
        })
    }

    /// Where a semi-join may appear: not inside another, only in WHERE, and not under NOT or OR.
    fn check_semi_join_placement(&self, cx: CondCtx<'_>, span: Span) -> Result<(), SoqlError> {
        let message = if cx.level == Level::SemiJoin {
            "Nesting of semi join sub-selects is not supported"
        } else if cx.clause != Clause::Where || cx.under_not {
            "Semi join sub-selects are only allowed at the top level WHERE expressions and not in nested WHERE expressions."
        } else if cx.under_or {
            "Semi join sub-selects are not allowed with the 'OR' operator"
        } else {
            return Ok(());
        };
        Err(self.err(span, MALFORMED_QUERY, message))
    }

    /// A semi join subquery selects exactly one Id or reference field, at most one hop away.
    pub(super) fn check_semi_join_select(
        &self,
        stmt: &ast::Select,
        select: &[SelectItem],
    ) -> Result<(), SoqlError> {
        match (stmt.items.as_slice(), select) {
            (
                [
                    ast::SelectItem::Expr {
                        expr: ast::Expr::Field(path),
                        ..
                    },
                ],
                [SelectItem::Field(bound)],
            ) => {
                if bound.hops.len() > 1 {
                    return Err(self.err(
                        path.span,
                        MALFORMED_QUERY,
                        "inner select field cannot have more than one level of relationships",
                    ));
                }
                if !is_id_like(bound.field.ftype) {
                    return Err(self.err(
                        path.span,
                        MALFORMED_QUERY,
                        format!(
                            "The selected field '{}' in a semi join sub-select must be an Id or a reference field",
                            path.text()
                        ),
                    ));
                }
                Ok(())
            }
            (items, _) => {
                // Salesforce points at the second item, or at the only one when it is not a field.
                let span = items
                    .get(1)
                    .or(items.first())
                    .map_or(stmt.from.span, item_span);
                Err(self.err(
                    span,
                    MALFORMED_QUERY,
                    "A semi join sub-select can only select one Id or reference field",
                ))
            }
        }
    }
}

fn item_span(item: &ast::SelectItem) -> Span {
    match item {
        ast::SelectItem::Expr { expr, .. } => expr.span(),
        ast::SelectItem::Fields { span, .. }
        | ast::SelectItem::Subquery { span, .. }
        | ast::SelectItem::TypeOf { span, .. } => *span,
    }
}
