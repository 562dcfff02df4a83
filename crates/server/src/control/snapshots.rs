//! `/_bulkforce/snapshots`: consistent copies of every org's records and jobs (with their uploads and
//! results), taken while jobs may run, to restore later.
//!
//! - `POST /_bulkforce/snapshots` `{"name":"N"}` → 201 `{"name","createdDate","orgs":N}`; a name is
//!   `[A-Za-z0-9._-]{1,64}`, not starting with '.' (else 400 `INVALID_NAME`); a taken one → 409
//!   `DUPLICATE_NAME`;
//! - `GET /_bulkforce/snapshots` → 200 `{"snapshots":[…]}`, oldest first;
//! - `POST /_bulkforce/snapshots/{name}/restore` → 204: every org's records and jobs as in the snapshot
//!   (an org it does not hold is reset; users, apps, tokens and API counters stay); the REST query
//!   cursors are forgotten and the workers woken, so the jobs that were running in the snapshot resume;
//! - `DELETE /_bulkforce/snapshots/{name}` → 204.
//!
//! Unknown names → 404.

use super::{SnapshotPath, answer, bad_request, method_not_allowed, no_content, not_found};
use crate::state::AppState;
use crate::wire;
use axum::extract::Request;
use axum::http::{Method, StatusCode};
use axum::response::Response;
use bulkforce_core::clock::format_instant;
use bulkforce_store::snapshot::check_name;
use bulkforce_store::{SnapshotInfo, Store, StoreError};
use serde_json::{Value, json};

const INVALID_NAME: &str = "INVALID_NAME";

pub(super) async fn handle(state: &AppState, path: SnapshotPath, request: Request) -> Response {
    let method = request.method().clone();
    match path {
        SnapshotPath::All if method == Method::GET || method == Method::HEAD => list(state).await,
        SnapshotPath::All if method == Method::POST => match name_of(request).await {
            Ok(name) => create(state, name).await,
            Err(refused) => refused,
        },
        SnapshotPath::All => method_not_allowed("GET, HEAD, POST"),
        SnapshotPath::One(name) if method == Method::DELETE => delete(state, name).await,
        SnapshotPath::One(_) => method_not_allowed("DELETE"),
        SnapshotPath::Restore(name) if method == Method::POST => restore(state, name).await,
        SnapshotPath::Restore(_) => method_not_allowed("POST"),
    }
}

async fn list(state: &AppState) -> Response {
    match blocking(state, |store, _| store.list_snapshots()).await {
        Ok(snapshots) => {
            let snapshots: Vec<Value> = snapshots.iter().map(snapshot_json).collect();
            answer(StatusCode::OK, &json!({ "snapshots": snapshots }))
        }
        Err(refused) => refused,
    }
}

async fn create(state: &AppState, name: String) -> Response {
    match blocking(state, move |store, blobs| {
        store.create_snapshot(&name, blobs)
    })
    .await
    {
        Ok(info) => answer(StatusCode::CREATED, &snapshot_json(&info)),
        Err(refused) => refused,
    }
}

async fn restore(state: &AppState, name: String) -> Response {
    match blocking(state, move |store, blobs| {
        store.restore_snapshot(&name, blobs)
    })
    .await
    {
        Ok(info) => {
            state.cursors.forget(None);
            state.wake.notify_waiters();
            tracing::info!(snapshot = info.name, "snapshot restored");
            no_content()
        }
        Err(refused) => refused,
    }
}

async fn delete(state: &AppState, name: String) -> Response {
    match blocking(state, move |store, _| store.delete_snapshot(&name)).await {
        Ok(()) => no_content(),
        Err(refused) => refused,
    }
}

/// The name a create body gives, checked; else the 400 that says what is wrong.
async fn name_of(request: Request) -> Result<String, Response> {
    let body = wire::small_body(request).await.map_err(|e| {
        failure(
            StatusCode::from_u16(e.status).unwrap_or(StatusCode::BAD_REQUEST),
            &e.error_code,
            &e.message,
        )
    })?;
    let name = serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|v| v.get("name").and_then(Value::as_str).map(str::to_owned))
        .ok_or_else(|| bad_request(INVALID_NAME, r#"expected {"name":"<snapshot name>"}"#))?;
    check_name(&name).map_err(|e| bad_request(INVALID_NAME, &e.to_string()))?;
    Ok(name)
}

/// Runs snapshot work on a blocking thread with the store and the blob store; a store error becomes its
/// control answer.
async fn blocking<T, F>(state: &AppState, work: F) -> Result<T, Response>
where
    F: FnOnce(&dyn Store, &dyn bulkforce_store::blob::BlobStore) -> Result<T, StoreError>
        + Send
        + 'static,
    T: Send + 'static,
{
    let (store, blobs) = (state.store.clone(), state.blobs.clone());
    let _busy = crate::connections::server_busy();
    match tokio::task::spawn_blocking(move || work(&*store, &*blobs)).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(e)) => Err(store_failure(e)),
        Err(e) => {
            let e = wire::internal_error(&e);
            Err(failure(
                StatusCode::INTERNAL_SERVER_ERROR,
                &e.error_code,
                &e.message,
            ))
        }
    }
}

fn store_failure(e: StoreError) -> Response {
    match e {
        StoreError::NotFound(message) => not_found(&message),
        StoreError::Duplicate(message) => failure(StatusCode::CONFLICT, "DUPLICATE_NAME", &message),
        StoreError::Invalid(message) => bad_request(INVALID_NAME, &message),
        e => {
            let e = wire::store_error(e);
            failure(StatusCode::INTERNAL_SERVER_ERROR, &e.error_code, &e.message)
        }
    }
}

fn failure(status: StatusCode, error_code: &str, message: &str) -> Response {
    answer(
        status,
        &json!({"errorCode": error_code, "message": message}),
    )
}

fn snapshot_json(info: &SnapshotInfo) -> Value {
    json!({
        "name": info.name,
        "createdDate": format_instant(info.created),
        "orgs": info.orgs.len(),
    })
}
