//! Dates, date/times and times: the arithmetic of §3.6 and DATE, DATEVALUE, DATETIMEVALUE, YEAR, MONTH,
//! DAY and ADDMONTHS (§3.7). Date/times are GMT throughout; `TODAY()` is the UTC date of the write.

use super::value::V;
use super::{Eval, arg, convert, type_error};
use crate::error::EvalError;
use crate::func::Func;
use crate::typed::TExpr;
use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, Timelike, Utc};

pub(super) const MS_PER_DAY: i64 = 86_400_000;

/// Days far beyond any valid date: a bigger offset is out of range before chrono is asked.
const MAX_DAYS: f64 = 1.0e8;

fn out_of_range() -> EvalError {
    EvalError("Date out of range".into())
}

/// `date ± n`: the fraction of `n` is dropped (`2000-02-28 + 3.6` is `2000-03-02`).
pub(super) fn add_days(d: NaiveDate, n: f64) -> Result<NaiveDate, EvalError> {
    let days = n.trunc();
    if !days.is_finite() || days.abs() >= MAX_DAYS {
        return Err(out_of_range());
    }
    d.checked_add_signed(TimeDelta::days(days as i64))
        .ok_or_else(out_of_range)
}

/// `datetime ± n`: `n` days with the fraction as part of a day (`+0.5` is twelve hours), to the millisecond.
pub(super) fn add_fraction_days(t: DateTime<Utc>, n: f64) -> Result<DateTime<Utc>, EvalError> {
    if !n.is_finite() || n.abs() >= MAX_DAYS {
        return Err(out_of_range());
    }
    let ms = (n * MS_PER_DAY as f64).round() as i64;
    t.checked_add_signed(TimeDelta::milliseconds(ms))
        .ok_or_else(out_of_range)
}

/// `time ± n`: `n` milliseconds; a result past midnight either way is a runtime error (§3.6).
pub(super) fn add_ms(t: NaiveTime, n: f64) -> Result<NaiveTime, EvalError> {
    let now = time_ms(t) as f64;
    let sum = now + n.round();
    if !(0.0..MS_PER_DAY as f64).contains(&sum) {
        return Err(EvalError("Time out of range".into()));
    }
    let sum = sum as i64;
    NaiveTime::from_hms_milli_opt(
        (sum / 3_600_000) as u32,
        (sum / 60_000 % 60) as u32,
        (sum / 1000 % 60) as u32,
        (sum % 1000) as u32,
    )
    .ok_or_else(|| EvalError("Time out of range".into()))
}

/// `a - b` for times: milliseconds wrapped into a day (`00:00:29.245 - 00:00:29.345` = 86 399 900).
pub(super) fn time_difference_ms(a: NaiveTime, b: NaiveTime) -> i64 {
    (time_ms(a) - time_ms(b)).rem_euclid(MS_PER_DAY)
}

fn time_ms(t: NaiveTime) -> i64 {
    i64::from(t.num_seconds_from_midnight()) * 1000 + i64::from(t.nanosecond() / 1_000_000)
}

/// A date's midnight in GMT (a date compared with a date/time).
pub(super) fn midnight(d: NaiveDate) -> DateTime<Utc> {
    NaiveDateTime::from(d).and_utc()
}

/// `ADDMONTHS(d, n)`: `n` truncated toward zero; the last day of a month stays the last day (Dec 31 + 2 is
/// Feb 28), any other day is clamped to the target month's length.
pub(super) fn add_months(d: NaiveDate, n: f64) -> Result<NaiveDate, EvalError> {
    let months = n.trunc();
    if !months.is_finite() || months.abs() >= 1.0e6 {
        return Err(out_of_range());
    }
    let total = i64::from(d.year()) * 12 + i64::from(d.month0()) + months as i64;
    let year = i32::try_from(total.div_euclid(12)).map_err(|_| out_of_range())?;
    let month = total.rem_euclid(12) as u32 + 1;
    let last = last_day(year, month).ok_or_else(out_of_range)?;
    let day = if Some(d.day()) == last_day(d.year(), d.month()) {
        last
    } else {
        d.day().min(last)
    };
    NaiveDate::from_ymd_opt(year, month, day).ok_or_else(out_of_range)
}

