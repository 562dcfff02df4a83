//! SOQL compilation for the server: errors as API errors, date literals relative to a fixed instant.

use bulkforce_core::ApiError;
use bulkforce_core::schema::Schema;
use bulkforce_soql::bound::Query;
use bulkforce_soql::{BindContext, compile};
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
    let ctx = BindContext {
        now,
        fiscal_year_start_month: FISCAL_YEAR_START_MONTH,
    };
    compile(text, schema, &ctx, mode).map_err(|e| ApiError::new(400, e.code, e.message))
}
