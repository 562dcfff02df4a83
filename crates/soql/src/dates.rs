//! SOQL date literals (`TODAY`, `LAST_N_DAYS:30`, `THIS_FISCAL_QUARTER`, …) and the half-open day ranges
//! they stand for.
//!
//! The definitions follow Salesforce's "Date Formats and Date Literals" page: every range starts at
//! midnight; weeks start on Sunday; `LAST_N_DAYS:n` (and `LAST_90_DAYS`) cover the n days before today *and
//! today*; `NEXT_N_DAYS:n` starts tomorrow; `LAST_N_<unit>:n` covers the n whole units before the current one
//! and `NEXT_N_<unit>:n` the n whole units after it; `N_<unit>_AGO:n` is the single whole unit n units before
//! the current one. Fiscal units use the org's fiscal year start month (standard fiscal years only).
//! "Today" is the UTC date of the binding context's clock.

use chrono::{Datelike, Days, Months, NaiveDate};

/// A unit of a relative date range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Day,
    Week,
    Month,
    Quarter,
    Year,
    FiscalQuarter,
    FiscalYear,
}

/// A date literal, parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RelativeDate {
    /// `YESTERDAY`, `LAST_WEEK`, `LAST_FISCAL_YEAR`, …: the whole unit before the current one.
    Last(Unit),
    /// `TODAY`, `THIS_MONTH`, …: the current unit.
    This(Unit),
    /// `TOMORROW`, `NEXT_QUARTER`, …: the whole unit after the current one.
    Next(Unit),
    /// `LAST_N_DAYS:n`, `LAST_N_WEEKS:n`, … (`LAST_90_DAYS` is `LastN(Day, 90)`).
    LastN(Unit, u32),
    /// `NEXT_N_DAYS:n`, … (`NEXT_90_DAYS` is `NextN(Day, 90)`).
    NextN(Unit, u32),
    /// `N_DAYS_AGO:n`, `N_WEEKS_AGO:n`, ….
    Ago(Unit, u32),
}

/// How a date literal name is completed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LiteralName {
    /// A complete literal (`TODAY`).
    Fixed(RelativeDate),
    /// A literal that takes `:n` (`LAST_N_DAYS`).
    WithN(NForm),
}

/// The shape of a literal that takes `:n`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NForm {
    Last(Unit),
    Next(Unit),
    Ago(Unit),
}

impl NForm {
    /// The literal with its `n`.
    pub fn with(self, n: u32) -> RelativeDate {
        match self {
            NForm::Last(unit) => RelativeDate::LastN(unit, n),
            NForm::Next(unit) => RelativeDate::NextN(unit, n),
            NForm::Ago(unit) => RelativeDate::Ago(unit, n),
        }
    }
}

/// Recognises a date literal name, ignoring case.
pub fn lookup(name: &str) -> Option<LiteralName> {
    use LiteralName::{Fixed, WithN};
    use RelativeDate::*;
    use Unit::*;
    let upper = name.to_ascii_uppercase();
    Some(match upper.as_str() {
        "YESTERDAY" => Fixed(Last(Day)),
        "TODAY" => Fixed(This(Day)),
        "TOMORROW" => Fixed(Next(Day)),
        "LAST_90_DAYS" => Fixed(LastN(Day, 90)),
        "NEXT_90_DAYS" => Fixed(NextN(Day, 90)),
        "LAST_N_DAYS" => WithN(NForm::Last(Day)),
        "NEXT_N_DAYS" => WithN(NForm::Next(Day)),
        "N_DAYS_AGO" => WithN(NForm::Ago(Day)),
        "LAST_N_WEEKS" => WithN(NForm::Last(Week)),
        "NEXT_N_WEEKS" => WithN(NForm::Next(Week)),
        "N_WEEKS_AGO" => WithN(NForm::Ago(Week)),
        "LAST_N_MONTHS" => WithN(NForm::Last(Month)),
        "NEXT_N_MONTHS" => WithN(NForm::Next(Month)),
        "N_MONTHS_AGO" => WithN(NForm::Ago(Month)),
        "LAST_N_QUARTERS" => WithN(NForm::Last(Quarter)),
        "NEXT_N_QUARTERS" => WithN(NForm::Next(Quarter)),
        "N_QUARTERS_AGO" => WithN(NForm::Ago(Quarter)),
        "LAST_N_YEARS" => WithN(NForm::Last(Year)),
        "NEXT_N_YEARS" => WithN(NForm::Next(Year)),
        "N_YEARS_AGO" => WithN(NForm::Ago(Year)),
        "LAST_N_FISCAL_QUARTERS" => WithN(NForm::Last(FiscalQuarter)),
        "NEXT_N_FISCAL_QUARTERS" => WithN(NForm::Next(FiscalQuarter)),
        "N_FISCAL_QUARTERS_AGO" => WithN(NForm::Ago(FiscalQuarter)),
        "LAST_N_FISCAL_YEARS" => WithN(NForm::Last(FiscalYear)),
        "NEXT_N_FISCAL_YEARS" => WithN(NForm::Next(FiscalYear)),
        "N_FISCAL_YEARS_AGO" => WithN(NForm::Ago(FiscalYear)),
        _ => {
            let (direction, unit) = upper.split_once('_')?;
            let unit = match unit {
                "WEEK" => Week,
                "MONTH" => Month,
                "QUARTER" => Quarter,
                "YEAR" => Year,
                "FISCAL_QUARTER" => FiscalQuarter,
                "FISCAL_YEAR" => FiscalYear,
                _ => return None,
            };
            match direction {
                "LAST" => Fixed(Last(unit)),
                "THIS" => Fixed(This(unit)),
                "NEXT" => Fixed(Next(unit)),
                _ => return None,
            }
        }
    })
}

