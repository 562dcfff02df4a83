//! Every function's signature (§3.7 of the org-metadata spec): how many arguments, of which types, and the
//! type it gives. Picklists go only where Salesforce takes them (`ISPICKVAL`, `TEXT`, `CASE`, `ISBLANK`,
//! `ISNULL`, `ISCHANGED`, `PRIORVALUE`; multi-select picklists in `INCLUDES`); `ISNEW`, `ISCHANGED` and
//! `PRIORVALUE` only where the options allow prior values (validation rules).

use super::{Checker, type_name};
use crate::ast::Span;
use crate::error::FormulaError;
use crate::func::Func;
use crate::typed::{TExpr, TKind};
use crate::types::FType;

use FType::{Boolean, Date, DateTime, MultiPicklist, Null, Number, Picklist, Text, Time};

/// The types a value of a formula can have where any value goes (`IF`'s branches, `BLANKVALUE`).
const VALUES: &[FType] = &[Number, Text, Boolean, Date, DateTime, Time];

/// Every type, picklists included (`ISBLANK`, `ISNULL`).
const ANY: &[FType] = &[
    Number,
    Text,
    Boolean,
    Date,
    DateTime,
    Time,
    Picklist,
    MultiPicklist,
];

impl Checker<'_> {
    /// The type `func(args)` gives, after checking the arguments' count and types.
    pub(super) fn call_type(
        &mut self,
        func: Func,
        args: &[TExpr],
        span: Span,
    ) -> Result<FType, FormulaError> {
        let ctx = format!("function '{}()'", func.name());
        let ctx = ctx.as_str();
        if let Some((params, required, gives)) = fixed(func) {
            count(ctx, args.len(), required, params.len(), span)?;
            for (arg, param) in args.iter().zip(params) {
                self.expect(ctx, arg, &[*param])?;
            }
            return Ok(gives);
        }
        let arity = |min: usize, max: usize| count(ctx, args.len(), min, max, span);
        match func {
            Func::If => {
                arity(3, 3)?;
                self.expect(ctx, &args[0], &[Boolean])?;
                self.unify(ctx, &args[1..])
            }
            Func::Case => self.case(ctx, args, span),
            Func::And | Func::Or | Func::Not => {
                arity(1, if func == Func::Not { 1 } else { usize::MAX })?;
                self.all(ctx, args, &[Boolean])?;
                Ok(Boolean)
            }
            Func::IsBlank | Func::IsNull => {
                arity(1, 1)?;
                self.all(ctx, args, ANY)?;
                Ok(Boolean)
            }
            Func::BlankValue | Func::NullValue => {
                arity(2, 2)?;
                self.unify(ctx, args)
            }
            Func::IsPickval | Func::Includes => {
                arity(2, 2)?;
                let kind = if func == Func::IsPickval {
                    Picklist
                } else {
                    MultiPicklist
                };
                self.expect(ctx, &args[0], &[kind])?;
                self.expect(ctx, &args[1], &[Text])?;
                Ok(Boolean)
            }
            Func::Text => {
                arity(1, 1)?;
                self.expect(
                    ctx,
                    &args[0],
                    &[Number, Date, DateTime, Time, Picklist, Text],
                )?;
                Ok(Text)
            }
            Func::DateValue | Func::DateTimeValue => {
                arity(1, 1)?;
                self.expect(ctx, &args[0], &[Text, Date, DateTime])?;
                Ok(if func == Func::DateValue {
                    Date
                } else {
                    DateTime
                })
            }
            Func::Today | Func::Now => {
                arity(0, 0)?;
                self.uses_now = true;
                Ok(if func == Func::Today { Date } else { DateTime })
            }
            Func::AddMonths => {
                arity(2, 2)?;
                self.expect(ctx, &args[0], &[Date, DateTime])?;
                self.expect(ctx, &args[1], &[Number])?;
                Ok(if args[0].ty == DateTime {
                    DateTime
                } else {
                    Date
                })
            }
            Func::Max | Func::Min => {
                arity(1, usize::MAX)?;
                self.all(ctx, args, &[Number])?;
                Ok(Number)
            }
            _ => self.prior(ctx, func, args, span),
        }
    }

    /// `ISNEW()`, `ISCHANGED(field)`, `PRIORVALUE(field)`: only where prior values are allowed, and on a
    /// field, not any expression.
    fn prior(
        &mut self,
        ctx: &str,
        func: Func,
        args: &[TExpr],
        span: Span,
    ) -> Result<FType, FormulaError> {
        self.prior_allowed(func, span)?;
        if func == Func::IsNew {
            count(ctx, args.len(), 0, 0, span)?;
            return Ok(Boolean);
        }
        count(ctx, args.len(), 1, 1, span)?;
        let field = &args[0];
        if !matches!(field.kind, TKind::Field(_)) {
            return Err(FormulaError::at(
                field.span,
                format!(
                    "Incorrect parameter type for {ctx}. Expected Field, received {}",
                    type_name(field.ty)
                ),
            ));
        }
        Ok(if func == Func::IsChanged {
            Boolean
        } else {
            field.ty
        })
    }

    fn all(&self, ctx: &str, args: &[TExpr], accepted: &[FType]) -> Result<(), FormulaError> {
        args.iter().try_for_each(|a| self.expect(ctx, a, accepted))
    }

    /// The one type `values` share (`IF`'s branches, `CASE`'s results): the first typed one; a `NULL`
    /// fits any.
    fn unify<'a>(
        &self,
        ctx: &str,
        values: impl IntoIterator<Item = &'a TExpr>,
    ) -> Result<FType, FormulaError> {
        self.unify_from(ctx, values, Null)
    }

    /// As [`Checker::unify`], starting from `ty` (`Null`: none yet).
    fn unify_from<'a>(
        &self,
        ctx: &str,
        values: impl IntoIterator<Item = &'a TExpr>,
        mut ty: FType,
    ) -> Result<FType, FormulaError> {
        for value in values {
            if ty == Null {
                self.expect_shown(ctx, value, VALUES, "Number")?;
                ty = value.ty;
            } else {
                self.expect(ctx, value, &[ty])?;
            }
        }
        Ok(ty)
    }

    /// `CASE(expr, value1, result1, …, else)`: an even count of at least 4; values of the expression's type
    /// (text for a picklist), results of one type.
    fn case(&self, ctx: &str, args: &[TExpr], span: Span) -> Result<FType, FormulaError> {
        let n = args.len();
        if n < 4 || n % 2 == 1 {
            let expected = if n < 4 { 4 } else { n + 1 };
            return Err(count_error(ctx, expected, n, span));
        }
        let subject = &args[0];
        self.expect(
            ctx,
            subject,
            &[Number, Text, Boolean, Date, DateTime, Time, Picklist],
        )?;
        let value_type = if subject.ty == Picklist {
            Text
        } else {
            subject.ty
        };
        let pairs = &args[1..n - 1];
        self.unify_from(ctx, pairs.iter().step_by(2), value_type)?;
        self.unify(ctx, pairs.iter().skip(1).step_by(2).chain(args.last()))
    }

    fn prior_allowed(&mut self, func: Func, span: Span) -> Result<(), FormulaError> {
        if !self.options.allow_prior {
            return Err(FormulaError::at(
                span,
                format!(
                    "Function {} may not be used in this type of formula",
                    func.name()
                ),
            ));
        }
        self.uses_prior = true;
        Ok(())
    }
}

