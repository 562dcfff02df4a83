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
}
