//! The binder: resolves a parsed statement against the schema into the [`crate::bound::Query`] the
//! store runs.
//!
//! It resolves the FROM object and every field path (relationship names through reference fields, at most
//! five hops), types and converts every literal to the type of what it is compared with (resolving date
//! literals to day ranges with the context's clock and fiscal year), checks operators, grouping and
//! semi-joins, and finally refuses what the API in use does not support (Bulk query jobs refuse aggregates,
//! GROUP BY, OFFSET, parent-to-child subqueries, TYPEOF, …). Each refusal carries Salesforce's error code
//! and message, pointing at the offending token where Salesforce does.
//!
//! `Binder::select` walks a statement clause by clause, in the order Salesforce reports errors; each
//! concern lives in its own module:
//!
//! - `paths`: the FROM object, field paths through relationships, and any expression in a clause;
//! - `field_rules`: what a field may be used for (filtered, sorted, grouped, LIKE, semi-joined);
//! - `select_list`: the SELECT list, bound item by item into a `SelectList`;
//! - `functions`: aggregate and date function calls;
//! - `conditions`: WHERE and HAVING, one method per operator family;
//! - `semi_join`: `IN (SELECT …)`: where it may appear and what it may select;
//! - `literals`: literals typed and converted to what they are compared with, date literals as ranges;
//! - `grouping`: GROUP BY keys and the "grouped or aggregated" rules of aggregate queries;
//! - `order_limit`: ORDER BY keys, LIMIT and OFFSET;
//! - `api`: what Bulk query jobs and the REST query resource each refuse.

mod api;
mod child_query;
mod conditions;
mod field_rules;
mod functions;
mod grouping;
mod literals;
mod order_limit;
mod paths;
mod select_list;
mod semi_join;
mod type_of;

pub use api::{BULK_AGGREGATE, BULK_COMPOUND, BULK_OFFSET, BULK_TYPEOF};
pub use child_query::{MAX_CHILD_LEVELS, MAX_SUBQUERIES, NESTED_SUBQUERIES_FROM};
pub use order_limit::{FIELDS_LIMIT, FIELDS_NEEDS_LIMIT, MAX_OFFSET};
pub use paths::MAX_HOPS;

use crate::ast;
use crate::bound::Query;
use crate::error::SoqlError;
use crate::lexer::Span;
use crate::{BindContext, Mode};
use bulkforce_core::schema::{SObject, Schema};
use conditions::CondCtx;
use std::sync::Arc;

/// Binds `stmt`, parsed from `text`, against `schema`, with the rules of API version `api_version`
/// (its major number: nested parent-to-child subqueries need 58).
pub fn bind(
    text: &str,
    stmt: &ast::Select,
    schema: &Schema,
    ctx: &BindContext,
    mode: Mode,
    api_version: u16,
) -> Result<Query, SoqlError> {
    let query = Binder {
        text,
        schema,
        ctx,
        mode,
        api_version,
    }
    .select(stmt, Level::Top)?;
    // Only the bound query shows how complex the filter really is (date literals become ranges).
    crate::limits::check_complexity(&query)?;
    child_query::check_subquery_count(&query)?;
    Ok(query)
}

/// Whether a statement is the whole query, a semi-join's subquery, or a parent-to-child subquery that
/// many levels of subqueries below the whole query (1: a subquery of the root).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Level {
    Top,
    SemiJoin,
    Child(usize),
}

/// Where an expression appears, which decides what it may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Clause {
    Select,
    Where,
    GroupBy,
    Having,
    OrderBy,
}

/// The queried object and its FROM alias.
struct Scope {
    object: Arc<SObject>,
    alias: Option<String>,
}

/// Everything binding needs besides the statement: the text (errors echo it), the schema, the clock and
/// fiscal year, and the API whose restrictions apply.
struct Binder<'a> {
    text: &'a str,
    schema: &'a Schema,
    ctx: &'a BindContext,
    mode: Mode,
    /// The major number of the API version the statement came through.
    api_version: u16,
}

impl Binder<'_> {
    /// Salesforce's error pointing at `span`: the statement echoed with a caret under the token.
    fn err(&self, span: Span, code: &'static str, message: impl AsRef<str>) -> SoqlError {
        SoqlError::at(self.text, span.start, code, message)
    }

    /// Binds one statement, clause by clause. The order of the steps is the order in which Salesforce
    /// reports errors, so a statement with several problems gets the same first error.
    fn select(&self, stmt: &ast::Select, level: Level) -> Result<Query, SoqlError> {
        let object = self.queried_object(&stmt.from)?;
        self.select_from(stmt, object, level)
    }

    /// Binds one statement over `object` (the FROM object, or a subquery's child object).
    fn select_from(
        &self,
        stmt: &ast::Select,
        object: Arc<SObject>,
        level: Level,
    ) -> Result<Query, SoqlError> {
        let scope = Scope {
            object: object.clone(),
            alias: stmt.alias.as_ref().map(|a| a.name.clone()),
        };

        let list = self.select_list(&scope, &stmt.items)?;
        let children = if self.mode == Mode::Rest && level != Level::SemiJoin {
            self.child_queries(&scope, stmt, &list.subquery_positions, level)?
        } else {
            Vec::new()
        };
        if level == Level::SemiJoin {
            self.check_semi_join_select(stmt, &list.items)?;
        }
        let filter = self.top_condition(
            &scope,
            stmt.filter.as_ref(),
            CondCtx::new(Clause::Where, level, &[]),
        )?;
        let group_by = self.group_by(&scope, &stmt.group_by)?;
        let having = self.top_condition(
            &scope,
            stmt.having.as_ref(),
            CondCtx::new(Clause::Having, level, &group_by),
        )?;
        let order_by = self.order_by(&scope, &stmt.order_by)?;
        let (limit, offset) = order_limit::limit_and_offset(stmt, list.special.wide_fields)?;

        let aggregated =
            grouping::is_aggregated(&list.items, &group_by, having.as_ref(), &order_by);
        if level != Level::SemiJoin {
            self.check_api_support(&list.special, aggregated, offset, &list.items)?;
        }
        if aggregated {
            self.check_grouping(&list, &group_by, &stmt.order_by, &order_by)?;
        }

        Ok(Query {
            object,
            select: list.items,
            filter,
            group_by,
            having,
            order_by,
            limit,
            offset,
            children,
            per_parent: None,
        })
    }
}

/// What the unit tests of the submodules share.
#[cfg(test)]
mod test_support {
    use super::*;
    use chrono::{TimeZone, Utc};

    /// Compiles `text` against the built-in schema at a fixed "now".
    pub(super) fn compile(text: &str, mode: Mode) -> Result<Query, SoqlError> {
        let ctx = BindContext {
            now: Utc.with_ymd_and_hms(2026, 11, 29, 10, 0, 0).unwrap(),
            fiscal_year_start_month: 1,
        };
        crate::compile(text, &Schema::builtin(), &ctx, mode)
    }
}
