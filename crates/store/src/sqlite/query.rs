//! Bound SOQL queries rendered to SQLite SQL (the shared render plan of `soql_render` in SQLite's
//! dialect) and run as a row stream.

use super::ddl::quote;
use crate::soql_render::{self, DatePart, Dialect, FormulaEnv, Param};
use crate::{QueryOptions, Result};
use bulkforce_core::schema::Storage;
use bulkforce_core::value::Value;
use bulkforce_soql::bound::Query;
use rusqlite::Connection;
use rusqlite::types::{ToSqlOutput, ValueRef};

impl rusqlite::ToSql for Param {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self {
            Param::Text(s) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
            Param::Integer(i) => ToSqlOutput::Owned(rusqlite::types::Value::Integer(*i)),
            Param::Real(r) => ToSqlOutput::Owned(rusqlite::types::Value::Real(*r)),
        })
    }
}

/// SQLite's side of the render plan: an org's tables are the tables of its own database file, text
/// compares without case through `COLLATE NOCASE` and its LIKE already ignores ASCII case.
pub(crate) struct Sqlite;

impl Dialect for Sqlite {
    fn table(&self, object: &str) -> String {
        quote(object)
    }

    fn placeholder(&self, n: usize, _param: &Param) -> String {
        format!("?{n}")
    }

    fn nocase(&self, expr: &str) -> String {
        format!("{expr} COLLATE NOCASE")
    }

    fn nocase_value(&self, placeholder: &str) -> String {
        placeholder.to_owned()
    }

    fn exact(&self, expr: &str) -> String {
        // Text columns use SQLite's BINARY collation already.
        expr.to_owned()
    }

    fn like(&self, expr: &str, pattern: &str) -> String {
        format!("{expr} LIKE {pattern} ESCAPE '\\'")
    }

    fn date_part(&self, part: DatePart, expr: &str) -> String {
        let format = match part {
            DatePart::Year => "%Y",
            DatePart::Month => "%m",
            DatePart::DayOfMonth => "%d",
            DatePart::DayOfWeek => "%w",
            DatePart::DayOfYear => "%j",
            DatePart::Hour => "%H",
        };
        format!("CAST(strftime('{format}', {expr}) AS INTEGER)")
    }

    fn date_only(&self, expr: &str) -> String {
        format!("date({expr})")
    }

    fn sum(&self, expr: &str, _storage: Storage) -> String {
        // SQLite's SUM is an integer over integers already.
        format!("SUM({expr})")
    }

    fn avg(&self, expr: &str) -> String {
        format!("AVG({expr})")
    }

    fn limit_offset(&self, limit: Option<u64>, offset: Option<u64>) -> String {
        match (limit, offset) {
            (Some(limit), offset) => format!(" LIMIT {limit} OFFSET {}", offset.unwrap_or(0)),
            (None, Some(offset)) => format!(" LIMIT -1 OFFSET {offset}"),
            (None, None) => String::new(),
        }
    }

    fn real(&self, expr: &str) -> String {
        format!("CAST({expr} AS REAL)")
    }

    fn to_int(&self, expr: &str) -> String {
        format!("CAST({expr} AS INTEGER)")
    }

    fn trunc(&self, expr: &str) -> String {
        format!("CAST(CAST({expr} AS INTEGER) AS REAL)")
    }

    fn round(&self, expr: &str, digits: &str) -> String {
        // SQLite rounds half away from zero but not left of the point.
        format!(
            "(CASE WHEN {digits} >= 0 THEN round({expr}, {digits}) \
             ELSE round({expr} / power(10, -({digits}))) * power(10, -({digits})) END)"
        )
    }

    fn power(&self, base: &str, exponent: &str) -> String {
        // Registered on every connection (`sqlite::functions`).
        format!("power({base}, {exponent})")
    }

    fn position(&self, haystack: &str, needle: &str) -> String {
        format!("instr({haystack}, {needle})")
    }

    fn regex(&self, text: &str, pattern: &str) -> String {
        // Registered on every connection (`sqlite::functions`).
        format!("regexp({pattern}, {text})")
    }

    fn add_days(&self, expr: &str, days: &str, datetime: bool) -> String {
        if datetime {
            format!("strftime('%Y-%m-%dT%H:%M:%fZ', julianday({expr}) + {days})")
        } else {
            format!("date(julianday({expr}) + {days})")
        }
    }

    fn days_between(&self, a: &str, b: &str) -> String {
        format!("(julianday({a}) - julianday({b}))")
    }