fn last_day(year: i32, month: u32) -> Option<u32> {
    let (next_year, next_month) = if month == 12 {
        (year.checked_add(1)?, 1)
    } else {
        (year, month + 1)
    };
    NaiveDate::from_ymd_opt(next_year, next_month, 1)?
        .pred_opt()
        .map(|d| d.day())
}

/// A whole number argument of DATE() as an integer of the given range, else the invalid-date error.
fn part(x: f64) -> Option<i32> {
    let t = x.trunc();
    (t.abs() < 1.0e6).then_some(t as i32)
}

impl<'f> Eval<'f, '_> {
    /// `DATE(y, m, d)`: an invalid date (2011-02-29) is a runtime error; a blank part gives blank.
    pub(super) fn date_of(&self, args: &'f [TExpr]) -> Result<V<'f>, EvalError> {
        let (Some(y), Some(m), Some(d)) = (
            self.num(arg(Func::Date, args, 0)?)?,
            self.num(arg(Func::Date, args, 1)?)?,
            self.num(arg(Func::Date, args, 2)?)?,
        ) else {
            return Ok(V::Null);
        };
        let date = match (part(y), part(m), part(d)) {
            (Some(y), Some(m), Some(d)) if m > 0 && d > 0 => {
                NaiveDate::from_ymd_opt(y, m as u32, d as u32)
            }
            _ => None,
        };
        date.map(V::Date)
            .ok_or_else(|| EvalError(format!("DATE({y}, {m}, {d}) is not a valid date")))
    }

    /// `DATEVALUE(x)`: a date/time's GMT date, or text `YYYY-M-D`; invalid text is a runtime error.
    pub(super) fn date_value(&self, args: &'f [TExpr]) -> Result<V<'f>, EvalError> {
        match self.eval(arg(Func::DateValue, args, 0)?)? {
            V::Null => Ok(V::Null),
            V::Date(d) => Ok(V::Date(d)),
            V::DateTime(t) => Ok(V::Date(t.date_naive())),
            V::Text(t) if t.is_empty() => Ok(V::Null),
            V::Text(t) => convert::date_text(&t)
                .map(V::Date)
                .ok_or_else(|| EvalError(format!("The value '{t}' is not a valid date."))),
            other => Err(type_error("Date/Time or Text", &other)),
        }
    }

    /// `DATETIMEVALUE(x)`: text `YYYY-M-D H:MM:SS` read as GMT, or a date's midnight.
    pub(super) fn datetime_value(&self, args: &'f [TExpr]) -> Result<V<'f>, EvalError> {
        match self.eval(arg(Func::DateTimeValue, args, 0)?)? {
            V::Null => Ok(V::Null),
            V::DateTime(t) => Ok(V::DateTime(t)),
            V::Date(d) => Ok(V::DateTime(midnight(d))),
            V::Text(t) if t.is_empty() => Ok(V::Null),
            V::Text(t) => convert::datetime_text(&t)
                .map(V::DateTime)
                .ok_or_else(|| EvalError(format!("The value '{t}' is not a valid date/time."))),
            other => Err(type_error("Date or Text", &other)),
        }
    }

    /// `YEAR(d)`, `MONTH(d)`, `DAY(d)`.
    pub(super) fn date_part(&self, func: Func, args: &'f [TExpr]) -> Result<V<'f>, EvalError> {
        let Some(d) = self.date(arg(func, args, 0)?)? else {
            return Ok(V::Null);
        };
        let n = match func {
            Func::Year => d.year(),
            Func::Month => d.month() as i32,
            _ => d.day() as i32,
        };
        Ok(V::Num(f64::from(n)))
    }

    /// `ADDMONTHS(d, n)` on a date or a date/time (its GMT date moves, the time of day stays).
    pub(super) fn add_months(&self, args: &'f [TExpr]) -> Result<V<'f>, EvalError> {
        let base = self.eval(arg(Func::AddMonths, args, 0)?)?;
        let Some(n) = self.num(arg(Func::AddMonths, args, 1)?)? else {
            return Ok(V::Null);
        };
        match base {
            V::Null => Ok(V::Null),
            V::Date(d) => Ok(V::Date(add_months(d, n)?)),
            V::DateTime(t) => {
                let date = add_months(t.date_naive(), n)?;
                Ok(V::DateTime(date.and_time(t.time()).and_utc()))
            }
            other => Err(type_error("Date", &other)),
        }
    }
}
