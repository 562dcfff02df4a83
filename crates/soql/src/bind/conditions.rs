//! WHERE and HAVING conditions: the logical operators, then one method per operator family (comparison,
//! LIKE, IN over literals, INCLUDES/EXCLUDES; semi-joins are in `semi_join`). Each checks that its
//! operator suits the left side, then types its literals through `literals`.

use super::field_rules::likeable;
use super::grouping::same_key;
use super::literals::{Expect, Target};
use super::{Binder, Clause, Level, Scope};
use crate::ast;
use crate::bound::{ComparisonOp, Condition, Operand};
use crate::error::{INVALID_QUERY_FILTER_OPERATOR, MALFORMED_QUERY, SoqlError};
use crate::lexer::{self, Span};
use bulkforce_core::schema::FieldType;

/// Where a condition sits, for the semi-join and HAVING rules.
#[derive(Clone, Copy)]
pub(super) struct CondCtx<'g> {
    /// WHERE or HAVING.
    pub(super) clause: Clause,
    /// Whether the statement is itself a semi-join's subquery (semi-joins do not nest).
    pub(super) level: Level,
    /// Inside an OR, where semi-joins are refused.
    pub(super) under_or: bool,
    /// Inside a NOT, where semi-joins are refused.
    pub(super) under_not: bool,
    /// GROUP BY keys, which HAVING may reference.
    groups: &'g [Operand],
}

impl<'g> CondCtx<'g> {
    /// The context of a whole WHERE or HAVING condition.
    pub(super) fn new(clause: Clause, level: Level, groups: &'g [Operand]) -> Self {
        CondCtx {
            clause,
            level,
            under_or: false,
            under_not: false,
            groups,
        }
    }
}

