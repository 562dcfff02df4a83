//! Text functions (§3.5, §3.7): TEXT, VALUE, ISNUMBER, LEN, LEFT, RIGHT, MID, UPPER, LOWER, TRIM,
//! CONTAINS, BEGINS, FIND, SUBSTITUTE, REGEX. Positions and lengths count characters; comparisons are
//! case-sensitive. Results borrow or trim their input in place where they can.

use super::value::V;
use super::{Eval, arg, convert};
use crate::error::EvalError;
use crate::func::Func;
use crate::typed::TExpr;
use regex::{Regex, RegexBuilder};
use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashMap;

/// Compiled REGEX() patterns per thread: a rule's pattern is compiled once, not per row.
const REGEX_CACHE_SIZE: usize = 64;
/// A pattern's compiled size bound: a hostile pattern is an error, not a memory spike.
const REGEX_SIZE_LIMIT: usize = 1 << 21;

thread_local! {
    static REGEXES: RefCell<HashMap<String, Regex>> = RefCell::new(HashMap::new());
}

/// The byte offset of character `n` (0-based) in `t`, or `t.len()` past the end.
fn char_offset(t: &str, n: usize) -> usize {
    t.char_indices().nth(n).map_or(t.len(), |(i, _)| i)
}

/// `t[start..end]` without copying: a borrowed slice, or the owned text cut in place.
fn slice(t: Cow<'_, str>, start: usize, end: usize) -> Cow<'_, str> {
    match t {
        Cow::Borrowed(s) => Cow::Borrowed(&s[start..end]),
        Cow::Owned(mut s) => {
            s.truncate(end);
            s.replace_range(..start, "");
            Cow::Owned(s)
        }
    }
}

/// A count argument as a whole number of characters (`None`: blank).
fn count(x: Option<f64>) -> Option<i64> {
    x.map(|x| x.trunc().clamp(-1.0e15, 1.0e15) as i64)
}

impl<'f> Eval<'f, '_> {
    /// `TEXT(x)`: see [`convert::render`].
    pub(super) fn text_of(&self, args: &'f [TExpr]) -> Result<V<'f>, EvalError> {
        Ok(match self.eval(arg(Func::Text, args, 0)?)? {
            V::Text(t) => V::Text(t),
            V::Null => V::Null,
            V::Num(x) => V::Text(Cow::Owned(convert::number(x))),
            other => {
                convert::render(&other.into_fvalue()).map_or(V::Null, |t| V::Text(Cow::Owned(t)))
            }
        })
    }

    /// `VALUE(t)`: the number; blank gives blank; anything but `-digits.digits` is a runtime error.
    pub(super) fn value_of(&self, args: &'f [TExpr]) -> Result<V<'f>, EvalError> {
        let t = self.text(arg(Func::Value, args, 0)?)?;
        if t.is_empty() {
            return Ok(V::Null);
        }
        convert::strict_number(&t)
            .map(V::Num)
            .ok_or_else(|| EvalError(format!("The value '{t}' is not a valid number.")))
    }

    /// `ISNUMBER(t)`: whether `VALUE(t)` would give a number.
    pub(super) fn is_number(&self, args: &'f [TExpr]) -> Result<V<'f>, EvalError> {
        let t = self.text(arg(Func::IsNumber, args, 0)?)?;
        Ok(V::Bool(convert::strict_number(&t).is_some()))
    }

    /// `LEN(t)`: characters; blank is 0.
    pub(super) fn len(&self, args: &'f [TExpr]) -> Result<V<'f>, EvalError> {
        let t = self.text(arg(Func::Len, args, 0)?)?;
        Ok(V::Num(t.chars().count() as f64))
    }

    /// `LEFT(t, n)` / `RIGHT(t, n)`: n <= 0 gives blank, n past the length the whole text.
    pub(super) fn left_right(&self, func: Func, args: &'f [TExpr]) -> Result<V<'f>, EvalError> {
        let t = self.text(arg(func, args, 0)?)?;
        let Some(n) = count(self.num(arg(func, args, 1)?)?) else {
            return Ok(V::Null);
        };
        if n <= 0 || t.is_empty() {
            return Ok(V::Null);
        }
        let n = n as usize;
        let (start, end) = if func == Func::Left {
            (0, char_offset(&t, n))
        } else {
            let chars = t.chars().count();
            (char_offset(&t, chars.saturating_sub(n)), t.len())
        };
        Ok(V::Text(slice(t, start, end)))
    }

    /// `MID(t, start, n)`: 1-based; start below 1 reads as 1; start past the end or n < 0 gives blank.
    pub(super) fn mid(&self, args: &'f [TExpr]) -> Result<V<'f>, EvalError> {
        let t = self.text(arg(Func::Mid, args, 0)?)?;
        let (Some(start), Some(n)) = (
            count(self.num(arg(Func::Mid, args, 1)?)?),
            count(self.num(arg(Func::Mid, args, 2)?)?),
        ) else {
            return Ok(V::Null);
        };
        if n <= 0 || t.is_empty() {
            return Ok(V::Null);
        }
        let first = (start.max(1) - 1) as usize;
        let from = char_offset(&t, first);
        let to = from + char_offset(&t[from..], n as usize);
        Ok(V::Text(slice(t, from, to)))
    }

    /// `UPPER(t)` / `LOWER(t)`: full Unicode case mapping (`große` -> `GROSSE`).
    pub(super) fn change_case(&self, func: Func, args: &'f [TExpr]) -> Result<V<'f>, EvalError> {
        let t = self.text(arg(func, args, 0)?)?;
        let changed = if func == Func::Upper {
            t.to_uppercase()
        } else {
            t.to_lowercase()
        };
        Ok(V::Text(Cow::Owned(changed)))
    }

    /// `TRIM(t)`: leading and trailing spaces (and control characters, as Java's `trim`) removed.
    pub(super) fn trim(&self, args: &'f [TExpr]) -> Result<V<'f>, EvalError> {
        let t = self.text(arg(Func::Trim, args, 0)?)?;
        let is_space = |c: char| c <= ' ';
        let start = t.len() - t.trim_start_matches(is_space).len();
        let end = t.trim_end_matches(is_space).len().max(start);
        Ok(V::Text(slice(t, start, end)))
    }

    /// `CONTAINS(t, s)` / `BEGINS(t, s)`: case-sensitive; `s` blank is TRUE; `t` blank (`s` not) is null.
    pub(super) fn contains_begins(
        &self,
        func: Func,
        args: &'f [TExpr],
    ) -> Result<V<'f>, EvalError> {
        let t = self.text(arg(func, args, 0)?)?;
        let s = self.text(arg(func, args, 1)?)?;
        if s.is_empty() {
            return Ok(V::Bool(true));
        }
        if t.is_empty() {
            return Ok(V::Null);
        }
        Ok(V::Bool(if func == Func::Contains {
            t.contains(&*s)
        } else {
            t.starts_with(&*s)
        }))
    }

    /// `FIND(s, t [, start])`: the 1-based character position of `s` in `t` from `start` (below 1 reads
    /// as 1); 0 when absent or either text is blank.
    pub(super) fn find(&self, args: &'f [TExpr]) -> Result<V<'f>, EvalError> {
        let s = self.text(arg(Func::Find, args, 0)?)?;
        let t = self.text(arg(Func::Find, args, 1)?)?;
        let start = match args.get(2) {
            Some(e) => count(self.num(e)?).unwrap_or(1),
            None => 1,
        };
        if s.is_empty() || t.is_empty() {
            return Ok(V::Num(0.0));
        }
        let skip = (start.max(1) - 1) as usize;
        if skip > 0 && t.chars().nth(skip - 1).is_none() {
            return Ok(V::Num(0.0));
        }
        let from = char_offset(&t, skip);
        let found = t[from..]
            .find(&*s)
            .map_or(0, |at| skip + t[from..from + at].chars().count() + 1);
        Ok(V::Num(found as f64))
    }

    /// `SUBSTITUTE(t, old, new)`: every occurrence replaced; `t` or `old` blank gives blank (FE: null in,
    /// null out); `new` blank removes.
    pub(super) fn substitute(&self, args: &'f [TExpr]) -> Result<V<'f>, EvalError> {
        let t = self.text(arg(Func::Substitute, args, 0)?)?;
        let old = self.text(arg(Func::Substitute, args, 1)?)?;
        let new = self.text(arg(Func::Substitute, args, 2)?)?;
        if t.is_empty() || old.is_empty() {
            return Ok(V::Null);
        }
        if !t.contains(&*old) {
            return Ok(V::Text(t));
        }
        Ok(V::Text(Cow::Owned(t.replace(&*old, &new))))
    }

    /// `REGEX(t, re)`: whether the pattern matches the whole text (blank text reads as `""`, a blank
    /// pattern matches only blank text); an invalid pattern is a runtime error. Java syntax as far as the
    /// `regex` crate shares it (no look-around or back-references: those are errors).
    pub(super) fn regex(&self, args: &'f [TExpr]) -> Result<V<'f>, EvalError> {
        let t = self.text(arg(Func::Regex, args, 0)?)?;
        let pattern = self.text(arg(Func::Regex, args, 1)?)?;
        REGEXES.with(|cache| {
            let mut cache = cache.borrow_mut();
            if let Some(re) = cache.get(&*pattern) {
                return Ok(V::Bool(re.is_match(&t)));
            }
            let re = RegexBuilder::new(&format!(r"\A(?:{pattern})\z"))
                .size_limit(REGEX_SIZE_LIMIT)
                .build()
                .map_err(|e| EvalError(format!("Invalid regular expression '{pattern}': {e}")))?;
            let matched = re.is_match(&t);
            if cache.len() >= REGEX_CACHE_SIZE {
                cache.clear();
            }
            cache.insert(pattern.into_owned(), re);
            Ok(V::Bool(matched))
        })
    }
}
