//! Operators (§3.3): arithmetic with null propagation, `&` and text `+`, date/time arithmetic (§3.6), and
//! comparisons with three-valued logic (§3.4): a comparison with a null non-text operand is null; text
//! compares with blank as `""`, case-sensitively, by code point (§3.5).

use super::value::V;
use super::{convert, dates, type_error};
use crate::ast::{BinaryOp, UnaryOp};
use crate::error::EvalError;
use std::borrow::Cow;
use std::cmp::Ordering;

/// `-x`, `+x`, `NOT x` / `!x`; null stays null.
pub(super) fn unary<'a>(op: UnaryOp, v: V<'a>) -> Result<V<'a>, EvalError> {
    match (op, v) {
        (_, V::Null) => Ok(V::Null),
        (UnaryOp::Negate, V::Num(x)) => Ok(V::Num(-x)),
        (UnaryOp::Plus, V::Num(x)) => Ok(V::Num(x)),
        (UnaryOp::Not, V::Bool(b)) => Ok(V::Bool(!b)),
        (UnaryOp::Not, other) => Err(type_error("Boolean", &other)),
        (_, other) => Err(type_error("Number", &other)),
    }
}

/// A binary operator other than `&&`/`||` (those short-circuit in the evaluator). `text`: an operand is
/// text-typed, so blanks read as `""` and comparisons are textual.
pub(super) fn binary<'a>(op: BinaryOp, l: V<'a>, r: V<'a>, text: bool) -> Result<V<'a>, EvalError> {
    match op {
        BinaryOp::Concat => Ok(V::Text(concat(l, r))),
        BinaryOp::Add if text || matches!((&l, &r), (V::Text(_), _) | (_, V::Text(_))) => {
            Ok(V::Text(concat(l, r)))
        }
        BinaryOp::Add
        | BinaryOp::Subtract
        | BinaryOp::Multiply
        | BinaryOp::Divide
        | BinaryOp::Power => arithmetic(op, l, r),
        BinaryOp::Equal => Ok(from_option(equal(&l, &r, text)?)),
        BinaryOp::NotEqual => Ok(from_option(equal(&l, &r, text)?.map(|b| !b))),
        BinaryOp::Less => Ok(from_option(order(&l, &r, text)?.map(Ordering::is_lt))),
        BinaryOp::LessEqual => Ok(from_option(order(&l, &r, text)?.map(Ordering::is_le))),
        BinaryOp::Greater => Ok(from_option(order(&l, &r, text)?.map(Ordering::is_gt))),
        BinaryOp::GreaterEqual => Ok(from_option(order(&l, &r, text)?.map(Ordering::is_ge))),
        BinaryOp::And | BinaryOp::Or => Err(EvalError(
            "logical operators are evaluated lazily by the evaluator".into(),
        )),
    }
}

fn from_option(b: Option<bool>) -> V<'static> {
    b.map_or(V::Null, V::Bool)
}

/// `a & b`: blank reads as `""`; the left operand's buffer is reused when it owns one.
fn concat<'a>(l: V<'a>, r: V<'a>) -> Cow<'a, str> {
    let left = as_text(l);
    let right = as_text(r);
    if right.is_empty() {
        return left;
    }
    if left.is_empty() {
        return right;
    }
    let mut out = left.into_owned();
    out.push_str(&right);
    Cow::Owned(out)
}

