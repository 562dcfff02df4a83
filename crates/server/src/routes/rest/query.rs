//! `GET /query?q=…` and `/queryAll?q=…`: one function per query shape (`SELECT COUNT()`, aggregates,
//! plain rows), and the cursors (`nextRecordsUrl`) that continue plain queries page by page.

use super::columns::column_metadata;
use super::json::{aggregate_record, record_json, with_reference_columns};
use super::rows::collect;
use crate::soql::{Mode, compile_query};
use crate::state::{AppState, Cursor};
use crate::wire::{self, query_param};
use axum::http::StatusCode;
use axum::response::Response;
use bulkforce_core::ApiError;
use bulkforce_core::id::SfId;
use bulkforce_core::job::ApiVersion;
use bulkforce_core::value::Value;
use bulkforce_soql::bound::Query;
use bulkforce_store::{Principal, QueryOptions};
use serde_json::{Map, Value as Json, json};

/// Records per REST query page, as Salesforce's default batch size.
const REST_BATCH: u64 = 2_000;

/// `GET /query?q=…` and `/queryAll?q=…`, or a later page `GET /query/{cursor}-{offset}`.
pub(super) async fn query(
    state: &AppState,
    principal: &Principal,
    version: ApiVersion,
    all_rows: bool,
    locator: Option<String>,
    uri_query: &str,
) -> Result<Response, ApiError> {
    let page = match locator {
        Some(locator) => PageOf::cursor(state, principal, &locator)?,
        None => PageOf::first(principal, all_rows, uri_query, state.clock.now())?,
    };
    let cursor = &page.cursor;
    let bound = compile_query(state.store.schema(), &cursor.soql, cursor.now, Mode::Rest)?;
    if query_param(uri_query, "columns").as_deref() == Some("true") {
        // `columns=true` describes the result columns instead of running the query (`sf data query`).
        return Ok(wire::json(StatusCode::OK, &column_metadata(&bound)));
    }
    let options = QueryOptions {
        include_deleted: cursor.all_rows,
        ..QueryOptions::default()
    };
    let org = principal.org_id;
    if bound.is_count_only() {
        return count_only(state, org, bound, options).await;
    }
    if bound.is_aggregate() {
        return aggregate_rows(state, org, bound, options).await;
    }
    let resource = if all_rows { "queryAll" } else { "query" };
    let body = record_rows(state, org, version, resource, page, bound, options).await?;
    Ok(wire::json(StatusCode::OK, &body))
}

/// Which page of which statement a request asks for.
struct PageOf {
    /// The id of the cursor the request continues; `None` on a first page.
    cursor_id: Option<String>,
    cursor: Cursor,
    /// Rows of the statement's result before this page.
    offset: u64,
}

impl PageOf {
    /// The first page of the `q` parameter's statement, its date literals anchored at `now`.
    fn first(
        principal: &Principal,
        all_rows: bool,
        uri_query: &str,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<PageOf, ApiError> {
        let soql = query_param(uri_query, "q")
            .filter(|v| !v.trim().is_empty())
            .ok_or_else(|| {
                ApiError::new(400, "MALFORMED_QUERY", "A query string has to be specified")
            })?;
        let cursor = Cursor {
            org: principal.org_id,
            soql,
            all_rows,
            now,
        };
        Ok(PageOf {
            cursor_id: None,
            cursor,
            offset: 0,
        })
    }

    /// A later page: `{cursor}-{offset}` of a cursor of the caller's org.
    fn cursor(state: &AppState, principal: &Principal, locator: &str) -> Result<PageOf, ApiError> {
        let (id, offset) = locator.rsplit_once('-').ok_or_else(invalid_locator)?;
        let offset: u64 = offset.parse().map_err(|_| invalid_locator())?;
        let cursor = state
            .cursors
            .get(id)
            .filter(|c| c.org == principal.org_id)
            .ok_or_else(invalid_locator)?;
        Ok(PageOf {
            cursor_id: Some(id.to_owned()),
            cursor,
            offset,
        })
    }
}

fn invalid_locator() -> ApiError {
    ApiError::new(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
}

/// `SELECT COUNT() …` computes its count itself: one row, one integer, no records.
async fn count_only(
    state: &AppState,
    org: SfId,
    bound: Query,
    options: QueryOptions,
) -> Result<Response, ApiError> {
    let rows = state
        .with_store(move |store| collect(store, org, &bound, options))
        .await?;
    let total = match rows.first().and_then(|r| r.first()) {
        Some(Value::Integer(n)) => *n,
        _ => 0,
    };
    Ok(wire::json(
        StatusCode::OK,
        &json!({ "totalSize": total, "done": true, "records": [] }),
    ))
}

/// An aggregate query: one page of at most a batch of `AggregateResult` records, never continued.
async fn aggregate_rows(
    state: &AppState,
    org: SfId,
    bound: Query,
    options: QueryOptions,
) -> Result<Response, ApiError> {
    let mut page = bound.clone();
    page.limit = Some(page.limit.unwrap_or(REST_BATCH).min(REST_BATCH));
    let rows = state
        .with_store(move |store| collect(store, org, &page, options))
        .await?;
    let records: Vec<Json> = rows
        .iter()
        .map(|row| aggregate_record(&bound, row))
        .collect();
    Ok(wire::json(
        StatusCode::OK,
        &json!({ "totalSize": records.len(), "done": true, "records": records }),
    ))
}

/// A page of a plain query: the total, up to a batch of records, and a `nextRecordsUrl` (under
/// `resource`) through a cursor while rows remain.
async fn record_rows(
    state: &AppState,
    org: SfId,
    version: ApiVersion,
    resource: &str,
    page: PageOf,
    bound: Query,
    options: QueryOptions,
) -> Result<Json, ApiError> {
    let PageOf {
        cursor_id,
        cursor,
        offset,
    } = page;
    let (augmented, extra) = with_reference_columns(&bound);
    let mut window = augmented;
    window.offset = Some(bound.offset.unwrap_or(0) + offset);
    let remaining_limit = bound.limit.map(|l| l.saturating_sub(offset));
    window.limit = Some(remaining_limit.unwrap_or(REST_BATCH).min(REST_BATCH));
    let counted = bound.clone();
    let (total, rows) = state
        .with_store(move |store| {
            let total = store.count_query(org, &counted, options)?;
            Ok((total, collect(store, org, &window, options)?))
        })
        .await?;
    let records: Vec<Json> = rows
        .iter()
        .map(|row| record_json(&bound, &extra, row, version))
        .collect();
    let next = offset + rows.len() as u64;
    let done = next >= total;
    let mut body = Map::new();
    body.insert("totalSize".into(), json!(total));
    body.insert("done".into(), json!(done));
    if !done {
        let id = cursor_id.unwrap_or_else(|| state.cursors.insert(cursor));
        body.insert(
            "nextRecordsUrl".into(),
            json!(format!("/services/data/v{version}/{resource}/{id}-{next}")),
        );
    }
    body.insert("records".into(), Json::Array(records));
    Ok(Json::Object(body))
}
