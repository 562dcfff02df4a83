//! Endpoint handlers, one module per resource family.

pub mod discovery;
mod ingest;
mod results;

use crate::endpoint::Endpoint;
use crate::not_allowed;
use crate::state::AppState;
use axum::extract::Request;
use axum::http::Method;
use axum::response::Response;
use bulkforce_core::ApiError;
use bulkforce_core::id::SfId;
use bulkforce_store::Principal;

/// Runs the handler of an authenticated request.
pub async fn handle(
    state: &AppState,
    principal: Principal,
    endpoint: Endpoint,
    request: Request,
) -> Result<Response, ApiError> {
    let method = request.method().clone();
    match endpoint {
        Endpoint::Versions => Ok(discovery::versions(&method)),
        Endpoint::VersionRoot(version) => match method {
            Method::GET | Method::HEAD => Ok(discovery::version_root(version)),
            _ => Err(not_allowed(&method, &["GET", "HEAD"])),
        },
        Endpoint::Jobs(version, _) => match method {
            Method::POST => ingest::create(state, &principal, version, request).await,
            Method::GET => {
                let query = request.uri().query().unwrap_or_default().to_owned();
                ingest::list(state, &principal, version, &query).await
            }
            _ => Err(not_allowed(&method, &["GET", "POST"])),
        },
        Endpoint::Job(_, _, id) => {
            let id = job_id(&id)?;
            match method {
                Method::GET => ingest::info(state, &principal, id).await,
                Method::PATCH => ingest::patch(state, &principal, id, request).await,
                Method::DELETE => ingest::delete(state, &principal, id).await,
                _ => Err(not_allowed(&method, &["GET", "PATCH", "DELETE"])),
            }
        }
        Endpoint::Batches(_, id) => match method {
            Method::PUT => ingest::upload(state, &principal, job_id(&id)?, request).await,
            _ => Err(not_allowed(&method, &["PUT"])),
        },
        Endpoint::IngestResults(_, id, file) => match method {
            Method::GET => {
                let gzip = crate::http::accepts_gzip(request.headers());
                results::ingest(state, &principal, job_id(&id)?, file, gzip).await
            }
            _ => Err(not_allowed(&method, &["GET"])),
        },
    }
}

/// A job id from the URL: anything that is not a job id names no job.
fn job_id(text: &str) -> Result<SfId, ApiError> {
    SfId::parse(text)
        .ok()
        .filter(|id| id.key_prefix() == bulkforce_core::KeyPrefix::JOB)
        .ok_or_else(ApiError::not_found)
}
