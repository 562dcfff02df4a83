//! `GET /query?q=…` and `/queryAll?q=…`: one function per query shape (`SELECT COUNT()`, aggregates,
//! plain rows), and the cursors (`nextRecordsUrl`) that continue plain queries page by page.

use super::children::{NestedResults, Reading, child_statement};
use super::columns::column_metadata;
use super::json::{aggregate_record, record_json, with_reference_columns};
use super::rows::{QueryRows, StoreRows};
use crate::soql::{Mode, compile_query_at};
use crate::state::{AppState, Cursor, Cursors};
use crate::wire::{self, query_param};
use axum::http::StatusCode;
use axum::response::Response;
use bulkforce_core::ApiError;
use bulkforce_core::job::ApiVersion;
use bulkforce_core::schema::Schema;
use bulkforce_core::value::Value;
use bulkforce_soql::bound::Query;
use bulkforce_store::{Principal, QueryOptions, StoreError};
use serde_json::{Map, Value as Json, json};

/// Records per REST query page, as Salesforce's default batch size.
const REST_BATCH: u64 = 2_000;

/// Parent records per page of a statement with subqueries: their child records count toward the batch
/// (Salesforce's Query Options header), so the page holds the smallest batch Salesforce allows.
const REST_BATCH_WITH_CHILDREN: u64 = 200;

/// `GET /query?q=…` and `/queryAll?q=…`, or a later page `GET /query/{cursor}-{offset}`.
pub(super) async fn query(
    state: &AppState,
    principal: &Principal,
    version: ApiVersion,
    all_rows: bool,
    locator: Option<String>,
    uri_query: &str,
) -> Result<Response, ApiError> {
    if locator.is_none()
        && let Some(statement) = query_param(uri_query, "explain")
    {
        // `explain=` plans the statement instead of running it (a plausible plan, see `explain`).
        return super::explain::explain(state, principal, all_rows, &statement).await;
    }
    let request = QueryRequest {
        version,
        all_rows,
        locator,
        uri_query,
    };
    let schema = state.store.schema();
    let (page, bound) = match compile(
        schema,
        &state.cursors,
        principal,
        &request,
        state.clock.now(),
    )? {
        Compiled::Columns(columns) => return Ok(wire::json(StatusCode::OK, &columns)),
        Compiled::Page(page, bound) => (page, *bound),
    };
    let org = principal.org_id;
    let cursors = state.cursors.clone();
    let body = state
        .with_store(move |store| {
            let mut rows = StoreRows { store, org };
            page_json(&mut rows, &cursors, version, all_rows, page, bound)
        })
        .await?;
    Ok(wire::json(StatusCode::OK, &body))
}

/// What a query request asks for: `/query` or `/queryAll` (`all_rows`), a first page (`q` in `uri_query`) or
/// a later page of a cursor (`locator`).
pub(super) struct QueryRequest<'a> {
    pub version: ApiVersion,
    pub all_rows: bool,
    pub locator: Option<String>,
    pub uri_query: &'a str,
}

