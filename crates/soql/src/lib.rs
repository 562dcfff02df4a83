//! bulkforce-soql: SOQL text to a bound, typed logical query ([`bound::Query`]). No SQL, no I/O.
//!
//! The pipeline is [`lexer`] (text to tokens) → [`parser`] (tokens to an [`ast::Select`]) → [`bind`]
//! (names resolved against the [`Schema`], literals typed, API restrictions applied) → [`bound::Query`],
//! which the store renders to its own SQL. Every refusal is a [`SoqlError`] shaped like Salesforce's
//! (`MALFORMED_QUERY`, `INVALID_FIELD`, `INVALID_TYPE`, … with the echo/caret/`ERROR at Row:R:Column:C`
//! block). [`canonical::canonical`] renders a bound query as text for tests and logs. [`limits`] bounds what
//! one statement may cost: its length, its nesting and the complexity of its filter.

pub mod ast;
pub mod bind;
pub mod bound;
pub mod canonical;
pub mod dates;
pub mod error;
pub mod lexer;
pub mod limits;
pub mod parser;

pub use error::SoqlError;

use bulkforce_core::schema::Schema;
use chrono::{DateTime, Utc};

/// Which API runs the statement, which decides what is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// A Bulk API 2.0 query job: no aggregates, GROUP BY, HAVING, OFFSET, parent-to-child subqueries,
    /// TYPEOF, `FIELDS(ALL)` / `FIELDS(CUSTOM)` or compound fields.
    BulkQuery,
    /// The REST `/query` resource: aggregates, GROUP BY, HAVING and OFFSET are allowed.
    Rest,
}

/// What binding depends on besides the schema: the clock date literals are relative to, and the org's
/// fiscal year.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BindContext {
    /// "Now"; date literals use its UTC date as today.
    pub now: DateTime<Utc>,
    /// The first month of the fiscal year, 1 = January (values outside 1..=12 mean January).
    pub fiscal_year_start_month: u32,
}

/// Compiles one SOQL statement into the bound query the store runs, or Salesforce's error for it, with
/// the rules of the latest API version.
pub fn compile(
    text: &str,
    schema: &Schema,
    ctx: &BindContext,
    mode: Mode,
) -> Result<bound::Query, SoqlError> {
    compile_at_version(text, schema, ctx, mode, u16::MAX)
}

/// [`compile`] with the rules of API version `api_version` (its major number): a REST statement nests
/// parent-to-child subqueries only from [`bind::NESTED_SUBQUERIES_FROM`] on.
pub fn compile_at_version(
    text: &str,
    schema: &Schema,
    ctx: &BindContext,
    mode: Mode,
    api_version: u16,
) -> Result<bound::Query, SoqlError> {
    let statement = parser::parse(text)?;
    bind::bind(text, &statement, schema, ctx, mode, api_version)
}