/// The `[start, end)` days of `literal` when today is `today` and fiscal years start in month
/// `fiscal_start_month` (1 = January; out-of-range values mean January). `None` when the range leaves the
/// calendar chrono can represent.
pub fn resolve(
    literal: RelativeDate,
    today: NaiveDate,
    fiscal_start_month: u32,
) -> Option<(NaiveDate, NaiveDate)> {
    let fiscal = if (1..=12).contains(&fiscal_start_month) {
        fiscal_start_month
    } else {
        1
    };
    let at = |unit: Unit, k: i64| -> Option<NaiveDate> {
        shift(unit, period_start(unit, today, fiscal)?, k)
    };
    let n = |n: u32| i64::from(n);
    Some(match literal {
        RelativeDate::This(unit) => (at(unit, 0)?, at(unit, 1)?),
        RelativeDate::Last(unit) => (at(unit, -1)?, at(unit, 0)?),
        RelativeDate::Next(unit) => (at(unit, 1)?, at(unit, 2)?),
        RelativeDate::LastN(Unit::Day, k) => (at(Unit::Day, -n(k))?, at(Unit::Day, 1)?),
        RelativeDate::NextN(Unit::Day, k) => (at(Unit::Day, 1)?, at(Unit::Day, 1 + n(k))?),
        RelativeDate::LastN(unit, k) => (at(unit, -n(k))?, at(unit, 0)?),
        RelativeDate::NextN(unit, k) => (at(unit, 1)?, at(unit, 1 + n(k))?),
        RelativeDate::Ago(unit, k) => (at(unit, -n(k))?, at(unit, 1 - n(k))?),
    })
}

/// The first day of the unit containing `today`.
fn period_start(unit: Unit, today: NaiveDate, fiscal_start: u32) -> Option<NaiveDate> {
    let first_of = |year: i32, month: u32| NaiveDate::from_ymd_opt(year, month, 1);
    match unit {
        Unit::Day => Some(today),
        Unit::Week => {
            today.checked_sub_days(Days::new(u64::from(today.weekday().num_days_from_sunday())))
        }
        Unit::Month => first_of(today.year(), today.month()),
        Unit::Quarter => first_of(today.year(), (today.month() - 1) / 3 * 3 + 1),
        Unit::Year => first_of(today.year(), 1),
        Unit::FiscalYear | Unit::FiscalQuarter => {
            let year = if today.month() >= fiscal_start {
                today.year()
            } else {
                today.year() - 1
            };
            let year_start = first_of(year, fiscal_start)?;
            if unit == Unit::FiscalYear {
                return Some(year_start);
            }
            let months_in = (today.month() + 12 - fiscal_start) % 12;
            year_start.checked_add_months(Months::new(months_in / 3 * 3))
        }
    }
}

