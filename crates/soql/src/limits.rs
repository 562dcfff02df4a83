//! The bounds a statement must keep, so that no single request can exhaust the server: a statement's
//! length (Salesforce's own limit), the length of a string literal (Salesforce's), how deeply it nests
//! (the parser, binder and store recurse once per level), and how complex its filter is once bound (the
//! store renders it for SQLite, which refuses an expression tree deeper than 1,000 levels and a statement
//! with more than 32,766 parameters).
//!
//! Salesforce documents the first two and refuses a filter that is "too complicated" without saying where
//! the line is; the bounds here are chosen far past any real statement and far inside what the stack and
//! SQLite allow. Each refusal is one of Salesforce's errors (`MALFORMED_QUERY` or `QUERY_TOO_COMPLICATED`),
//! never a crash or SQLite's words.

use crate::bound::{Condition, Literal, Query, Value};
use crate::error::{MALFORMED_QUERY, QUERY_TOO_COMPLICATED, SoqlError};

/// Salesforce's limit on the length of a statement, in characters.
pub const MAX_STATEMENT_CHARS: usize = 100_000;

/// Salesforce's limit on each string literal of a WHERE clause, in characters (after escapes are decoded).
/// It also keeps LIKE patterns inside SQLite's 50,000-byte pattern limit.
pub const MAX_STRING_CHARS: usize = 4_000;

/// The deepest nesting of parentheses the parser accepts: grouped conditions, `NOT (…)`, and subqueries
/// (`IN (SELECT …)`, `(SELECT … FROM Contacts)`). Real statements nest a handful of levels. Each level costs
/// a few stack frames in the parser, the binder and the store's renderer: measured in a debug build, about
/// 3 KiB a level for alternating AND/OR groups (the costliest shape) on top of about 64 KiB, so 50 levels
/// need under 192 KiB, against the 2 MiB of a Tokio worker thread (the `deepest_nesting_fits_a_small_stack`
/// test runs them on 256 KiB). A statement of 1,440 levels used to overflow the stack and abort the server.
pub const MAX_NESTING: usize = 50;

/// The deepest a bound WHERE or HAVING condition may be, counted as a tree of binary operators: a chain
/// of `n` conditions joined by AND or OR counts `ceil(log2 n)` levels (the store renders a chain as a
/// balanced tree of halves, so a thousand ORed conditions run, as they do in Salesforce), each NOT one, each comparison one, the
/// null and date-literal values of an IN list one more each (each becomes an OR), INCLUDES sets their ORs
/// and ANDs, and a semi-join the depth of its subquery's filter. The store's SQL for a condition of depth
/// `d` is at most about `2 d + 30` levels deep (NOT renders as two, a chain as `n - 1`, and a comparison
/// through a date function about a dozen), which 400 keeps well inside SQLite's 1,000. Salesforce's own
/// `QUERY_TOO_COMPLICATED` comes from its internal expansion (formula fields), not from a number of terms.
pub const MAX_FILTER_DEPTH: usize = 400;

/// The most values a statement may compare with (literals in comparisons, LIKE, IN and INCLUDES lists;
/// a date literal counts as the two bounds of its range): each becomes one SQLite parameter, and SQLite
/// refuses a statement with more than 32,766.
pub const MAX_FILTER_VALUES: usize = 32_000;

/// Salesforce's message for `QUERY_TOO_COMPLICATED`.
pub const TOO_COMPLICATED_MESSAGE: &str =
    "Query is either selecting too many fields or the filter conditions are too complicated.";

/// Refuses a statement longer than [`MAX_STATEMENT_CHARS`], as Salesforce does (its exact message, with
/// "can not" in two words and no thousands separator).
pub fn check_statement_length(text: &str) -> Result<(), SoqlError> {
    // Every character takes at least one byte, so a statement this short in bytes needs no counting.
    if text.len() > MAX_STATEMENT_CHARS && text.chars().count() > MAX_STATEMENT_CHARS {
        return Err(SoqlError::plain(
            MALFORMED_QUERY,
            format!("SOQL statements can not be longer than {MAX_STATEMENT_CHARS} characters"),
        ));
    }
    Ok(())
}

