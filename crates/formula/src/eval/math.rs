//! ABS, ROUND, FLOOR, CEILING, MOD, MAX, MIN (§3.7). A blank argument gives blank (§3.4).

use super::operators::{compare_numbers, finite};
use super::value::V;
use super::{Eval, arg};
use crate::error::EvalError;
use crate::func::Func;
use crate::typed::TExpr;
use std::cmp::Ordering;
use std::fmt::Write;

impl<'f> Eval<'f, '_> {
    /// `ABS(x)`; `FLOOR(x)` toward zero (`FLOOR(-2.5)` = -2); `CEILING(x)` away from zero
    /// (`CEILING(-0.4)` = -1).
    pub(super) fn unary_math(&self, func: Func, args: &'f [TExpr]) -> Result<V<'f>, EvalError> {
        let Some(x) = self.num(arg(func, args, 0)?)? else {
            return Ok(V::Null);
        };
        let y = match func {
            Func::Abs => x.abs(),
            Func::Floor => x.trunc(),
            _ => x.signum() * x.abs().ceil(),
        };
        Ok(V::Num(y))
    }

    /// `ROUND(x, n)`: half away from zero at `n` decimals, `n` may be negative.
    pub(super) fn round(&self, args: &'f [TExpr]) -> Result<V<'f>, EvalError> {
        let (Some(x), Some(n)) = (
            self.num(arg(Func::Round, args, 0)?)?,
            self.num(arg(Func::Round, args, 1)?)?,
        ) else {
            return Ok(V::Null);
        };
        Ok(V::Num(round_half_away(
            x,
            n.trunc().clamp(-400.0, 400.0) as i32,
        )))
    }

    /// `MOD(a, b)`: the remainder with the sign of `a`; `b` = 0 is a runtime error.
    pub(super) fn modulo(&self, args: &'f [TExpr]) -> Result<V<'f>, EvalError> {
        let (Some(a), Some(b)) = (
            self.num(arg(Func::Mod, args, 0)?)?,
            self.num(arg(Func::Mod, args, 1)?)?,
        ) else {
            return Ok(V::Null);
        };
        if b == 0.0 {
            return Err(EvalError("Division by zero".into()));
        }
        Ok(V::Num(finite(a % b)?))
    }

    /// `MAX(...)` / `MIN(...)`: any blank argument makes the result blank (§3.4).
    pub(super) fn extreme(&self, func: Func, args: &'f [TExpr]) -> Result<V<'f>, EvalError> {
        let want = if func == Func::Max {
            Ordering::Greater
        } else {
            Ordering::Less
        };
        let mut best: Option<f64> = None;
        for a in args {
            let Some(x) = self.num(a)? else {
                return Ok(V::Null);
            };
            if best.is_none_or(|b| compare_numbers(x, b) == want) {
                best = Some(x);
            }
        }
        Ok(best.map_or(V::Null, V::Num))
    }
}

/// Rounds `x` half away from zero at `digits` decimals on its shortest decimal form, so `20.12345` at 4
/// gives `20.1235` (the double just below ...45 would round down by arithmetic). No allocation.
pub(super) fn round_half_away(x: f64, digits: i32) -> f64 {
    if !x.is_finite() || x == 0.0 {
        return x;
    }
    let mut buf = StackText::default();
    if write!(buf, "{:e}", x.abs()).is_err() {
        return x;
    }
    let text = buf.as_str();
    let (mantissa, exponent) = text.split_once('e').unwrap_or((text, "0"));
    let Ok(exponent) = exponent.parse::<i32>() else {
        return x;
    };
    let mut mantissa_digits = [0u8; 32];
    let mut len = 0;
    for b in mantissa.bytes().filter(u8::is_ascii_digit) {
        if len < mantissa_digits.len() {
            mantissa_digits[len] = b - b'0';
            len += 1;
        }
    }
    // Digits kept: those at or above 10^-digits.
    let keep = exponent + 1 + digits;
    if keep < 0 || len == 0 {
        return 0.0;
    }
    let keep = keep as usize;
    if keep >= len {
        return x;
    }
    let mut kept: u64 = mantissa_digits[..keep]
        .iter()
        .fold(0, |acc, d| acc * 10 + u64::from(*d));
    if mantissa_digits[keep] >= 5 {
        kept += 1;
    }
    let mut out = StackText::default();
    if write!(out, "{kept}e{}", -digits).is_err() {
        return x;
    }
    let magnitude = out.as_str().parse::<f64>().unwrap_or(x.abs());
    magnitude.copysign(x)
}

/// A small text buffer on the stack for number formatting without allocation.
struct StackText {
    buf: [u8; 64],
    len: usize,
}

impl Default for StackText {
    fn default() -> Self {
        StackText {
            buf: [0; 64],
            len: 0,
        }
    }
}

impl StackText {
    fn as_str(&self) -> &str {
        std::str::from_utf8(&self.buf[..self.len]).unwrap_or("")
    }
}

impl Write for StackText {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let end = self.len + s.len();
        if end > self.buf.len() {
            return Err(std::fmt::Error);
        }
        self.buf[self.len..end].copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}
