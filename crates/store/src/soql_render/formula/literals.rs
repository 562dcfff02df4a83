//! Formula literals as SQL text, and the conversions of literal text (`VALUE("12")`, `DATEVALUE("…")`)
//! done while rendering: a failing conversion of a constant would otherwise fail the whole statement
//! when an engine folds it while planning.

use super::super::select::Renderer;
use super::text_literal;
use bulkforce_formula::FValue;
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};

impl Renderer<'_> {
    /// A literal inlined as SQL (no parameter: a literal inlined twice, in SELECT and GROUP BY, stays one
    /// expression to PostgreSQL).
    pub(super) fn literal(&self, value: &FValue) -> String {
        match value {
            FValue::Number(n) if n.is_finite() => self.dialect.real(&format!("{n:?}")),
            FValue::Null | FValue::Number(_) => "NULL".into(),
            FValue::Text(s) => text_literal(s),
            FValue::Boolean(b) => if *b { "TRUE" } else { "FALSE" }.into(),
            FValue::Date(d) => text_literal(&d.format("%Y-%m-%d").to_string()),
            FValue::DateTime(t) => text_literal(&bulkforce_core::value::format_datetime(t)),
            FValue::Time(t) => text_literal(&t.format("%H:%M:%S%.3fZ").to_string()),
        }
    }
}

/// The text of a literal argument (`None` when the argument is not a text literal).
pub(super) fn literal_text(value: &FValue) -> Option<&str> {
    match value {
        FValue::Text(s) => Some(s),
        _ => None,
    }
}

/// `VALUE(t)` of literal text: an optional `-`, digits, an optional `.` and digits; anything else has no
/// value (Salesforce: a runtime error).
pub(super) fn number_of(text: &str) -> Option<f64> {
    if !is_number(text) {
        return None;
    }
    text.parse().ok()
}

/// `ISNUMBER(t)`: what `VALUE` accepts.
pub(super) fn is_number(text: &str) -> bool {
    let digits = text.strip_prefix('-').unwrap_or(text);
    let (whole, fraction) = match digits.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (digits, None),
    };
    let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    all_digits(whole) && fraction.is_none_or(all_digits)
}

/// `DATEVALUE(t)` of literal text `YYYY-M-D` (four-digit year, one- or two-digit month and day).
pub(super) fn date_of(text: &str) -> Option<NaiveDate> {
    let mut parts = text.trim().splitn(3, '-');
    let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
    let ok = |s: &str, lens: std::ops::RangeInclusive<usize>| {
        lens.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
    };
    if !(ok(y, 4..=4) && ok(m, 1..=2) && ok(d, 1..=2)) {
        return None;
    }
    NaiveDate::from_ymd_opt(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?)
}

/// `DATETIMEVALUE(t)` of literal text `YYYY-M-D H:MM:SS` (read as GMT), or a date alone (midnight).
pub(super) fn datetime_of(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    let (date, time) = match text.split_once(' ') {
        Some((d, t)) => (date_of(d)?, t.trim()),
        None => (date_of(text)?, "00:00:00"),
    };
    let time = chrono::NaiveTime::parse_from_str(time, "%H:%M:%S").ok()?;
    Some(NaiveDateTime::new(date, time).and_utc())
}