impl Binder<'_> {
    /// Binds a whole WHERE or HAVING condition, if the statement has one.
    pub(super) fn top_condition(
        &self,
        scope: &Scope,
        condition: Option<&ast::Condition>,
        cx: CondCtx<'_>,
    ) -> Result<Option<Condition>, SoqlError> {
        condition.map(|c| self.condition(scope, c, cx)).transpose()
    }

    fn condition(
        &self,
        scope: &Scope,
        condition: &ast::Condition,
        cx: CondCtx<'_>,
    ) -> Result<Condition, SoqlError> {
        match condition {
            ast::Condition::And(parts) => Ok(Condition::And(self.conditions(scope, parts, cx)?)),
            ast::Condition::Or(parts) => {
                let cx = CondCtx {
                    under_or: true,
                    ..cx
                };
                Ok(Condition::Or(self.conditions(scope, parts, cx)?))
            }
            ast::Condition::Not(inner) => {
                let cx = CondCtx {
                    under_not: true,
                    ..cx
                };
                Ok(Condition::Not(Box::new(self.condition(scope, inner, cx)?)))
            }
            ast::Condition::Compare { left, op, right } => {
                self.compare(scope, cx, left, *op, right)
            }
            ast::Condition::Like { left, pattern } => self.like(scope, cx, left, pattern),
            ast::Condition::In {
                left,
                negated,
                values,
            } => self.in_list(scope, cx, left, *negated, values),
            ast::Condition::InSubquery {
                left,
                negated,
                query,
                span,
            } => self.semi_join(scope, cx, left, *negated, query, *span),
            ast::Condition::Includes {
                left,
                negated,
                values,
            } => self.includes(scope, cx, left, *negated, values),
        }
    }

    fn conditions(
        &self,
        scope: &Scope,
        parts: &[ast::Condition],
        cx: CondCtx<'_>,
    ) -> Result<Vec<Condition>, SoqlError> {
        parts
            .iter()
            .map(|part| self.condition(scope, part, cx))
            .collect()
    }

    /// `left op literal`: checkboxes and multi-picklists take only `=` and `!=`.
    fn compare(
        &self,
        scope: &Scope,
        cx: CondCtx<'_>,
        left: &ast::Expr,
        op: ast::CompareOp,
        right: &ast::Literal,
    ) -> Result<Condition, SoqlError> {
        let (operand, target) = self.condition_operand(scope, left, cx)?;
        if !matches!(op, ast::CompareOp::Eq | ast::CompareOp::Ne)
            && let Some(ftype @ (FieldType::MultiPicklist | FieldType::Boolean)) = target.ftype
        {
            return Err(self.invalid_operator(left.span(), ftype));
        }
        let right = self.value(&target, right, left.span())?;
        Ok(Condition::Compare {
            left: operand,
            op: comparison(op),
            right,
        })
    }

    /// `field LIKE 'pattern'`: a text field (not a function) and a string pattern.
    fn like(
        &self,
        scope: &Scope,
        cx: CondCtx<'_>,
        left: &ast::Expr,
        pattern: &ast::Literal,
    ) -> Result<Condition, SoqlError> {
        let (operand, target) = self.condition_operand(scope, left, cx)?;
        let Operand::Field(path) = operand else {
            return Err(self.err(
                left.span(),
                INVALID_QUERY_FILTER_OPERATOR,
                "invalid operator on function",
            ));
        };
        if !likeable(path.field.ftype) {
            return Err(self.invalid_operator(left.span(), path.field.ftype));
        }
        let ast::LiteralKind::String(raw) = &pattern.kind else {
            return Err(self.mismatch(&target, left.span(), Expect::Text));
        };
        Ok(Condition::Like {
            left: path,
            pattern: lexer::decode_like(raw),
        })
    }

    /// `left [NOT] IN (literal, …)`: each literal typed like a comparison's.
    fn in_list(
        &self,
        scope: &Scope,
        cx: CondCtx<'_>,
        left: &ast::Expr,
        negated: bool,
        values: &[ast::Literal],
    ) -> Result<Condition, SoqlError> {
        let (operand, target) = self.condition_operand(scope, left, cx)?;
        let values = values
            .iter()
            .map(|v| self.value(&target, v, left.span()))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Condition::In {
            left: operand,
            negated,
            values,
        })
    }

    /// `field INCLUDES|EXCLUDES ('a;b', 'c')` on a multi-picklist: each string is a `;`-separated set of
    /// values (trimmed, empty ones dropped).
    fn includes(
        &self,
        scope: &Scope,
        cx: CondCtx<'_>,
        left: &ast::Expr,
        negated: bool,
        values: &[ast::Literal],
    ) -> Result<Condition, SoqlError> {
        let (operand, target) = self.condition_operand(scope, left, cx)?;
        let path = match operand {
            Operand::Field(path) if path.field.ftype == FieldType::MultiPicklist => path,
            _ => {
                return Err(self.err(
                    left.span(),
                    INVALID_QUERY_FILTER_OPERATOR,
                    "includes or excludes operator only valid on multipicklist field",
                ));
            }
        };
        let sets = values
            .iter()
            .map(|v| match &v.kind {
                ast::LiteralKind::String(raw) => Ok(lexer::decode(raw)
                    .split(';')
                    .map(|s| s.trim().to_owned())
                    .filter(|s| !s.is_empty())
                    .collect()),
                _ => Err(self.mismatch(&target, left.span(), Expect::Text)),
            })
            .collect::<Result<Vec<Vec<String>>, _>>()?;
        Ok(Condition::Includes {
            left: path,
            negated,
            sets,
        })
    }

    /// Binds the left side of a condition and says what its literals must be. In HAVING it must be an
    /// aggregate or one of the GROUP BY keys.
    fn condition_operand(
        &self,
        scope: &Scope,
        expr: &ast::Expr,
        cx: CondCtx<'_>,
    ) -> Result<(Operand, Target), SoqlError> {
        let operand = self.operand(scope, expr, cx.clause)?;
        if cx.clause == Clause::Having
            && !matches!(operand, Operand::Aggregate(..))
            && !cx.groups.iter().any(|g| same_key(g, &operand))
        {
            return Err(self.err(
                expr.span(),
                MALFORMED_QUERY,
                format!("Field must be grouped or aggregated: {}", expr.text()),
            ));
        }
        let target = Target::of(&operand);
        Ok((operand, target))
    }

    fn invalid_operator(&self, span: Span, ftype: FieldType) -> SoqlError {
        self.err(
            span,
            INVALID_QUERY_FILTER_OPERATOR,
            format!("invalid operator on {} field", ftype.name()),
        )
    }
}

fn comparison(op: ast::CompareOp) -> ComparisonOp {
    match op {
        ast::CompareOp::Eq => ComparisonOp::Eq,
        ast::CompareOp::Ne => ComparisonOp::Ne,
        ast::CompareOp::Lt => ComparisonOp::Lt,
        ast::CompareOp::Le => ComparisonOp::Le,
        ast::CompareOp::Gt => ComparisonOp::Gt,
        ast::CompareOp::Ge => ComparisonOp::Ge,
    }
}
