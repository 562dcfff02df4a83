//! Values as text and text as values: `TEXT()`'s rendering (§3.7), `VALUE()`'s strict number syntax, the
//! date and date/time texts `DATEVALUE`/`DATETIMEVALUE` read (GMT, §3.6), and the lenient reading of stored
//! field text by type that [`FValue::from_text`] offers writers.

use crate::error::EvalError;
use crate::types::{FType, FValue};
use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};

/// `TEXT(x)`: numbers as plain decimals (no grouping, no exponent, trailing zeros stripped), dates
/// `YYYY-MM-DD`, date/times `YYYY-MM-DD HH:MM:SSZ` in GMT, times `HH:MM:SS.mmm`; `None` for blank.
pub(crate) fn render(v: &FValue) -> Option<String> {
    match v {
        FValue::Null => None,
        FValue::Text(t) if t.is_empty() => None,
        FValue::Text(t) => Some(t.clone()),
        FValue::Number(x) => Some(number(*x)),
        FValue::Boolean(b) => Some(if *b { "true" } else { "false" }.to_string()),
        FValue::Date(d) => Some(d.format("%Y-%m-%d").to_string()),
        FValue::DateTime(t) => Some(t.format("%Y-%m-%d %H:%M:%SZ").to_string()),
        FValue::Time(t) => Some(t.format("%H:%M:%S%.3f").to_string()),
    }
}

/// A number as Salesforce's TEXT() writes it: `1.50` -> `1.5`, `1234567890.0` -> `1234567890`. Doubles
/// are cut to 15 significant digits first, so binary noise (`0.1 + 0.2`) reads as the decimal (`0.3`).
pub(crate) fn number(x: f64) -> String {
    if x == 0.0 || !x.is_finite() {
        return "0".to_string();
    }
    let scientific = format!("{:.14e}", x.abs());
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((&scientific, "0"));
    let exponent: i64 = exponent.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let digits = digits.trim_end_matches('0');
    if digits.is_empty() {
        return "0".to_string();
    }
    // Digits before the decimal point.
    let point = exponent + 1;
    let len = digits.len() as i64;
    let mut out = String::with_capacity(digits.len() + 24);
    if x < 0.0 {
        out.push('-');
    }
    if point <= 0 {
        out.push_str("0.");
        out.extend(std::iter::repeat_n('0', (-point) as usize));
        out.push_str(digits);
    } else if point >= len {
        out.push_str(digits);
        out.extend(std::iter::repeat_n('0', (point - len) as usize));
    } else {
        let (int, frac) = digits.split_at(point as usize);
        out.push_str(int);
        out.push('.');
        out.push_str(frac);
    }
    out
}