/// `date` moved by `k` whole units (`date` is the first day of a unit).
fn shift(unit: Unit, date: NaiveDate, k: i64) -> Option<NaiveDate> {
    let (step_days, step_months) = match unit {
        Unit::Day => (1, 0),
        Unit::Week => (7, 0),
        Unit::Month => (0, 1),
        Unit::Quarter | Unit::FiscalQuarter => (0, 3),
        Unit::Year | Unit::FiscalYear => (0, 12),
    };
    if step_days > 0 {
        let days = k.checked_mul(step_days)?.unsigned_abs();
        if k >= 0 {
            date.checked_add_days(Days::new(days))
        } else {
            date.checked_sub_days(Days::new(days))
        }
    } else {
        let months = u32::try_from(k.checked_mul(step_months)?.unsigned_abs()).ok()?;
        if k >= 0 {
            date.checked_add_months(Months::new(months))
        } else {
            date.checked_sub_months(Months::new(months))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn range(name: &str, n: Option<u32>, today: &str, fiscal: u32) -> (NaiveDate, NaiveDate) {
        let literal = match (lookup(name).unwrap(), n) {
            (LiteralName::Fixed(l), None) => l,
            (LiteralName::WithN(form), Some(n)) => form.with(n),
            _ => panic!("{name}"),
        };
        resolve(literal, d(today), fiscal).unwrap()
    }

    #[test]
    fn names_are_case_insensitive_and_closed() {
        assert_eq!(
            lookup("today"),
            Some(LiteralName::Fixed(RelativeDate::This(Unit::Day)))
        );
        assert_eq!(
            lookup("This_Fiscal_Quarter"),
            Some(LiteralName::Fixed(RelativeDate::This(Unit::FiscalQuarter)))
        );
        for bad in [
            "THIS_DAY",
            "LAST_DAY",
            "NEXT_N_DAY",
            "LAST_WEEKS",
            "THIS",
            "N_DAYS",
            "",
        ] {
            assert_eq!(lookup(bad), None, "{bad}");
        }
    }

    #[test]
    fn weeks_start_on_sunday() {
        // 2026-02-18 is a Wednesday; 2026-02-15 the Sunday before.
        assert_eq!(
            range("THIS_WEEK", None, "2026-02-18", 1),
            (d("2026-02-15"), d("2026-02-22"))
        );
        // A Sunday starts its own week.
        assert_eq!(
            range("THIS_WEEK", None, "2026-02-15", 1),
            (d("2026-02-15"), d("2026-02-22"))
        );
        // A Saturday ends it.
        assert_eq!(
            range("THIS_WEEK", None, "2026-02-21", 1),
            (d("2026-02-15"), d("2026-02-22"))
        );
    }

    #[test]
    fn fiscal_year_before_its_start_month_belongs_to_the_previous_year() {
        // April fiscal year; in February we are in the fiscal year that started 2025-04-01, its 4th quarter.
        assert_eq!(
            range("THIS_FISCAL_YEAR", None, "2026-02-18", 4),
            (d("2025-04-01"), d("2026-04-01"))
        );
        assert_eq!(
            range("THIS_FISCAL_QUARTER", None, "2026-02-18", 4),
            (d("2026-01-01"), d("2026-04-01"))
        );
        assert_eq!(
            range("THIS_FISCAL_QUARTER", None, "2026-04-01", 4),
            (d("2026-04-01"), d("2026-07-01"))
        );
        // A fiscal year starting in November has quarters Nov-Jan, Feb-Apr, ...
        assert_eq!(
            range("THIS_FISCAL_QUARTER", None, "2026-01-31", 11),
            (d("2025-11-01"), d("2026-02-01"))
        );
        // Out-of-range start months mean January.
        assert_eq!(
            range("THIS_FISCAL_YEAR", None, "2026-02-18", 0),
            (d("2026-01-01"), d("2027-01-01"))
        );
    }

    #[test]
    fn month_arithmetic_is_clamped_to_month_starts() {
        assert_eq!(
            range("LAST_MONTH", None, "2026-03-31", 1),
            (d("2026-02-01"), d("2026-03-01"))
        );
        assert_eq!(
            range("N_MONTHS_AGO", Some(1), "2024-03-31", 1),
            (d("2024-02-01"), d("2024-03-01"))
        );
    }

    #[test]
    fn overflow_is_none() {
        let literal = RelativeDate::NextN(Unit::Year, u32::MAX);
        assert_eq!(resolve(literal, d("2026-01-01"), 1), None);
        let literal = RelativeDate::LastN(Unit::Day, u32::MAX);
        assert_eq!(resolve(literal, d("2026-01-01"), 1), None);
    }
}
