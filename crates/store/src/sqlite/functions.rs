//! SQL functions SQLite lacks and formula fields need (`soql_render::formula`), registered on every
//! connection the store opens: `regexp(pattern, text)` (Salesforce's `REGEX`, with the `regex` crate) and
//! `power(base, exponent)` (SQLite is built without its math functions).

use super::SqliteStore;
use crate::soql_render::FormulaEnv;
use rusqlite::Connection;
use rusqlite::functions::FunctionFlags;
use rusqlite::types::ValueRef;
use std::convert::Infallible;

/// Registers the functions on `conn`.
pub(crate) fn register(conn: &Connection) -> rusqlite::Result<()> {
    let flags = FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC;
    conn.create_scalar_function("regexp", 2, flags, |ctx| {
        // The pattern is compiled once per statement (SQLite keeps it as the argument's auxiliary data);
        // one that does not compile matches nothing: NULL, as a formula's runtime error reads.
        let pattern = ctx.get_or_create_aux(0, |v: ValueRef<'_>| -> Result<_, Infallible> {
            Ok(v.as_str().ok().and_then(|p| regex::Regex::new(p).ok()))
        })?;
        let text = match ctx.get_raw(1) {
            ValueRef::Text(t) => std::str::from_utf8(t).ok(),
            _ => None,
        };
        Ok(match (pattern.as_ref(), text) {
            (Some(re), Some(text)) => Some(re.is_match(text)),
            _ => None,
        })
    })?;
    conn.create_scalar_function("power", 2, flags, |ctx| {
        let number = |i: usize| match ctx.get_raw(i) {
            ValueRef::Integer(n) => Some(n as f64),
            ValueRef::Real(r) => Some(r),
            _ => None,
        };
        Ok(match (number(0), number(1)) {
            (Some(base), Some(exponent)) => Some(base.powf(exponent)).filter(|r| r.is_finite()),
            _ => None,
        })
    })
}

impl SqliteStore {
    /// What a query's formula fields are rendered with: the store's schema and clock.
    pub(super) fn formula_env(&self) -> FormulaEnv<'_> {
        FormulaEnv {
            schema: &self.schema,
            now: self.clock.now(),
        }
    }
}