/// A value as text for `&` (the checker gives `&` text only; other values render as TEXT() would).
fn as_text(v: V<'_>) -> Cow<'_, str> {
    match v {
        V::Null => Cow::Borrowed(""),
        V::Text(t) => t,
        other => Cow::Owned(convert::render(&other.into_fvalue()).unwrap_or_default()),
    }
}

/// `+ - * / ^` on numbers, dates, date/times and times; null in, null out.
fn arithmetic<'a>(op: BinaryOp, l: V<'a>, r: V<'a>) -> Result<V<'a>, EvalError> {
    use BinaryOp::{Add, Divide, Multiply, Power, Subtract};
    let v = match (op, l, r) {
        (_, V::Null, _) | (_, _, V::Null) => V::Null,
        (Add, V::Num(a), V::Num(b)) => V::Num(finite(a + b)?),
        (Subtract, V::Num(a), V::Num(b)) => V::Num(finite(a - b)?),
        (Multiply, V::Num(a), V::Num(b)) => V::Num(finite(a * b)?),
        (Divide, V::Num(a), V::Num(b)) => {
            if b == 0.0 {
                return Err(EvalError("Division by zero".into()));
            }
            V::Num(finite(a / b)?)
        }
        (Power, V::Num(a), V::Num(b)) => V::Num(power(a, b)?),
        (Add, V::Date(d), V::Num(n)) | (Add, V::Num(n), V::Date(d)) => {
            V::Date(dates::add_days(d, n)?)
        }
        (Subtract, V::Date(d), V::Num(n)) => V::Date(dates::add_days(d, -n)?),
        (Subtract, V::Date(a), V::Date(b)) => V::Num((a - b).num_days() as f64),
        (Add, V::DateTime(t), V::Num(n)) | (Add, V::Num(n), V::DateTime(t)) => {
            V::DateTime(dates::add_fraction_days(t, n)?)
        }
        (Subtract, V::DateTime(t), V::Num(n)) => V::DateTime(dates::add_fraction_days(t, -n)?),
        (Subtract, V::DateTime(a), V::DateTime(b)) => {
            V::Num((a - b).num_milliseconds() as f64 / dates::MS_PER_DAY as f64)
        }
        (Add, V::Time(t), V::Num(n)) | (Add, V::Num(n), V::Time(t)) => {
            V::Time(dates::add_ms(t, n)?)
        }
        (Subtract, V::Time(t), V::Num(n)) => V::Time(dates::add_ms(t, -n)?),
        (Subtract, V::Time(a), V::Time(b)) => V::Num(dates::time_difference_ms(a, b) as f64),
        (_, l, r) => {
            return Err(EvalError(format!(
                "Incorrect parameter type for operator '{}': {} and {}",
                op.symbol(),
                l.type_name(),
                r.type_name()
            )));
        }
    };
    Ok(v)
}

/// `a ^ b`: the exponent must be a whole number (`1.1111^1.1111` is a runtime error in FE, §3.7).
fn power(a: f64, b: f64) -> Result<f64, EvalError> {
    if b.fract() != 0.0 {
        return Err(EvalError(
            "The exponent of '^' must be a whole number".into(),
        ));
    }
    if a == 0.0 && b < 0.0 {
        return Err(EvalError("Division by zero".into()));
    }
    finite(a.powf(b))
}

/// A number result, or the overflow error Salesforce gives for numbers out of range.
pub(super) fn finite(x: f64) -> Result<f64, EvalError> {
    if x.is_finite() {
        Ok(x)
    } else {
        Err(EvalError("Number out of range".into()))
    }
}

/// `l = r`: `None` (null) when a non-text operand is null; text compares with blank as `""`.
pub(super) fn equal(l: &V<'_>, r: &V<'_>, text: bool) -> Result<Option<bool>, EvalError> {
    Ok(order(l, r, text)?.map(Ordering::is_eq))
}

/// How `l` orders against `r`, or `None` when the comparison is null.
fn order(l: &V<'_>, r: &V<'_>, text: bool) -> Result<Option<Ordering>, EvalError> {
    let textual = text || matches!((l, r), (V::Text(_), _) | (_, V::Text(_)));
    if textual {
        return Ok(Some(text_of(l).cmp(text_of(r))));
    }
    let ordering = match (l, r) {
        (V::Null, _) | (_, V::Null) => return Ok(None),
        (V::Num(a), V::Num(b)) => compare_numbers(*a, *b),
        (V::Bool(a), V::Bool(b)) => a.cmp(b),
        (V::Date(a), V::Date(b)) => a.cmp(b),
        (V::DateTime(a), V::DateTime(b)) => a.cmp(b),
        (V::Time(a), V::Time(b)) => a.cmp(b),
        (V::Date(a), V::DateTime(b)) => dates::midnight(*a).cmp(b),
        (V::DateTime(a), V::Date(b)) => a.cmp(&dates::midnight(*b)),
        (l, r) => {
            return Err(EvalError(format!(
                "cannot compare {} with {}",
                l.type_name(),
                r.type_name()
            )));
        }
    };
    Ok(Some(ordering))
}

/// Text of a value for comparison: blank is `""` (code-point order of UTF-8 bytes equals that of chars).
fn text_of<'v>(v: &'v V<'_>) -> &'v str {
    match v {
        V::Text(t) => t,
        _ => "",
    }
}

/// Numbers compare as the decimals Salesforce keeps: two doubles within a few units in the last place are
/// equal, so `0.1 + 0.2 = 0.3` is TRUE as it is in an org (BigDecimal arithmetic).
pub(super) fn compare_numbers(a: f64, b: f64) -> Ordering {
    let tolerance = 8.0 * f64::EPSILON * a.abs().max(b.abs());
    if (a - b).abs() <= tolerance {
        Ordering::Equal
    } else {
        a.partial_cmp(&b).unwrap_or(Ordering::Equal)
    }
}
