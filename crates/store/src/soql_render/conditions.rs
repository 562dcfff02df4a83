//! WHERE and HAVING conditions with SOQL's logic: two-valued (`NOT` of a comparison with null is true),
//! `!=` / `NOT IN` / `EXCLUDES` keep the rows whose value is null, date literals are ranges.

use super::dangling_escape;
use super::select::{Renderer, TextKind, text_kind};
use crate::{Result, StoreError};
use bulkforce_soql::bound::{
    ComparisonOp, Condition, DateRange, FieldPath, Literal, Operand, Query, Value as BoundValue,
};

impl Renderer<'_> {
    pub(super) fn condition(&mut self, condition: &Condition) -> Result<String> {
        match condition {
            Condition::And(parts) => self.join_conditions(parts, " AND "),
            Condition::Or(parts) => self.join_conditions(parts, " OR "),
            // SOQL logic has two values: a comparison with null is false, so NOT of it is true.
            Condition::Not(inner) => {
                Ok(format!("NOT coalesce(({}), FALSE)", self.condition(inner)?))
            }
            Condition::Compare { left, op, right } => Ok(self.comparison(left, *op, right)),
            Condition::Like { left, pattern } => Ok(self.like(left, pattern)),
            Condition::In {
                left,
                negated,
                values,
            } => Ok(self.in_list(left, *negated, values)),
            Condition::InSubquery {
                left,
                negated,
                subquery,
            } => self.in_subquery(left, *negated, subquery),
            Condition::Includes {
                left,
                negated,
                sets,
            } => Ok(self.includes(left, *negated, sets)),
        }
    }

    /// `left op value`, where the value is a literal or a date range.
    fn comparison(&mut self, left: &Operand, op: ComparisonOp, right: &BoundValue) -> String {
        let kind = text_kind(left);
        let expr = self.operand(left);
        match right {
            BoundValue::Literal(literal) => self.compare(&expr, op, literal, kind),
            BoundValue::Range(range) => self.compare_range(&expr, op, range, kind),
        }
    }

    /// `LIKE`, ignoring case as Salesforce's does.
    fn like(&mut self, left: &FieldPath, pattern: &str) -> String {
        if dangling_escape(pattern) {
            return "FALSE".into();
        }
        let expr = self.column(left);
        let p = self.bind(&Literal::Text(pattern.to_owned()));
        format!("({})", self.dialect.like(&expr, &p))
    }

    /// `IN (…)` / `NOT IN (…)` over literals: nulls and date ranges become alternatives of their own, and
    /// `NOT IN` keeps the rows whose value is null.
    fn in_list(&mut self, left: &Operand, negated: bool, values: &[BoundValue]) -> String {
        let kind = text_kind(left);
        let expr = self.operand(left);
        let mut alternatives = Vec::new();
        let mut literals = Vec::new();
        for value in values {
            match value {
                BoundValue::Literal(Literal::Null) => alternatives.push(format!("{expr} IS NULL")),
                BoundValue::Literal(l) => {
                    let p = self.bind(l);
                    literals.push(match kind {
                        TextKind::Nocase => self.dialect.nocase_value(&p),
                        _ => p,
                    });
                }
                BoundValue::Range(r) => {
                    alternatives.push(self.compare_range(&expr, ComparisonOp::Eq, r, kind));
                }
            }
        }
        if !literals.is_empty() {
            let compared = match kind {
                TextKind::Nocase => self.dialect.nocase(&expr),
                _ => expr.clone(),
            };
            alternatives.push(format!("{compared} IN ({})", literals.join(", ")));
        }
        let any = if alternatives.is_empty() {
            "FALSE".to_owned()
        } else {
            alternatives.join(" OR ")
        };
        if negated {
            format!("({expr} IS NULL OR NOT ({any}))")
        } else {
            format!("({any})")
        }
    }

    /// `IN (SELECT …)` / `NOT IN (SELECT …)`: the subquery rendered one level deeper, so its aliases differ.
    fn in_subquery(&mut self, left: &FieldPath, negated: bool, subquery: &Query) -> Result<String> {
        let expr = self.column(left);
        self.depth += 1;
        let inner = self.select(subquery, false);
        self.depth -= 1;
        let inner = inner?;
        Ok(if negated {
            // NOT IN over a set holding NULL is never true in SQL; SOQL ignores the nulls.
            let set = format!("q{}_in", self.depth + 1);
            format!(
                "({expr} IS NULL OR {expr} NOT IN (SELECT c0 FROM ({inner}) AS {set} WHERE c0 IS NOT NULL))"
            )
        } else {
            format!("({expr} IN ({inner}))")
        })
    }

    /// `INCLUDES` / `EXCLUDES` on a multi-select picklist (values joined by `;`): some set has all of its
    /// values in the field.
    fn includes(&mut self, left: &FieldPath, negated: bool, sets: &[Vec<String>]) -> String {
        let expr = self.column(left);
        let mut any = Vec::new();
        for set in sets {
            let mut all = Vec::new();
            for value in set {
                let p = self.bind(&Literal::Text(format!("%;{};%", value.trim())));
                all.push(self.dialect.like(&format!("(';' || {expr} || ';')"), &p));
            }
            any.push(format!("({})", all.join(" AND ")));
        }
        let any = if any.is_empty() {
            "FALSE".to_owned()
        } else {
            any.join(" OR ")
        };
        if negated {
            format!("({expr} IS NULL OR NOT ({any}))")
        } else {
            format!("({expr} IS NOT NULL AND ({any}))")
        }
    }

    /// A chain of conditions joined by one operator, as a balanced tree of parenthesized halves: SQL
    /// engines parse `a OR b OR c …` as a left-deep tree one level per term (SQLite refuses 1,000 levels),
    /// while halves keep a chain of `n` terms `log2(n)` levels deep, so a thousand ORed conditions run.
    fn join_conditions(&mut self, parts: &[Condition], separator: &str) -> Result<String> {
        let rendered = parts
            .iter()
            .map(|p| self.condition(p))
            .collect::<Result<Vec<_>>>()?;
        if rendered.is_empty() {
            return Err(StoreError::Invalid("empty condition".into()));
        }
        Ok(balanced(&rendered, separator))
    }

    fn compare(
        &mut self,
        expr: &str,
        op: ComparisonOp,
        literal: &Literal,
        kind: TextKind,
    ) -> String {
        if *literal == Literal::Null {
            return match op {
                ComparisonOp::Ne => format!("({expr} IS NOT NULL)"),
                _ => format!("({expr} IS NULL)"),
            };
        }
        let p = self.bind(literal);
        let (left, right) = match kind {
            TextKind::Nocase => (self.dialect.nocase(expr), self.dialect.nocase_value(&p)),
            TextKind::Exact => (self.dialect.exact(expr), p),
            TextKind::NotText => (expr.to_owned(), p),
        };
        match op {
            ComparisonOp::Eq => format!("({left} = {right})"),
            ComparisonOp::Ne => format!("({expr} IS NULL OR {left} <> {right})"),
            ComparisonOp::Lt => format!("({left} < {right})"),
            ComparisonOp::Le => format!("({left} <= {right})"),
            ComparisonOp::Gt => format!("({left} > {right})"),
            ComparisonOp::Ge => format!("({left} >= {right})"),
        }
    }

    /// A comparison with a date literal's range `[start, end)`; the bounds are ISO text or dates, compared
    /// by their bytes.
    fn compare_range(
        &mut self,
        expr: &str,
        op: ComparisonOp,
        range: &DateRange,
        kind: TextKind,
    ) -> String {
        let e = match kind {
            TextKind::NotText => expr.to_owned(),
            TextKind::Nocase | TextKind::Exact => self.dialect.exact(expr),
        };
        // Bind only the bounds the comparison uses: SQLite counts every numbered parameter.
        match op {
            ComparisonOp::Eq => {
                let (start, end) = (self.bind(&range.start), self.bind(&range.end));
                format!("({e} >= {start} AND {e} < {end})")
            }
            ComparisonOp::Ne => {
                let (start, end) = (self.bind(&range.start), self.bind(&range.end));
                format!("({expr} IS NULL OR {e} < {start} OR {e} >= {end})")
            }
            ComparisonOp::Lt => format!("({e} < {})", self.bind(&range.start)),
            ComparisonOp::Le => format!("({e} < {})", self.bind(&range.end)),
            ComparisonOp::Gt => format!("({e} >= {})", self.bind(&range.end)),
            ComparisonOp::Ge => format!("({e} >= {})", self.bind(&range.start)),
        }
    }
}

/// `parts` joined by `separator` as a balanced tree of parenthesized halves (see `join_conditions`).
fn balanced(parts: &[String], separator: &str) -> String {
    match parts {
        [one] => format!("({one})"),
        [a, b] => format!("({a}{separator}{b})"),
        _ => {
            let (left, right) = parts.split_at(parts.len() / 2);
            format!(
                "({}{separator}{})",
                balanced(left, separator),
                balanced(right, separator)
            )
        }
    }
}
