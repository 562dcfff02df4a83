//! Endpoint handlers, one module per resource family. The dispatcher hands each request here with its
//! parsed [`Endpoint`]; these functions pick the handler by method and turn URL ids into typed ids.

pub mod discovery;
pub(crate) mod ingest;
mod jobs;
mod limits;
pub mod oauth;
mod query;
mod rest;
mod results;
pub(crate) mod soap;

/// What a job created outside a request (the seed) records as its origin, the same as a request's job.
pub(crate) use jobs::new_job_origin;

use crate::endpoint::Endpoint;
use crate::faults::LimitFault;
use crate::state::AppState;
use crate::wire::{self, not_allowed};
use axum::extract::Request;
use axum::http::Method;
use axum::response::Response;
use bulkforce_core::ApiError;
use bulkforce_core::id::SfId;
use bulkforce_core::job::{ApiVersion, JobKind};
use bulkforce_store::Principal;

/// Runs the handler of an endpoint that needs no bearer token.
pub async fn handle_public(
    state: &AppState,
    base: &str,
    endpoint: Endpoint,
    request: Request,
) -> Response {
    let method = request.method().clone();
    match (endpoint, method) {
        (Endpoint::Versions, method) => discovery::versions(&method),
        (Endpoint::OAuthToken, Method::POST) => oauth::token(state, base, request).await,
        (Endpoint::OAuthRevoke, Method::POST | Method::GET) => oauth::revoke(state, request).await,
        (Endpoint::SoapLogin { api, version }, Method::POST) => {
            soap::login(state, base, api, &version, request).await
        }
        (_, method) => wire::error(&not_allowed(&method, &["POST"])),
    }
}

/// Runs the handler of an authenticated request.
pub async fn handle(
    state: &AppState,
    base: &str,
    principal: Principal,
    endpoint: Endpoint,
    request: Request,
) -> Result<Response, ApiError> {
    let method = request.method().clone();
    match endpoint {
        Endpoint::Versions
        | Endpoint::OAuthToken
        | Endpoint::OAuthRevoke
        | Endpoint::SoapLogin { .. } => Ok(handle_public(state, base, endpoint, request).await),
        Endpoint::UserInfo => match method {
            Method::GET | Method::POST => oauth::userinfo(state, base, &principal).await,
            _ => Err(not_allowed(&method, &["GET", "POST"])),
        },
        Endpoint::Identity { org_id, user_id } => match method {
            Method::GET | Method::POST => {
                oauth::identity(state, base, &principal, &org_id, &user_id).await
            }
            _ => Err(not_allowed(&method, &["GET", "POST"])),
        },
        Endpoint::Limits(_) => match method {
            Method::GET => {
                let fault = request.extensions().get::<LimitFault>().copied();
                limits::limits(state, &principal, fault).await
            }
            _ => Err(not_allowed(&method, &["GET"])),
        },
        Endpoint::VersionRoot(version) => match method {
            Method::GET | Method::HEAD => Ok(discovery::version_root(version)),
            _ => Err(not_allowed(&method, &["GET", "HEAD"])),
        },
        Endpoint::Jobs { version, kind } => jobs(state, &principal, version, kind, request).await,
        Endpoint::Job { kind, job_id, .. } => {
            job(state, &principal, kind, parse_job_id(&job_id)?, request).await
        }
        Endpoint::QueryResults { version, job_id } => match method {
            Method::GET => {
                let gzip = wire::accepts_gzip(request.headers());
                let id = parse_job_id(&job_id)?;
                query::results(state, &principal, id, version, uri_query(&request), gzip).await
            }
            _ => Err(not_allowed(&method, &["GET"])),
        },
        Endpoint::ResultPages { version, job_id } => match method {
            Method::GET => {
                let id = parse_job_id(&job_id)?;
                query::result_pages(state, &principal, id, version, uri_query(&request)).await
            }
            _ => Err(not_allowed(&method, &["GET"])),
        },
        Endpoint::Batches { job_id, .. } => match method {
            Method::PUT => ingest::upload(state, &principal, parse_job_id(&job_id)?, request).await,
            _ => Err(not_allowed(&method, &["PUT"])),
        },
        Endpoint::IngestResults { job_id, file, .. } => match method {
            Method::GET => {
                let gzip = wire::accepts_gzip(request.headers());
                results::ingest(state, &principal, parse_job_id(&job_id)?, file, gzip).await
            }
            _ => Err(not_allowed(&method, &["GET"])),
        },
        rest @ (Endpoint::RestQuery { .. }
        | Endpoint::SObjects(_)
        | Endpoint::SObject { .. }
        | Endpoint::Describe { .. }
        | Endpoint::Record { .. }
        | Endpoint::RecordByExternalId { .. }
        | Endpoint::Updated { .. }
        | Endpoint::Deleted { .. }
        | Endpoint::Collections { .. }
        | Endpoint::Composite(_)
        | Endpoint::CompositeBatch(_)
        | Endpoint::CompositeTree { .. }) => {
            rest::handle(state, base, &principal, rest, request).await
        }
    }
}

/// `/jobs/{ingest|query}`: create (POST) or list (GET).
async fn jobs(
    state: &AppState,
    principal: &Principal,
    version: ApiVersion,
    kind: JobKind,
    request: Request,
) -> Result<Response, ApiError> {
    match (request.method().clone(), kind) {
        (Method::POST, JobKind::Ingest) => ingest::create(state, principal, version, request).await,
        (Method::POST, JobKind::Query) => query::create(state, principal, version, request).await,
        (Method::GET, _) => jobs::list(state, principal, version, kind, uri_query(&request)).await,
        (method, _) => Err(not_allowed(&method, &["GET", "POST"])),
    }
}

/// `/jobs/{ingest|query}/{id}`: info (GET), close or abort (PATCH), delete (DELETE).
async fn job(
    state: &AppState,
    principal: &Principal,
    kind: JobKind,
    id: SfId,
    request: Request,
) -> Result<Response, ApiError> {
    match request.method().clone() {
        Method::GET => jobs::info(state, principal, id, kind).await,
        Method::PATCH => jobs::patch(state, principal, id, kind, request).await,
        Method::DELETE => jobs::delete(state, principal, id, kind).await,
        method => Err(not_allowed(&method, &["GET", "PATCH", "DELETE"])),
    }
}

/// The request's query string ("" when there is none).
fn uri_query(request: &Request) -> &str {
    request.uri().query().unwrap_or_default()
}

/// A job id from the URL: anything that is not a job id names no job.
fn parse_job_id(text: &str) -> Result<SfId, ApiError> {
    SfId::parse(text)
        .ok()
        .filter(|id| id.key_prefix() == bulkforce_core::KeyPrefix::JOB)
        .ok_or_else(ApiError::not_found)
}
