//! IF, CASE, AND, OR, the blank tests, picklists and prior values (§3.4, §3.5, §3.7).

use super::value::V;
use super::{Eval, arg, operators, text_like};
use crate::error::EvalError;
use crate::func::Func;
use crate::typed::{TExpr, TKind};
use crate::types::FValue;

impl<'f> Eval<'f, '_> {
    /// `AND(...)` / `&&`: FALSE at the first argument that is false or null; later ones are not evaluated.
    pub(super) fn all(&self, args: impl IntoIterator<Item = &'f TExpr>) -> Result<bool, EvalError> {
        for a in args {
            if self.boolean(a)? != Some(true) {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// `OR(...)` / `||`: TRUE at the first true argument; null counts as false.
    pub(super) fn any(&self, args: impl IntoIterator<Item = &'f TExpr>) -> Result<bool, EvalError> {
        for a in args {
            if self.boolean(a)? == Some(true) {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// `IF(c, a, b)`: only the branch taken is evaluated; a null condition takes `b`.
    pub(super) fn if_(&self, args: &'f [TExpr]) -> Result<V<'f>, EvalError> {
        if self.boolean(arg(Func::If, args, 0)?)? == Some(true) {
            self.eval(arg(Func::If, args, 1)?)
        } else {
            args.get(2).map_or(Ok(V::Null), |b| self.eval(b))
        }
    }

    /// `CASE(e, v1, r1, ..., else)`: the first `v` equal to `e` (as `=` compares) gives its `r`; otherwise
    /// `else`. Only the chosen result is evaluated, values up to the match.
    pub(super) fn case(&self, args: &'f [TExpr]) -> Result<V<'f>, EvalError> {
        let subject_expr = arg(Func::Case, args, 0)?;
        let subject = self.eval(subject_expr)?;
        let rest = &args[1..];
        let pairs = rest.len() / 2;
        for pair in rest.chunks_exact(2).take(pairs) {
            let candidate = &pair[0];
            let text = text_like(subject_expr.ty) || text_like(candidate.ty);
            let value = self.eval(candidate)?;
            if operators::equal(&subject, &value, text)? == Some(true) {
                return self.eval(&pair[1]);
            }
        }
        if rest.len() % 2 == 1 {
            self.eval(&rest[rest.len() - 1])
        } else {
            Ok(V::Null)
        }
    }

    /// `ISNULL(x)`: legacy; text (and picklists) are never null, so it is FALSE for them (§3.4).
    pub(super) fn is_null(&self, args: &'f [TExpr]) -> Result<V<'f>, EvalError> {
        let x = arg(Func::IsNull, args, 0)?;
        let v = self.eval(x)?;
        Ok(V::Bool(!text_like(x.ty) && matches!(v, V::Null)))
    }

    /// `BLANKVALUE(x, s)`: `x` unless blank, else `s` (evaluated only then).
    pub(super) fn blank_value(&self, args: &'f [TExpr]) -> Result<V<'f>, EvalError> {
        let v = self.eval(arg(Func::BlankValue, args, 0)?)?;
        if v.is_blank() {
            self.eval(arg(Func::BlankValue, args, 1)?)
        } else {
            Ok(v)
        }
    }

    /// `NULLVALUE(x, s)`: `x` unless null, else `s`; text is never null, so a blank text `x` stays blank.
    pub(super) fn null_value(&self, args: &'f [TExpr]) -> Result<V<'f>, EvalError> {
        let x = arg(Func::NullValue, args, 0)?;
        let v = self.eval(x)?;
        if !text_like(x.ty) && matches!(v, V::Null) {
            self.eval(arg(Func::NullValue, args, 1)?)
        } else {
            Ok(v)
        }
    }

    /// `ISPICKVAL(p, "v")`: the picklist's API value is `v` (`ISPICKVAL(p, "")` tests blank).
    pub(super) fn is_pickval(&self, args: &'f [TExpr]) -> Result<V<'f>, EvalError> {
        let value = self.text(arg(Func::IsPickval, args, 0)?)?;
        let wanted = self.text(arg(Func::IsPickval, args, 1)?)?;
        Ok(V::Bool(value == wanted))
    }

    /// `INCLUDES(mp, "v")`: `v` is one of the `;`-separated selected values.
    pub(super) fn includes(&self, args: &'f [TExpr]) -> Result<V<'f>, EvalError> {
        let selected = self.text(arg(Func::Includes, args, 0)?)?;
        let wanted = self.text(arg(Func::Includes, args, 1)?)?;
        Ok(V::Bool(
            !wanted.is_empty() && selected.split(';').any(|v| v == wanted),
        ))
    }

    /// The field index an `ISCHANGED`/`PRIORVALUE` argument names (the checker lets only fields in).
    fn prior_field(&self, func: Func, args: &'f [TExpr]) -> Result<usize, EvalError> {
        match arg(func, args, 0)?.kind {
            TKind::Field(i) => Ok(i),
            _ => Err(EvalError(format!(
                "function '{}()' takes a field",
                func.name()
            ))),
        }
    }

    /// `ISCHANGED(f)`: FALSE on insert; TRUE when the saved value differs from the stored one (blank to a
    /// value counts; blank text and null are the same).
    pub(super) fn is_changed(&self, args: &'f [TExpr]) -> Result<V<'f>, EvalError> {
        let i = self.prior_field(Func::IsChanged, args)?;
        if self.row.is_new() {
            return Ok(V::Bool(false));
        }
        let field = self.field_ref(i)?;
        let Some(prior) = self.row.prior(i, field) else {
            return Ok(V::Bool(false));
        };
        let current = self.row.field(i, field);
        Ok(V::Bool(!same(&prior, &current)))
    }

    /// `PRIORVALUE(f)`: the stored value; on insert, the current one.
    pub(super) fn prior_value(&self, args: &'f [TExpr]) -> Result<V<'f>, EvalError> {
        let i = self.prior_field(Func::PriorValue, args)?;
        let field = self.field_ref(i)?;
        if self.row.is_new() {
            return self.field(i);
        }
        match self.row.prior(i, field) {
            Some(prior) => Ok(self.substitute_blank(V::owned(prior), field.ty)),
            None => self.field(i),
        }
    }
}

/// Whether two stored values are the same for `ISCHANGED` (blank text is null; numbers as decimals).
fn same(a: &FValue, b: &FValue) -> bool {
    match (a, b) {
        (FValue::Number(x), FValue::Number(y)) => {
            operators::compare_numbers(*x, *y) == std::cmp::Ordering::Equal
        }
        _ => (a.is_blank() && b.is_blank()) || a == b,
    }
}
