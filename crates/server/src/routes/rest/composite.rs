//! `POST /composite` (up to 25 subrequests with references between them, in one unit of writes) and
//! `POST /composite/batch` (up to 25 independent subrequests). `GET /composite` lists the composite
//! resources. Subrequests run the standalone resources' own functions ([`subrequest`]), so each answers
//! exactly as its resource would.

mod batch;
mod references;
mod request;
mod subrequest;
mod transaction;
mod writes;

use crate::state::AppState;
use crate::wire::{self, not_allowed};
use axum::extract::Request;
use axum::http::{Method, StatusCode};
use axum::response::Response;
use bulkforce_core::ApiError;
use bulkforce_core::job::ApiVersion;
use bulkforce_store::Principal;
use request::{BatchRequest, CompositeRequest};
use serde_json::{Value as Json, json};
use subrequest::Context;

/// Largest composite or composite batch body read: up to five collections of 200 records among its 25
/// subrequests.
const MAX_BODY: usize = 16 * 1024 * 1024;

/// `/composite`: `POST` runs a composite request, `GET` lists the composite resources.
pub(super) async fn composite(
    state: &AppState,
    _base: &str,
    principal: &Principal,
    version: ApiVersion,
    request: Request,
) -> Result<Response, ApiError> {
    let method = request.method().clone();
    if method == Method::GET {
        let root = format!("/services/data/v{version}/composite");
        return Ok(wire::json(
            StatusCode::OK,
            &json!({ "tree": format!("{root}/tree"), "batch": format!("{root}/batch"), "sobjects": format!("{root}/sobjects") }),
        ));
    }
    if method != Method::POST {
        return Err(not_allowed(&method, &["GET", "POST"]));
    }
    let body = wire::body_up_to(request, MAX_BODY).await?;
    let parsed = CompositeRequest::parse(&body)?;
    let ctx = context(state, principal, parsed.all_or_none);
    let replies = state
        .with_store(move |store| {
            let ctx = ctx.for_org(store)?;
            transaction::run(store, &ctx, version, &parsed)
        })
        .await?;
    let replies: Vec<Json> = replies.iter().map(transaction::Reply::to_json).collect();
    Ok(wire::json(
        StatusCode::OK,
        &json!({ "compositeResponse": replies }),
    ))
}

/// `POST /composite/batch`.
pub(super) async fn batch(
    state: &AppState,
    _base: &str,
    principal: &Principal,
    version: ApiVersion,
    request: Request,
) -> Result<Response, ApiError> {
    let method = request.method().clone();
    if method != Method::POST {
        return Err(not_allowed(&method, &["POST"]));
    }
    let body = wire::body_up_to(request, MAX_BODY).await?;
    let parsed = BatchRequest::parse(&body, version)?;
    let ctx = context(state, principal, false);
    let answer = state
        .with_store(move |store| {
            let ctx = ctx.for_org(store)?;
            batch::run(store, &ctx, &parsed)
        })
        .await?;
    Ok(wire::json(StatusCode::OK, &answer))
}

fn context(state: &AppState, principal: &Principal, all_or_none: bool) -> Context {
    Context {
        schema: state.store.schema().clone(),
        cursors: state.cursors.clone(),
        principal: principal.clone(),
        now: state.clock.now(),
        all_or_none,
    }
}
