//! The types binary operators take and give (§3.3 and §3.6 of the org-metadata spec): numbers with numbers,
//! `+` also on two texts, dates and times with a number of days (of milliseconds for Time), a date less a
//! date is a number, comparisons of two values of one type, `&&`/`||` on booleans.

use super::{Checker, type_name};
use crate::ast::BinaryOp;
use crate::error::FormulaError;
use crate::typed::TExpr;
use crate::types::FType;

use FType::{Boolean, Date, DateTime, Null, Number, Text, Time};

impl Checker<'_> {
    /// The type of `left op right`, or the message for the first operand that does not fit.
    pub(super) fn binary_type(
        &self,
        op: BinaryOp,
        left: &TExpr,
        right: &TExpr,
    ) -> Result<FType, FormulaError> {
        let ctx = format!("operator '{}'", op.symbol());
        let ctx = ctx.as_str();
        match op {
            BinaryOp::And | BinaryOp::Or => {
                self.expect(ctx, left, &[Boolean])?;
                self.expect(ctx, right, &[Boolean])?;
                Ok(Boolean)
            }
            BinaryOp::Multiply | BinaryOp::Divide | BinaryOp::Power => {
                self.expect(ctx, left, &[Number])?;
                self.expect(ctx, right, &[Number])?;
                Ok(Number)
            }
            BinaryOp::Concat => {
                self.expect(ctx, left, &[Text])?;
                self.expect(ctx, right, &[Text])?;
                Ok(Text)
            }
            BinaryOp::Add => self.add(ctx, left, right),
            BinaryOp::Subtract => self.subtract(ctx, left, right),
            BinaryOp::Equal | BinaryOp::NotEqual => {
                self.same_type(
                    ctx,
                    left,
                    right,
                    &[Number, Text, Boolean, Date, DateTime, Time],
                )?;
                Ok(Boolean)
            }
            BinaryOp::Less | BinaryOp::LessEqual | BinaryOp::Greater | BinaryOp::GreaterEqual => {
                self.same_type(ctx, left, right, &[Number, Text, Date, DateTime, Time])?;
                Ok(Boolean)
            }
        }
    }

    /// `+`: numbers, two texts (concatenation), a date, date/time or time and a number (either side).
    fn add(&self, ctx: &str, left: &TExpr, right: &TExpr) -> Result<FType, FormulaError> {
        self.expect_shown(ctx, left, &[Number, Text, Date, DateTime, Time], "Number")?;
        let (accepted, shown): (&[FType], FType) = match left.ty {
            Number => (&[Number, Date, DateTime, Time], Number),
            Text => (&[Text], Text),
            Date | DateTime | Time => (&[Number], Number),
            _ => (&[Number, Text, Date, DateTime, Time], Number),
        };
        self.expect_shown(ctx, right, accepted, type_name(shown))?;
        Ok(match (left.ty, right.ty) {
            (Null, Null) => Null,
            (Number | Null, other @ (Date | DateTime | Time | Text)) => other,
            (Null, Number) => Number,
            (ty, _) => ty,
        })
    }

    /// `-`: numbers; a date, date/time or time less a number (same type) or less one of its own type
    /// (a number: days, or milliseconds for times).
    fn subtract(&self, ctx: &str, left: &TExpr, right: &TExpr) -> Result<FType, FormulaError> {
        self.expect_shown(ctx, left, &[Number, Date, DateTime, Time], "Number")?;
        let accepted: &[FType] = match left.ty {
            Date => &[Number, Date],
            DateTime => &[Number, DateTime],
            Time => &[Number, Time],
            Null => &[Number, Date, DateTime, Time],
            _ => &[Number],
        };
        self.expect_shown(ctx, right, accepted, "Number")?;
        Ok(match (left.ty, right.ty) {
            (Date | DateTime | Time, Number | Null) => left.ty,
            (Null, Null) => Null,
            _ => Number,
        })
    }

    /// Comparisons: both operands of one of `accepted`, the same on both sides (a `NULL` fits either).
    fn same_type(
        &self,
        ctx: &str,
        left: &TExpr,
        right: &TExpr,
        accepted: &[FType],
    ) -> Result<(), FormulaError> {
        let shown = if accepted.contains(&right.ty) {
            right.ty
        } else {
            Number
        };
        self.expect_shown(ctx, left, accepted, type_name(shown))?;
        if left.ty == Null {
            self.expect_shown(ctx, right, accepted, "Number")
        } else {
            self.expect(ctx, right, &[left.ty])
        }
    }
}