    fn make_date(&self, year: &str, month: &str, day: &str) -> String {
        // date() accepts days up to 31 in any month and moves them on: a date that reads back
        // differently does not exist.
        let text = format!("printf('%04d-%02d-%02d', {year}, {month}, {day})");
        format!("(CASE WHEN {year} BETWEEN 1 AND 9999 AND date({text}) = {text} THEN {text} END)")
    }

    fn add_months(&self, date: &str, months: &str) -> String {
        let first = format!("date({date}, 'start of month', printf('%+d months', {months}))");
        let last = format!("date({first}, '+1 month', '-1 day')");
        format!(
            "(CASE WHEN strftime('%d', {date}, '+1 day') = '01' \
             OR CAST(strftime('%d', {date}) AS INTEGER) > CAST(strftime('%d', {last}) AS INTEGER) \
             THEN {last} ELSE date({first}, printf('+%d days', CAST(strftime('%d', {date}) AS INTEGER) - 1)) END)"
        )
    }

    fn number_text(&self, expr: &str) -> String {
        format!(
            "(CASE WHEN {expr} = CAST({expr} AS INTEGER) THEN CAST(CAST({expr} AS INTEGER) AS TEXT) \
             ELSE CAST({expr} AS TEXT) END)"
        )
    }

    fn greatest(&self, exprs: &[String], max: bool) -> String {
        // SQLite's max() and min() of several arguments are scalar; of one, aggregates.
        match exprs {
            [one] => one.clone(),
            _ => format!("{}({})", if max { "max" } else { "min" }, exprs.join(", ")),
        }
    }
}

/// `query` as SQLite SQL (formula fields with `formulas`).
pub(crate) fn render(
    query: &Query,
    options: &QueryOptions,
    formulas: Option<FormulaEnv<'_>>,
) -> Result<soql_render::Rendered> {
    soql_render::render(query, options, &Sqlite, formulas)
}

/// Runs a query, calling `visit` with each row's values in SELECT order until it returns false.
pub(crate) fn run(
    conn: &Connection,
    formulas: FormulaEnv<'_>,
    query: &Query,
    options: &QueryOptions,
    visit: &mut dyn FnMut(&[Value]) -> Result<bool>,
) -> Result<u64> {
    let rendered = render(query, options, Some(formulas))?;
    let mut stmt = conn.prepare(&rendered.sql)?;
    let columns = stmt.column_count();
    let mut rows = stmt.query(rusqlite::params_from_iter(rendered.params.iter()))?;
    // One slot per column, reused row after row: a text cell is copied into the String its column held in
    // the previous row, so a large export allocates per column, not per cell.
    let mut values = vec![Value::Null; columns];
    let mut count = 0;
    while let Some(row) = rows.next()? {
        for (i, slot) in values.iter_mut().enumerate() {
            store_cell(slot, row.get_ref(i)?);
        }
        count += 1;
        if !visit(&values)? {
            break;
        }
    }
    Ok(count)
}

/// Puts one cell's value into `slot`, reusing the slot's String for text.
fn store_cell(slot: &mut Value, cell: ValueRef<'_>) {
    match cell {
        ValueRef::Null => *slot = Value::Null,
        ValueRef::Integer(n) => *slot = Value::Integer(n),
        ValueRef::Real(r) => *slot = Value::Real(r),
        ValueRef::Text(t) | ValueRef::Blob(t) => {
            // The strict check is the fast one (`from_utf8_lossy` walks its chunks a byte at a time); stored
            // text is UTF-8, so the lossy pass only runs for a value that is not.
            let text = match std::str::from_utf8(t) {
                Ok(text) => std::borrow::Cow::Borrowed(text),
                Err(_) => String::from_utf8_lossy(t),
            };
            match slot {
                Value::Text(s) => {
                    s.clear();
                    s.push_str(&text);
                }
                _ => *slot = Value::Text(text.into_owned()),
            }
        }
    }
}

/// Counts the rows a query returns (ignoring its OFFSET, honouring its LIMIT).
pub(crate) fn count(
    conn: &Connection,
    formulas: FormulaEnv<'_>,
    query: &Query,
    options: &QueryOptions,
) -> Result<u64> {
    let rendered = render(&soql_render::counted(query), options, Some(formulas))?;
    let sql = format!("SELECT COUNT(*) FROM ({}) AS counted", rendered.sql);
    Ok(conn.query_row(
        &sql,
        rusqlite::params_from_iter(rendered.params.iter()),
        |r| r.get::<_, i64>(0),
    )? as u64)
}
