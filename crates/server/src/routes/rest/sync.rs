//! The replication endpoints: `GET /sobjects/{Obj}/updated` and `/deleted` with `start` and `end`
//! ([`window`] holds the date rules).
//!
//! Both are SOQL statements on the normal store query path, filtered on the object's `SystemModstamp`
//! (`LastModifiedDate` where an object has none): `updated` over live records (a soft delete stamps the
//! record too, but a deleted record is `deleted`'s to report), `deleted` with queryAll semantics over
//! `IsDeleted` records, whose stamp is the deletion time (a soft delete writes `SystemModstamp` and
//! `LastModifiedDate`). A hard delete removes the row and leaves no trace, as records that skip the recycle
//! bin, so it never appears in `deleted`. Ids come in stamp order (then id order).

mod window;

use crate::soql::{Mode, compile_query};
use crate::state::AppState;
use crate::wire::{self, not_allowed};
use axum::extract::Request;
use axum::http::{Method, StatusCode};
use axum::response::Response;
use bulkforce_core::ApiError;
use bulkforce_core::id::SfId;
use bulkforce_core::job::ApiVersion;
use bulkforce_core::schema::SObject;
use bulkforce_core::value::{Value, parse_datetime};
use bulkforce_soql::bound::Query;
use bulkforce_store::{Principal, QueryOptions, Store};
use chrono::{DateTime, Utc};
use serde_json::json;
use std::sync::Arc;
use window::{Window, rest_datetime, soql_datetime, to_minute};

/// More ids than this in one window is `EXCEEDED_ID_LIMIT` (Salesforce's limit for both calls).
const MAX_IDS: usize = 600_000;

/// Objects that do not support `getUpdated`/`getDeleted` in Salesforce (describe's `replicateable` is
/// false): the Organization is setup data, read and updated but never replicated.
const NOT_REPLICATEABLE: [&str; 1] = ["Organization"];

/// `GET /sobjects/{Obj}/updated?start=…&end=…`: `{"ids":[…],"latestDateCovered":"…"}`.
pub(super) async fn updated(
    state: &AppState,
    principal: &Principal,
    _version: ApiVersion,
    object: &str,
    request: Request,
) -> Result<Response, ApiError> {
    let call = Call::read(state, object, &request)?;
    let changes = call.run(state, principal.org_id, Changes::Updated).await?;
    let ids: Vec<&str> = changes.rows.iter().map(|(id, _)| id.as_str()).collect();
    Ok(wire::json(
        StatusCode::OK,
        &json!({
            "ids": ids,
            "latestDateCovered": rest_datetime(call.window.covered_end),
        }),
    ))
}

/// `GET /sobjects/{Obj}/deleted?start=…&end=…`:
/// `{"deletedRecords":[{"id","deletedDate"}],"earliestDateAvailable":"…","latestDateCovered":"…"}`.
///
/// `earliestDateAvailable` is the oldest deletion of the object still kept (to the minute), as Salesforce
/// reports its oldest delete-log entry; deletions stay as long as the record does, but the server answers for
/// [`window::LOOK_BACK_DAYS`] only, so it is never before that floor, and it is the floor when nothing of the
/// object was deleted since.
pub(super) async fn deleted(
    state: &AppState,
    principal: &Principal,
    _version: ApiVersion,
    object: &str,
    request: Request,
) -> Result<Response, ApiError> {
    let call = Call::read(state, object, &request)?;
    let changes = call.run(state, principal.org_id, Changes::Deleted).await?;
    let records: Vec<_> = changes
        .rows
        .iter()
        .map(|(id, stamp)| json!({ "id": id, "deletedDate": rest_datetime(*stamp) }))
        .collect();
    let earliest = changes
        .oldest_deletion
        .map_or(call.window.floor, |t| to_minute(t).max(call.window.floor));
    Ok(wire::json(
        StatusCode::OK,
        &json!({
            "deletedRecords": records,
            "earliestDateAvailable": rest_datetime(earliest),
            "latestDateCovered": rest_datetime(call.window.covered_end),
        }),
    ))
}

/// Which of the two calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Changes {
    Updated,
    Deleted,
}

/// A checked request: the object, the field its changes are stamped in, the window, and the time it was
/// read at (date literals are not used, but the statement is bound at a fixed time all the same).
struct Call {
    object: Arc<SObject>,
    stamp: &'static str,
    window: Window,
    now: DateTime<Utc>,
}

/// What the store found: (id, stamp) in stamp order, and for `deleted` the oldest deletion kept.
struct Found {
    rows: Vec<(String, DateTime<Utc>)>,
    oldest_deletion: Option<DateTime<Utc>>,
}

