//! Bound SOQL rendered to SQL, one render plan for every backend: the statement's shape (joins for parent
//! paths, semi-joins, grouping, order, limits) and Salesforce's semantics are decided here once, and a
//! [`Dialect`] supplies only what differs between SQL engines (table names, placeholders, how text is
//! compared without case, date parts, a few result types).
//!
//! Salesforce semantics kept here: text comparisons and ordering ignore (ASCII) case, `!=` and `NOT IN`
//! include nulls, logic is two-valued (`NOT` of a comparison with null is true), date literals are
//! ranges, ascending order puts nulls first and descending order last, and soft-deleted rows are hidden
//! unless the query is a `queryAll`.

mod conditions;
mod dates;
mod formula;
mod per_parent;
mod polymorphic;
mod select;

pub(crate) use formula::FormulaEnv;

use crate::{QueryOptions, Result};
use bulkforce_core::schema::Storage;
use bulkforce_soql::bound::Query;

/// SQL text and its positional parameters.
pub(crate) struct Rendered {
    pub sql: String,
    pub params: Vec<Param>,
}

/// A parameter value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Param {
    Text(String),
    Integer(i64),
    Real(f64),
}

/// An integer part of a date or dateTime (both stored as ISO text, dateTimes in UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DatePart {
    Year,
    Month,
    DayOfMonth,
    /// 0 = Sunday … 6 = Saturday.
    DayOfWeek,
    /// 1 … 366.
    DayOfYear,
    Hour,
}

/// What differs between the SQL engines the store runs on. Everything else about a query is rendered
/// once, in this module, so both backends keep the same semantics by construction.
pub(crate) trait Dialect {
    /// The table holding `object`'s records (its canonical name).
    fn table(&self, object: &str) -> String;
    /// The placeholder of parameter `n` (1-based); `param` is the value, for a dialect that types it.
    fn placeholder(&self, n: usize, param: &Param) -> String;
    /// A text expression as compared and sorted without (ASCII) case: both sides of a comparison and
    /// every ORDER BY key of a text field go through it.
    fn nocase(&self, expr: &str) -> String;
    /// The value side (a placeholder) of a comparison with a [`Dialect::nocase`] expression.
    fn nocase_value(&self, placeholder: &str) -> String;
    /// A text expression compared and sorted by its bytes, as ISO dates and times sort as written.
    fn exact(&self, expr: &str) -> String;
    /// `expr LIKE pattern`, ignoring ASCII case, with `\` escaping `%`, `_` and itself.
    fn like(&self, expr: &str, pattern: &str) -> String;
    /// An integer part of a date or dateTime held as ISO text.
    fn date_part(&self, part: DatePart, expr: &str) -> String;
    /// The date (`YYYY-MM-DD` text) of a dateTime held as ISO text.
    fn date_only(&self, expr: &str) -> String;
    /// `SUM`, an integer for integer fields and a real number otherwise.
    fn sum(&self, expr: &str, storage: Storage) -> String;
    /// `AVG`, always a real number.
    fn avg(&self, expr: &str) -> String;
    /// The LIMIT / OFFSET clause, with its leading space ("" when neither is given).
    fn limit_offset(&self, limit: Option<u64>, offset: Option<u64>) -> String;

    // Formula fields (see `formula`): numbers are the engine's real type, dates ISO text.
    /// `expr` as a real number.
    fn real(&self, expr: &str) -> String;
    /// A real `expr` truncated toward zero, as an integer (what `substr` takes).
    fn to_int(&self, expr: &str) -> String;
    /// A real `expr` truncated toward zero, as a real.
    fn trunc(&self, expr: &str) -> String;
    /// `expr` rounded half away from zero to `digits` (an integer expression; negative: left of the point).
    fn round(&self, expr: &str, digits: &str) -> String;
    /// `base` raised to `exponent`, a real.
    fn power(&self, base: &str, exponent: &str) -> String;
    /// The 1-based position of `needle` in `haystack`, 0 when absent.
    fn position(&self, haystack: &str, needle: &str) -> String;
    /// Whether `text` matches the (anchored) regular expression `pattern`.
    fn regex(&self, text: &str, pattern: &str) -> String;
    /// A date (`datetime` false) or dateTime as ISO text moved by `days` (a real; whole for a date).
    fn add_days(&self, expr: &str, days: &str, datetime: bool) -> String;
    /// The days from `b` to `a` (both dates or both dateTimes), a real.
    fn days_between(&self, a: &str, b: &str) -> String;
    /// The date (`YYYY-MM-DD`) of real year, month and day, NULL when there is none (2011-02-29).
    fn make_date(&self, year: &str, month: &str, day: &str) -> String;
    /// A date moved by `months` (an integer expression), Salesforce's `ADDMONTHS`: the last day of a month
    /// goes to the last day of the target month, any other day is clamped to the target month's length.
    fn add_months(&self, date: &str, months: &str) -> String;
    /// A real as plain decimal text without trailing zeros (`3`, `2.5`).
    fn number_text(&self, expr: &str) -> String;
    /// The greatest (`max`) or least of non-null values.
    fn greatest(&self, exprs: &[String], max: bool) -> String;
}

/// Renders `query` in `dialect`; formula fields need `formulas` (the schema and the query's now).
pub(crate) fn render(
    query: &Query,
    options: &QueryOptions,
    dialect: &dyn Dialect,
    formulas: Option<FormulaEnv<'_>>,
) -> Result<Rendered> {
    select::Renderer::new(options, dialect, formulas).render(query)
}

/// The query whose rows a count counts: its OFFSET is ignored (its LIMIT is honoured) and its order
/// does not matter.
pub(crate) fn counted(query: &Query) -> Query {
    let mut query = query.clone();
    query.offset = None;
    query.order_by.clear();
    query
}

/// Whether a LIKE pattern ends in a lone escape character (a pattern nothing matches; some engines
/// refuse it outright).
pub(crate) fn dangling_escape(pattern: &str) -> bool {
    pattern.bytes().rev().take_while(|b| *b == b'\\').count() % 2 == 1
}