/// The message for a string literal longer than [`MAX_STRING_CHARS`]. Salesforce documents the limit but
/// not its error; this follows the style of its statement-length message.
pub fn string_too_long_message() -> String {
    format!("String literals can not be longer than {MAX_STRING_CHARS} characters")
}

/// The message for parentheses nested deeper than [`MAX_NESTING`].
pub fn too_deep_message() -> String {
    format!("Parentheses can not be nested more than {MAX_NESTING} levels deep")
}

/// Refuses a bound query whose WHERE or HAVING is deeper than [`MAX_FILTER_DEPTH`] or that compares with
/// more than [`MAX_FILTER_VALUES`] values, with Salesforce's `QUERY_TOO_COMPLICATED`.
pub fn check_complexity(query: &Query) -> Result<(), SoqlError> {
    if query_depth(query) > MAX_FILTER_DEPTH || query_values(query) > MAX_FILTER_VALUES {
        return Err(SoqlError::plain(
            QUERY_TOO_COMPLICATED,
            TOO_COMPLICATED_MESSAGE,
        ));
    }
    Ok(())
}

/// The depth of the deeper of a query's WHERE and HAVING (see [`MAX_FILTER_DEPTH`]).
pub fn query_depth(query: &Query) -> usize {
    let filter = query.filter.as_ref().map_or(0, depth);
    let having = query.having.as_ref().map_or(0, depth);
    filter.max(having)
}

/// The depth of one condition (see [`MAX_FILTER_DEPTH`]). Recursion is bounded by [`MAX_NESTING`].
pub fn depth(condition: &Condition) -> usize {
    match condition {
        Condition::And(parts) | Condition::Or(parts) => {
            parts.iter().map(depth).max().unwrap_or(0) + chain_levels(parts.len())
        }
        Condition::Not(inner) => depth(inner) + 1,
        Condition::Compare { .. } | Condition::Like { .. } => 1,
        Condition::In { values, .. } => {
            let alternatives = values
                .iter()
                .filter(|v| matches!(v, Value::Range(_) | Value::Literal(Literal::Null)))
                .count();
            1 + alternatives
        }
        Condition::Includes { sets, .. } => {
            let widest = sets.iter().map(Vec::len).max().unwrap_or(0);
            1 + sets.len().saturating_sub(1) + widest.saturating_sub(1)
        }
        Condition::InSubquery { subquery, .. } => 1 + query_depth(subquery),
    }
}

/// The levels a balanced tree over a chain of `n` terms adds: `ceil(log2 n)`.
fn chain_levels(n: usize) -> usize {
    n.max(1).next_power_of_two().trailing_zeros() as usize
}

/// How many values a query's WHERE and HAVING compare with (see [`MAX_FILTER_VALUES`]).
pub fn query_values(query: &Query) -> usize {
    let filter = query.filter.as_ref().map_or(0, values);
    let having = query.having.as_ref().map_or(0, values);
    filter + having
}

/// How many values one condition compares with, semi-join subqueries included.
pub fn values(condition: &Condition) -> usize {
    match condition {
        Condition::And(parts) | Condition::Or(parts) => parts.iter().map(values).sum(),
        Condition::Not(inner) => values(inner),
        Condition::Compare { right, .. } => value_count(right),
        Condition::Like { .. } => 1,
        Condition::In { values, .. } => values.iter().map(value_count).sum(),
        Condition::Includes { sets, .. } => sets.iter().map(Vec::len).sum(),
        Condition::InSubquery { subquery, .. } => query_values(subquery),
    }
}

/// A null is written as SQL's NULL, a date literal as its two bounds, anything else as one parameter.
fn value_count(value: &Value) -> usize {
    match value {
        Value::Literal(Literal::Null) => 0,
        Value::Literal(_) => 1,
        Value::Range(_) => 2,
    }
}

#[cfg(test)]
mod tests;
