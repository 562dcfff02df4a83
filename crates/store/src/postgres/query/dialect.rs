//! PostgreSQL's side of the shared render plan (`soql_render`).
//!
//! - Tables are qualified by the org's schema (`org_<id>`), so a query can only ever name its own org's
//!   records.
//! - Text is compared and sorted in the "C" collation, by its bytes as SQLite's BINARY does, whatever
//!   the database's default collation; without case it is `lower(… COLLATE "C")`, which folds ASCII
//!   letters only, exactly as SQLite's NOCASE.
//! - Every placeholder carries its type (`$1::text`), so a parameter never depends on inference.
//! - Dates and dateTimes are ISO text; `CAST(… AS timestamp)` reads both (a dateTime's `Z` is ignored:
//!   it is UTC already).

use super::super::ddl::{org_schema, quote};
use crate::soql_render::{DatePart, Dialect, Param};
use bulkforce_core::id::SfId;
use bulkforce_core::schema::Storage;

pub(crate) struct Postgres {
    /// The quoted schema of the org whose records the query reads.
    schema: String,
}

impl Postgres {
    pub(crate) fn new(org: SfId) -> Postgres {
        Postgres {
            schema: quote(&org_schema(org)),
        }
    }
}

impl Dialect for Postgres {
    fn table(&self, object: &str) -> String {
        format!("{}.{}", self.schema, quote(object))
    }

    fn placeholder(&self, n: usize, param: &Param) -> String {
        let ty = match param {
            Param::Text(_) => "text",
            Param::Integer(_) => "bigint",
            Param::Real(_) => "double precision",
        };
        format!("${n}::{ty}")
    }

    fn nocase(&self, expr: &str) -> String {
        format!("lower({expr} COLLATE \"C\")")
    }

    fn nocase_value(&self, placeholder: &str) -> String {
        format!("lower({placeholder} COLLATE \"C\")")
    }

    fn exact(&self, expr: &str) -> String {
        format!("{expr} COLLATE \"C\"")
    }

    fn like(&self, expr: &str, pattern: &str) -> String {
        format!("lower({expr} COLLATE \"C\") LIKE lower({pattern} COLLATE \"C\") ESCAPE '\\'")
    }

    fn date_part(&self, part: DatePart, expr: &str) -> String {
        let field = match part {
            DatePart::Year => "YEAR",
            DatePart::Month => "MONTH",
            DatePart::DayOfMonth => "DAY",
            DatePart::DayOfWeek => "DOW",
            DatePart::DayOfYear => "DOY",
            DatePart::Hour => "HOUR",
        };
        format!("CAST(EXTRACT({field} FROM CAST({expr} AS timestamp)) AS bigint)")
    }

    fn date_only(&self, expr: &str) -> String {
        format!("to_char(CAST({expr} AS timestamp), 'YYYY-MM-DD')")
    }

    fn sum(&self, expr: &str, storage: Storage) -> String {
        // PostgreSQL sums bigints as numeric; SOQL's sum of integers is an integer.
        match storage {
            Storage::Integer => format!("CAST(SUM({expr}) AS bigint)"),
            Storage::Text | Storage::Real => format!("SUM({expr})"),
        }
    }

    fn avg(&self, expr: &str) -> String {
        format!("CAST(AVG({expr}) AS double precision)")
    }

    fn limit_offset(&self, limit: Option<u64>, offset: Option<u64>) -> String {
        let mut clause = String::new();
        if let Some(limit) = limit {
            clause.push_str(&format!(" LIMIT {limit}"));
        }
        if let Some(offset) = offset {
            clause.push_str(&format!(" OFFSET {offset}"));
        }
        clause
    }

    fn real(&self, expr: &str) -> String {
        format!("CAST({expr} AS double precision)")
    }

    fn to_int(&self, expr: &str) -> String {
        // Clamped: a cast out of integer's range fails the statement.
        format!("CAST(LEAST(GREATEST(trunc({expr}), -2147483648), 2147483647) AS integer)")
    }

    fn trunc(&self, expr: &str) -> String {
        format!("trunc({expr})")
    }

    fn round(&self, expr: &str, digits: &str) -> String {
        // round(numeric, n) rounds half away from zero, n < 0 left of the point.
        format!("CAST(round(CAST({expr} AS numeric), {digits}) AS double precision)")
    }

    fn power(&self, base: &str, exponent: &str) -> String {
        // A negative base to a fractional power fails in PostgreSQL: no value instead.
        format!(
            "(CASE WHEN {base} < 0 AND {exponent} <> trunc({exponent}) THEN NULL \
             ELSE power({base}, {exponent}) END)"
        )
    }

    fn position(&self, haystack: &str, needle: &str) -> String {
        format!("strpos({haystack}, {needle})")
    }

    fn regex(&self, text: &str, pattern: &str) -> String {
        format!("({text} ~ {pattern})")
    }

    fn add_days(&self, expr: &str, days: &str, datetime: bool) -> String {
        if datetime {
            format!(
                "to_char(CAST({expr} AS timestamp) + {days} * interval '1 day', \
                 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"
            )
        } else {
            format!("to_char(CAST({expr} AS date) + CAST({days} AS integer), 'YYYY-MM-DD')")
        }
    }

    fn days_between(&self, a: &str, b: &str) -> String {
        format!(
            "CAST(EXTRACT(EPOCH FROM (CAST({a} AS timestamp) - CAST({b} AS timestamp))) / 86400 \
             AS double precision)"
        )
    }

    fn make_date(&self, year: &str, month: &str, day: &str) -> String {
        // make_date fails on a date that does not exist, and a constant one fails while planning, inside
        // a CASE arm or not: the parts are clamped to a date that exists, which is kept only when it
        // reads back as the parts.
        let clamp =
            |e: &str, hi: u32| format!("CAST(LEAST(GREATEST(trunc({e}), 1), {hi}) AS integer)");
        let date = format!(
            "(make_date({}, {}, 1) + ({} - 1))",
            clamp(year, 9999),
            clamp(month, 12),
            clamp(day, 31)
        );
        format!(
            "(CASE WHEN EXTRACT(YEAR FROM {date}) = {year} AND EXTRACT(MONTH FROM {date}) = {month} \
             AND EXTRACT(DAY FROM {date}) = {day} THEN to_char({date}, 'YYYY-MM-DD') END)"
        )
    }

    fn add_months(&self, date: &str, months: &str) -> String {
        let d = format!("CAST({date} AS date)");
        format!(
            "(CASE WHEN EXTRACT(DAY FROM {d} + 1) = 1 THEN to_char(date_trunc('month', {d}) \
             + make_interval(months => {months} + 1) - interval '1 day', 'YYYY-MM-DD') \
             ELSE to_char({d} + make_interval(months => {months}), 'YYYY-MM-DD') END)"
        )
    }

    fn number_text(&self, expr: &str) -> String {
        // A double's text is its shortest exact form without trailing zeros (3, 2.5).
        format!("CAST({expr} AS text)")
    }

    fn greatest(&self, exprs: &[String], max: bool) -> String {
        format!(
            "{}({})",
            if max { "GREATEST" } else { "LEAST" },
            exprs.join(", ")
        )
    }
}