/// `VALUE(t)`: an optional `-`, digits, and an optional `.` with digits; anything else is not a number
/// (`--1`, `1-2`, `.`, `1..1`, §3.7).
pub(crate) fn strict_number(t: &str) -> Option<f64> {
    let body = t.strip_prefix('-').unwrap_or(t);
    let (int, frac) = match body.split_once('.') {
        Some((int, frac)) => (int, Some(frac)),
        None => (body, None),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(int) || frac.is_some_and(|f| !digits(f)) {
        return None;
    }
    t.parse::<f64>().ok().filter(|x| x.is_finite())
}

/// `YYYY-M-D` (a four-digit year, month and day of one or two digits) at the start of `t`, and the rest.
fn date_prefix(t: &str) -> Option<(NaiveDate, &str)> {
    let b = t.as_bytes();
    if b.len() < 8 || !b[..4].iter().all(u8::is_ascii_digit) || b[4] != b'-' {
        return None;
    }
    let year: i32 = t[..4].parse().ok()?;
    let (month, rest) = small_number(&t[5..])?;
    let rest = rest.strip_prefix('-')?;
    let (day, rest) = small_number(rest)?;
    Some((NaiveDate::from_ymd_opt(year, month, day)?, rest))
}

/// One or two digits at the start of `t`.
fn small_number(t: &str) -> Option<(u32, &str)> {
    let n = t.bytes().take(2).take_while(u8::is_ascii_digit).count();
    if n == 0 {
        return None;
    }
    Some((t[..n].parse().ok()?, &t[n..]))
}

/// `H:MM:SS` (hour of one or two digits), optional `.fff`, optional `Z`.
fn time_text(t: &str) -> Option<NaiveTime> {
    let t = t.strip_suffix('Z').unwrap_or(t);
    let (hour, rest) = small_number(t)?;
    let rest = rest.strip_prefix(':')?;
    let (minute, rest) = two_digits(rest)?;
    let rest = rest.strip_prefix(':')?;
    let (second, rest) = two_digits(rest)?;
    let milli = match rest {
        "" => 0,
        frac => {
            let frac = frac.strip_prefix('.')?;
            if frac.is_empty() || frac.len() > 9 || !frac.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            let padded = format!("{frac:0<3}");
            padded[..3].parse().ok()?
        }
    };
    NaiveTime::from_hms_milli_opt(hour, minute, second, milli)
}

fn two_digits(t: &str) -> Option<(u32, &str)> {
    let b = t.as_bytes();
    if b.len() < 2 || !b[0].is_ascii_digit() || !b[1].is_ascii_digit() {
        return None;
    }
    Some((t[..2].parse().ok()?, &t[2..]))
}

/// `DATEVALUE(t)`: a date text, or a date/time text whose GMT date is taken.
pub(crate) fn date_text(t: &str) -> Option<NaiveDate> {
    let (date, rest) = date_prefix(t)?;
    if rest.is_empty() {
        return Some(date);
    }
    datetime_text(t).map(|d| d.date_naive())
}

/// `DATETIMEVALUE(t)`: `YYYY-M-D H:MM:SS` (or with `T`, milliseconds, `Z`) read as GMT; a date alone is
/// its midnight.
pub(crate) fn datetime_text(t: &str) -> Option<DateTime<Utc>> {
    let (date, rest) = date_prefix(t)?;
    if rest.is_empty() {
        return Some(NaiveDateTime::from(date).and_utc());
    }
    let rest = rest.strip_prefix(' ').or_else(|| rest.strip_prefix('T'))?;
    Some(date.and_time(time_text(rest)?).and_utc())
}

/// Stored text read as a value of `ty` (what a writer holds for a field): numbers in any decimal or
/// exponent form, booleans `true`/`false`/`1`/`0`, ISO dates, date/times with an offset or `Z`, times.
pub(crate) fn parse_value(ty: FType, t: &str) -> Result<FValue, EvalError> {
    if t.is_empty() {
        return Ok(FValue::Null);
    }
    let invalid = || {
        EvalError(format!(
            "The value '{t}' is not a valid {}.",
            type_label(ty)
        ))
    };
    let v = match ty {
        FType::Null => FValue::Null,
        FType::Text | FType::Picklist | FType::MultiPicklist => FValue::Text(t.to_string()),
        FType::Number => {
            let trimmed = t.trim();
            let ok = trimmed
                .bytes()
                .all(|b| b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.' | b'e' | b'E'));
            FValue::Number(
                trimmed
                    .parse::<f64>()
                    .ok()
                    .filter(|x| ok && x.is_finite())
                    .ok_or_else(invalid)?,
            )
        }
        FType::Boolean => match t.trim().to_ascii_lowercase().as_str() {
            "true" | "1" => FValue::Boolean(true),
            "false" | "0" => FValue::Boolean(false),
            _ => return Err(invalid()),
        },
        FType::Date => FValue::Date(date_text(t.trim()).ok_or_else(invalid)?),
        FType::DateTime => FValue::DateTime(
            DateTime::parse_from_rfc3339(t.trim())
                .map(|d| d.with_timezone(&Utc))
                .ok()
                .or_else(|| {
                    DateTime::parse_from_str(t.trim(), "%Y-%m-%dT%H:%M:%S%.f%z")
                        .ok()
                        .map(|d| d.with_timezone(&Utc))
                })
                .or_else(|| datetime_text(t.trim()))
                .ok_or_else(invalid)?,
        ),
        FType::Time => FValue::Time(time_text(t.trim()).ok_or_else(invalid)?),
    };
    Ok(v)
}

fn type_label(ty: FType) -> &'static str {
    match ty {
        FType::Number => "number",
        FType::Boolean => "boolean",
        FType::Date => "date",
        FType::DateTime => "date/time",
        FType::Time => "time",
        _ => "value",
    }
}
