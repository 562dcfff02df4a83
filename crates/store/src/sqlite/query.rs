//! Bound SOQL queries rendered to SQLite SQL (the shared render plan of `soql_render` in SQLite's
//! dialect) and run as a row stream.

use super::ddl::quote;
use crate::soql_render::{self, DatePart, Dialect, Param};
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
struct Sqlite;

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
}

/// `query` as SQLite SQL.
pub(crate) fn render(query: &Query, options: &QueryOptions) -> Result<soql_render::Rendered> {
    soql_render::render(query, options, &Sqlite)
}

/// Runs a query, calling `visit` with each row's values in SELECT order until it returns false.
pub(crate) fn run(
    conn: &Connection,
    query: &Query,
    options: &QueryOptions,
    visit: &mut dyn FnMut(&[Value]) -> Result<bool>,
) -> Result<u64> {
    let rendered = render(query, options)?;
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
pub(crate) fn count(conn: &Connection, query: &Query, options: &QueryOptions) -> Result<u64> {
    let rendered = render(&soql_render::counted(query), options)?;
    let sql = format!("SELECT COUNT(*) FROM ({}) AS counted", rendered.sql);
    Ok(conn.query_row(
        &sql,
        rusqlite::params_from_iter(rendered.params.iter()),
        |r| r.get::<_, i64>(0),
    )? as u64)
}