impl Call {
    /// The method, the object and the window, in that order (an unknown object is 404 before its dates
    /// are looked at, as for every sObject resource).
    fn read(state: &AppState, name: &str, request: &Request) -> Result<Call, ApiError> {
        if request.method() != Method::GET {
            return Err(not_allowed(request.method(), &["GET"]));
        }
        let object = state
            .store
            .schema()
            .object(name)
            .cloned()
            .ok_or_else(ApiError::not_found)?;
        let stamp = stamp_field(&object).ok_or_else(|| not_replicateable(&object))?;
        let now = state.clock.now();
        let window = window::window(request.uri().query().unwrap_or_default(), now)?;
        Ok(Call {
            object,
            stamp,
            window,
            now,
        })
    }

    /// Runs the call's statement (and for `deleted` the oldest-deletion lookup) on a blocking thread.
    async fn run(&self, state: &AppState, org: SfId, changes: Changes) -> Result<Found, ApiError> {
        let schema = state.store.schema();
        let listing = compile_query(schema, &self.listing_soql(changes), self.now, Mode::Rest)?;
        let oldest = match changes {
            Changes::Updated => None,
            Changes::Deleted => Some(compile_query(
                schema,
                &self.oldest_deletion_soql(),
                self.now,
                Mode::Rest,
            )?),
        };
        let options = QueryOptions {
            include_deleted: changes == Changes::Deleted,
            ..QueryOptions::default()
        };
        let found = state
            .with_store(move |store| {
                let rows = stamped_rows(store, org, &listing, options)?;
                let oldest_deletion = match oldest {
                    Some(query) => stamped_rows(store, org, &query, options)?
                        .first()
                        .map(|(_, t)| *t),
                    None => None,
                };
                Ok(Found {
                    rows,
                    oldest_deletion,
                })
            })
            .await?;
        if found.rows.len() > MAX_IDS {
            return Err(ApiError::new(
                400,
                "EXCEEDED_ID_LIMIT",
                format!(
                    "record limit reached. cannot return more than {MAX_IDS} ids: use a shorter window"
                ),
            ));
        }
        Ok(found)
    }

    /// The ids (and stamps) of the window, one more than the limit at most so that the limit is seen.
    fn listing_soql(&self, changes: Changes) -> String {
        let deleted_only = match changes {
            Changes::Updated => "",
            Changes::Deleted => "IsDeleted = true AND ",
        };
        format!(
            "SELECT Id, {stamp} FROM {object} WHERE {deleted_only}{stamp} >= {start} AND {stamp} < {end} \
             ORDER BY {stamp}, Id LIMIT {limit}",
            stamp = self.stamp,
            object = self.object.name,
            start = soql_datetime(self.window.start),
            end = soql_datetime(self.window.covered_end),
            limit = MAX_IDS + 1,
        )
    }

    /// The oldest deletion of the object still kept.
    fn oldest_deletion_soql(&self) -> String {
        format!(
            "SELECT Id, {stamp} FROM {object} WHERE IsDeleted = true AND {stamp} != null \
             ORDER BY {stamp}, Id LIMIT 1",
            stamp = self.stamp,
            object = self.object.name,
        )
    }
}

/// The field an object's changes are stamped in: `SystemModstamp`, else `LastModifiedDate` (Salesforce's
/// order); none for an object that is not replicateable.
fn stamp_field(object: &SObject) -> Option<&'static str> {
    if NOT_REPLICATEABLE
        .iter()
        .any(|n| n.eq_ignore_ascii_case(&object.name))
    {
        return None;
    }
    ["SystemModstamp", "LastModifiedDate"]
        .into_iter()
        .find(|name| object.field(name).is_some())
}

/// 400 for `updated`/`deleted` on an object Salesforce does not replicate (its describe says
/// `replicateable: false`); `INVALID_TYPE_FOR_OPERATION` is Salesforce's code for an sObject type that is
/// not valid for the operation.
fn not_replicateable(object: &SObject) -> ApiError {
    ApiError::new(
        400,
        "INVALID_TYPE_FOR_OPERATION",
        format!(
            "entity type {} does not support replication (it is not replicateable)",
            object.name
        ),
    )
}

/// Runs `SELECT Id, <stamp> …` and reads each row as (id, stamp); both statements filter on the stamp, so
/// every row has one.
fn stamped_rows(
    store: &dyn Store,
    org: SfId,
    query: &Query,
    options: QueryOptions,
) -> bulkforce_store::Result<Vec<(String, DateTime<Utc>)>> {
    let mut rows = Vec::new();
    store.run_query(org, query, options, &mut |values| {
        if let [Value::Text(id), Value::Text(stamp)] = values
            && let Some(stamp) = parse_datetime(stamp)
        {
            rows.push((id.clone(), stamp));
        }
        Ok(true)
    })?;
    Ok(rows)
}
