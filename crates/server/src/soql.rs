//! SOQL compilation for the server: errors as API errors, date literals relative to a fixed instant.

use bulkforce_core::ApiError;
use bulkforce_core::job::ApiVersion;
use bulkforce_core::schema::Schema;
use bulkforce_soql::bound::Query;
use bulkforce_soql::{BindContext, compile_at_version};
use chrono::{DateTime, Utc};

pub use bulkforce_soql::Mode;

/// The org's fiscal year starts in January (the default of a new Salesforce org).
pub const FISCAL_YEAR_START_MONTH: u32 = 1;

/// Compiles `text` for `mode`; `now` anchors date literals (a query job uses its creation time, so a
/// restart re-runs the same statement).
pub fn compile_query(
    schema: &Schema,
    text: &str,
    now: DateTime<Utc>,
    mode: Mode,
) -> Result<Query, ApiError> {
    compile_query_at(schema, text, now, mode, ApiVersion(u16::MAX))
}

/// [`compile_query`] with the rules of the request's API `version` (nested parent-to-child subqueries
/// need 58.0).
pub fn compile_query_at(
    schema: &Schema,
    text: &str,
    now: DateTime<Utc>,
    mode: Mode,
    version: ApiVersion,
) -> Result<Query, ApiError> {
    let ctx = BindContext {
        now,
        fiscal_year_start_month: FISCAL_YEAR_START_MONTH,
    };
    compile_at_version(text, schema, &ctx, mode, version.0)
        .map_err(|e| ApiError::new(400, e.code, e.message))
}
