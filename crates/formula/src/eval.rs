//! Evaluation of a compiled formula against one row, with Salesforce's semantics (spec §3.3–3.7).
//!
//! The typed tree is walked directly: the checker has already resolved every name and type, so a row costs
//! no lookups. Working values ([`value::V`]) borrow text from the formula's literals, so numeric, boolean and
//! date paths allocate nothing per row; text is allocated only where a function builds new text.
//!
//! The families live in submodules: [`operators`] (unary/binary operators, comparisons, three-valued logic),
//! [`logic`] (IF, CASE, AND/OR/NOT, blank tests, picklists, prior values), [`text`], [`dates`], [`math`];
//! [`convert`] renders and parses values as TEXT/VALUE/DATEVALUE do (shared with [`FValue`]'s helpers).

mod convert;
mod dates;
mod logic;
mod math;
mod operators;
mod text;
mod value;

#[cfg(test)]
mod tests;

pub(crate) use convert::{parse_value, render};

use crate::check::Blanks;
use crate::error::EvalError;
use crate::func::Func;
use crate::typed::{FieldRef, Formula, GlobalRef, TExpr, TKind};
use crate::types::{FType, FValue};
use chrono::{DateTime, NaiveDate, Utc};
use std::borrow::Cow;
use value::V;

/// The row a formula is evaluated on, as the writer sees it.
pub trait RowSource {
    /// The value of `Formula::fields[index]` on the record as it will be saved (for a path through
    /// lookups: the parent's value, `Null` when the lookup is empty).
    fn field(&self, index: usize, field: &FieldRef) -> FValue;
    /// The stored value before this write; `None` when the record is new.
    fn prior(&self, index: usize, field: &FieldRef) -> Option<FValue>;
    /// The value of `Formula::globals[index]`.
    fn global(&self, index: usize, global: &GlobalRef) -> FValue;
    /// Whether the record is being created.
    fn is_new(&self) -> bool;
    /// The time of the write (`NOW()`; `TODAY()` is its date in UTC).
    fn now(&self) -> DateTime<Utc>;
}

impl Formula {
    /// The formula's value on `row`. Blank text comes back as `Null` (empty text and null are one value,
    /// §3.2); a condition that is null (a comparison with a blank number under `BlankAsBlank`) comes back
    /// as `Null`, which a validation rule treats as "does not fire" (§3.4).
    pub fn eval(&self, row: &dyn RowSource) -> Result<FValue, EvalError> {
        let eval = Eval { formula: self, row };
        Ok(eval.eval(&self.expr)?.into_fvalue())
    }
}

/// One evaluation: the formula and the row.
struct Eval<'f, 'r> {
    formula: &'f Formula,
    row: &'r dyn RowSource,
}

/// Whether values of `ty` are text to the language (blank text is `""`, never null: §3.4, §3.5).
fn text_like(ty: FType) -> bool {
    matches!(ty, FType::Text | FType::Picklist | FType::MultiPicklist)
}

/// The argument at `index`, or an error naming the function (the checker counts arguments, so this only
/// guards against a hand-built tree).
fn arg(func: Func, args: &[TExpr], index: usize) -> Result<&TExpr, EvalError> {
    args.get(index).ok_or_else(|| {
        EvalError(format!(
            "Incorrect number of parameters for function '{}()'",
            func.name()
        ))
    })
}

/// A value of the wrong type at run time (only a hand-built or mis-checked tree gets here).
fn type_error(what: &str, got: &V<'_>) -> EvalError {
    EvalError(format!("expected {what}, received {}", got.type_name()))
}