/// The answer to a query request with its rows read through `rows`: how a composite's query subrequest runs
/// the standalone resource inside its unit of writes (so it sees what earlier subrequests wrote).
pub(super) fn answer_with(
    rows: &mut dyn QueryRows,
    schema: &Schema,
    cursors: &Cursors,
    principal: &Principal,
    request: &QueryRequest,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Json, ApiError> {
    match compile(schema, cursors, principal, request, now)? {
        Compiled::Columns(columns) => Ok(columns),
        Compiled::Page(page, bound) => page_json(
            rows,
            cursors,
            request.version,
            request.all_rows,
            page,
            *bound,
        )
        .map_err(wire::store_error),
    }
}

/// A query request compiled: the `columns=true` description, or the page to read and its statement.
enum Compiled {
    Columns(Json),
    Page(PageOf, Box<Query>),
}

fn compile(
    schema: &Schema,
    cursors: &Cursors,
    principal: &Principal,
    request: &QueryRequest,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Compiled, ApiError> {
    let page = match &request.locator {
        Some(locator) => PageOf::cursor(cursors, principal, locator)?,
        None => PageOf::first(principal, request.all_rows, request.uri_query, now)?,
    };
    let bound = compile_query_at(
        schema,
        &page.cursor.soql,
        page.cursor.now,
        Mode::Rest,
        request.version,
    )?;
    // A child set's cursor pages the subquery's statement over its one parent.
    let bound = match &page.cursor.child {
        Some(child) => child_statement(bound, child).ok_or_else(invalid_locator)?,
        None => bound,
    };
    if query_param(request.uri_query, "columns").as_deref() == Some("true") {
        // `columns=true` describes the result columns instead of running the query (`sf data query`).
        return Ok(Compiled::Columns(column_metadata(&bound)));
    }
    Ok(Compiled::Page(page, Box::new(bound)))
}

/// One page of a compiled statement, in the shape its kind answers with.
fn page_json(
    rows: &mut dyn QueryRows,
    cursors: &Cursors,
    version: ApiVersion,
    all_rows: bool,
    page: PageOf,
    bound: Query,
) -> Result<Json, StoreError> {
    let options = QueryOptions {
        include_deleted: page.cursor.all_rows,
        ..QueryOptions::default()
    };
    if bound.is_count_only() {
        return count_only(rows, &bound, options);
    }
    if bound.is_aggregate() {
        return aggregate_rows(rows, &bound, options);
    }
    let resource = if all_rows { "queryAll" } else { "query" };
    record_rows(rows, cursors, version, resource, page, bound, options)
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
            child: None,
        };
        Ok(PageOf {
            cursor_id: None,
            cursor,
            offset: 0,
        })
    }

    /// A later page: `{cursor}-{offset}` of a cursor of the caller's org.
    fn cursor(cursors: &Cursors, principal: &Principal, locator: &str) -> Result<PageOf, ApiError> {
        let (id, offset) = locator.rsplit_once('-').ok_or_else(invalid_locator)?;
        let offset: u64 = offset.parse().map_err(|_| invalid_locator())?;
        let cursor = cursors
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
fn count_only(
    rows: &mut dyn QueryRows,
    bound: &Query,
    options: QueryOptions,
) -> Result<Json, StoreError> {
    let rows = rows.rows(bound, options)?;
    let total = match rows.first().and_then(|r| r.first()) {
        Some(Value::Integer(n)) => *n,
        _ => 0,
    };
    Ok(json!({ "totalSize": total, "done": true, "records": [] }))
}

/// An aggregate query: one page of at most a batch of `AggregateResult` records, never continued.
fn aggregate_rows(
    rows: &mut dyn QueryRows,
    bound: &Query,
    options: QueryOptions,
) -> Result<Json, StoreError> {
    let mut page = bound.clone();
    page.limit = Some(page.limit.unwrap_or(REST_BATCH).min(REST_BATCH));
    let rows = rows.rows(&page, options)?;
    let records: Vec<Json> = rows
        .iter()
        .map(|row| aggregate_record(bound, row))
        .collect();
    Ok(json!({ "totalSize": records.len(), "done": true, "records": records }))
}

/// A page of a plain query: the total, up to a batch of records, and a `nextRecordsUrl` (under
/// `resource`) through a cursor while rows remain.
fn record_rows(
    rows: &mut dyn QueryRows,
    cursors: &Cursors,
    version: ApiVersion,
    resource: &str,
    page: PageOf,
    bound: Query,
    options: QueryOptions,
) -> Result<Json, StoreError> {
    let PageOf {
        cursor_id,
        cursor,
        offset,
    } = page;
    let (augmented, extra) = with_reference_columns(&bound);
    // Counted as run (the store reads compound fields through their parts, never by name): the rows
    // after the statement's OFFSET, at most its LIMIT (a count ignores OFFSET and honours LIMIT).
    let skipped = bound.offset.unwrap_or(0);
    let mut counted = augmented.clone();
    counted.limit = bound.limit.map(|l| l.saturating_add(skipped));
    let total = rows.count(&counted, options)?.saturating_sub(skipped);
    let batch = if bound.children.is_empty() {
        REST_BATCH
    } else {
        REST_BATCH_WITH_CHILDREN
    };
    let mut window = augmented;
    window.offset = Some(skipped + offset);
    let remaining_limit = bound.limit.map(|l| l.saturating_sub(offset));
    window.limit = Some(remaining_limit.unwrap_or(batch).min(batch));
    let page_rows = rows.rows(&window, options)?;
    let id_of = |row: &[Value]| match row.get(extra.root_id()) {
        Some(Value::Text(id)) => Some(id.clone()),
        _ => None,
    };
    // Parent-to-child subqueries run once for the whole page; a page without them pays nothing.
    let with_children = !bound.children.is_empty();
    let ids: Vec<String> = if with_children {
        page_rows.iter().filter_map(|row| id_of(row)).collect()
    } else {
        Vec::new()
    };
    let mut reading = Reading::new(options, version, resource, cursors, &cursor);
    let mut nested = NestedResults::read(rows, &bound, &ids, &mut reading)?;
    let records: Vec<Json> = page_rows
        .iter()
        .map(|row| {
            let mut record = record_json(&bound, &extra, row, version);
            if with_children {
                nested.insert_into(&bound, id_of(row).as_deref(), &mut record);
            }
            record
        })
        .collect();
    let next = offset + page_rows.len() as u64;
    let done = next >= total;
    let mut body = Map::new();
    body.insert("totalSize".into(), json!(total));
    body.insert("done".into(), json!(done));
    if !done {
        let id = cursor_id.unwrap_or_else(|| cursors.insert(cursor));
        body.insert(
            "nextRecordsUrl".into(),
            json!(format!("/services/data/v{version}/{resource}/{id}-{next}")),
        );
    }
    body.insert("records".into(), Json::Array(records));
    Ok(Json::Object(body))
}