/// The functions with one fixed signature: parameter types in order, how many are required, the type
/// given.
fn fixed(func: Func) -> Option<(&'static [FType], usize, FType)> {
    Some(match func {
        Func::Value | Func::Len => (&[Text], 1, Number),
        Func::Left | Func::Right => (&[Text, Number], 2, Text),
        Func::Mid => (&[Text, Number, Number], 3, Text),
        // UPPER and LOWER take an optional locale.
        Func::Upper | Func::Lower => (&[Text, Text], 1, Text),
        Func::Trim => (&[Text], 1, Text),
        Func::Contains | Func::Begins | Func::Regex => (&[Text, Text], 2, Boolean),
        Func::Find => (&[Text, Text, Number], 2, Number),
        Func::Substitute => (&[Text, Text, Text], 3, Text),
        Func::IsNumber => (&[Text], 1, Boolean),
        Func::Date => (&[Number, Number, Number], 3, Date),
        Func::Year | Func::Month | Func::Day => (&[Date], 1, Number),
        Func::Abs | Func::Floor | Func::Ceiling => (&[Number], 1, Number),
        Func::Round | Func::Mod => (&[Number, Number], 2, Number),
        _ => return None,
    })
}

/// Checks an argument count against `min..=max`.
fn count(ctx: &str, n: usize, min: usize, max: usize, span: Span) -> Result<(), FormulaError> {
    if n < min {
        Err(count_error(ctx, min, n, span))
    } else if n > max {
        Err(count_error(ctx, max, n, span))
    } else {
        Ok(())
    }
}

fn count_error(ctx: &str, expected: usize, received: usize, span: Span) -> FormulaError {
    FormulaError::at(
        span,
        format!(
            "Incorrect number of parameters for {ctx}. Expected {expected}, received {received}"
        ),
    )
}