impl<'f> Eval<'f, '_> {
    fn eval(&self, e: &'f TExpr) -> Result<V<'f>, EvalError> {
        match &e.kind {
            TKind::Literal(v) => Ok(V::borrowed(v)),
            TKind::Field(i) => self.field(*i),
            TKind::Global(i) => {
                let global = self
                    .formula
                    .globals
                    .get(*i)
                    .ok_or_else(|| EvalError(format!("no global {i}")))?;
                let v = V::owned(self.row.global(*i, global));
                Ok(self.substitute_blank(v, global.ty))
            }
            TKind::Unary(op, x) => operators::unary(*op, self.eval(x)?),
            TKind::Binary(op, l, r) => self.binary(*op, l, r),
            TKind::Call(func, args) => self.call(*func, args),
        }
    }

    /// `Formula::fields[i]` on the row, with blank numbers read as zero under `BlankAsZero` (§3.4).
    fn field(&self, i: usize) -> Result<V<'f>, EvalError> {
        let field = self.field_ref(i)?;
        let v = V::owned(self.row.field(i, field));
        Ok(self.substitute_blank(v, field.ty))
    }

    fn field_ref(&self, i: usize) -> Result<&'f FieldRef, EvalError> {
        self.formula
            .fields
            .get(i)
            .ok_or_else(|| EvalError(format!("no field {i}")))
    }

    /// `BlankAsZero` reads a blank number (currency, percent) reference as 0; dates and text stay blank.
    fn substitute_blank(&self, v: V<'f>, ty: FType) -> V<'f> {
        match (self.formula.blanks, ty, &v) {
            (Blanks::AsZero, FType::Number, V::Null) => V::Num(0.0),
            _ => v,
        }
    }

    /// A Number argument: `None` when blank.
    fn num(&self, e: &'f TExpr) -> Result<Option<f64>, EvalError> {
        match self.eval(e)? {
            V::Null => Ok(None),
            V::Num(x) => Ok(Some(x)),
            other => Err(type_error("Number", &other)),
        }
    }

    /// A Boolean argument: `None` when null.
    fn boolean(&self, e: &'f TExpr) -> Result<Option<bool>, EvalError> {
        match self.eval(e)? {
            V::Null => Ok(None),
            V::Bool(b) => Ok(Some(b)),
            other => Err(type_error("Boolean", &other)),
        }
    }

    /// A text argument, blank as `""` (borrowed from the formula where the argument is a literal).
    fn text(&self, e: &'f TExpr) -> Result<Cow<'f, str>, EvalError> {
        match self.eval(e)? {
            V::Null => Ok(Cow::Borrowed("")),
            V::Text(t) => Ok(t),
            other => Err(type_error("Text", &other)),
        }
    }

    /// A Date argument (a Date/Time reads as its GMT date): `None` when blank.
    fn date(&self, e: &'f TExpr) -> Result<Option<NaiveDate>, EvalError> {
        match self.eval(e)? {
            V::Null => Ok(None),
            V::Date(d) => Ok(Some(d)),
            V::DateTime(t) => Ok(Some(t.date_naive())),
            other => Err(type_error("Date", &other)),
        }
    }

    fn binary(
        &self,
        op: crate::ast::BinaryOp,
        l: &'f TExpr,
        r: &'f TExpr,
    ) -> Result<V<'f>, EvalError> {
        use crate::ast::BinaryOp;
        match op {
            // `&&` / `||` short-circuit like AND()/OR() (§3.4).
            BinaryOp::And => Ok(V::Bool(self.all([l, r])?)),
            BinaryOp::Or => Ok(V::Bool(self.any([l, r])?)),
            _ => {
                let text = text_like(l.ty) || text_like(r.ty);
                operators::binary(op, self.eval(l)?, self.eval(r)?, text)
            }
        }
    }

    fn call(&self, func: Func, args: &'f [TExpr]) -> Result<V<'f>, EvalError> {
        match func {
            Func::If => self.if_(args),
            Func::Case => self.case(args),
            Func::And => Ok(V::Bool(self.all(args.iter())?)),
            Func::Or => Ok(V::Bool(self.any(args.iter())?)),
            Func::Not => {
                operators::unary(crate::ast::UnaryOp::Not, self.eval(arg(func, args, 0)?)?)
            }
            Func::IsBlank => Ok(V::Bool(self.eval(arg(func, args, 0)?)?.is_blank())),
            Func::IsNull => self.is_null(args),
            Func::BlankValue => self.blank_value(args),
            Func::NullValue => self.null_value(args),
            Func::IsPickval => self.is_pickval(args),
            Func::Includes => self.includes(args),
            Func::IsNew => Ok(V::Bool(self.row.is_new())),
            Func::IsChanged => self.is_changed(args),
            Func::PriorValue => self.prior_value(args),
            Func::Text => self.text_of(args),
            Func::Value => self.value_of(args),
            Func::IsNumber => self.is_number(args),
            Func::Len => self.len(args),
            Func::Left | Func::Right => self.left_right(func, args),
            Func::Mid => self.mid(args),
            Func::Upper | Func::Lower => self.change_case(func, args),
            Func::Trim => self.trim(args),
            Func::Contains | Func::Begins => self.contains_begins(func, args),
            Func::Find => self.find(args),
            Func::Substitute => self.substitute(args),
            Func::Regex => self.regex(args),
            Func::Date => self.date_of(args),
            Func::DateValue => self.date_value(args),
            Func::DateTimeValue => self.datetime_value(args),
            Func::Today => Ok(V::Date(self.row.now().date_naive())),
            Func::Now => Ok(V::DateTime(self.row.now())),
            Func::Year | Func::Month | Func::Day => self.date_part(func, args),
            Func::AddMonths => self.add_months(args),
            Func::Abs | Func::Floor | Func::Ceiling => self.unary_math(func, args),
            Func::Round => self.round(args),
            Func::Mod => self.modulo(args),
            Func::Max | Func::Min => self.extreme(func, args),
        }
    }
}
