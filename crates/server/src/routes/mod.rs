//! Endpoint handlers, one module per resource family.

pub mod discovery;
mod ingest;
mod jobs;
mod limits;
pub mod oauth;
pub mod query;
pub mod rest;
mod results;
mod soap;

use crate::endpoint::Endpoint;
use crate::not_allowed;
use crate::state::AppState;
use axum::extract::Request;
use axum::http::Method;
use axum::response::Response;
use bulkforce_core::ApiError;
use bulkforce_core::id::SfId;
use bulkforce_core::job::JobKind;
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
        (Endpoint::SoapLogin(api, version), Method::POST) => {
            soap::login(state, base, api, &version, request).await
        }
        (_, method) => crate::http::error(&not_allowed(&method, &["POST"])),
    }
}

/// One query-string parameter, decoded.
pub fn query_param(query: &str, name: &str) -> Option<String> {
    jobs::form_pairs(query)
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
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
        | Endpoint::SoapLogin(..) => Ok(handle_public(state, base, endpoint, request).await),
        Endpoint::UserInfo => match method {
            Method::GET | Method::POST => oauth::userinfo(state, base, &principal).await,
            _ => Err(not_allowed(&method, &["GET", "POST"])),
        },
        Endpoint::Identity(org, user) => match method {
            Method::GET | Method::POST => {
                oauth::identity(state, base, &principal, &org, &user).await
            }
            _ => Err(not_allowed(&method, &["GET", "POST"])),
        },
        Endpoint::Limits(_) => match method {
            Method::GET => Ok(limits::limits(state, &principal)),
            _ => Err(not_allowed(&method, &["GET"])),
        },
        Endpoint::VersionRoot(version) => match method {
            Method::GET | Method::HEAD => Ok(discovery::version_root(version)),
            _ => Err(not_allowed(&method, &["GET", "HEAD"])),
        },
        Endpoint::Jobs(version, kind) => match (method, kind) {
            (Method::POST, JobKind::Ingest) => {
                ingest::create(state, &principal, version, request).await
            }
            (Method::POST, JobKind::Query) => {
                query::create(state, &principal, version, request).await
            }
            (Method::GET, _) => {
                let query = request.uri().query().unwrap_or_default().to_owned();
                jobs::list(state, &principal, version, kind, &query).await
            }
            (method, _) => Err(not_allowed(&method, &["GET", "POST"])),
        },
        Endpoint::Job(_, kind, id) => {
            let id = job_id(&id)?;
            match method {
                Method::GET => jobs::info(state, &principal, id, kind).await,
                Method::PATCH => jobs::patch(state, &principal, id, kind, request).await,
                Method::DELETE => jobs::delete(state, &principal, id, kind).await,
                _ => Err(not_allowed(&method, &["GET", "PATCH", "DELETE"])),
            }
        }
        Endpoint::QueryResults(version, id) => match method {
            Method::GET => {
                let gzip = crate::http::accepts_gzip(request.headers());
                let query = request.uri().query().unwrap_or_default().to_owned();
                query::results(state, &principal, job_id(&id)?, version, &query, gzip).await
            }
            _ => Err(not_allowed(&method, &["GET"])),
        },
        Endpoint::RestQuery {
            version,
            all_rows,
            cursor,
        } => match method {
            Method::GET => {
                let query = request.uri().query().unwrap_or_default().to_owned();
                rest::query(state, &principal, version, all_rows, cursor, &query).await
            }
            _ => Err(not_allowed(&method, &["GET"])),
        },
        Endpoint::SObjects(version) => match method {
            Method::GET => Ok(rest::describe_global(state, version)),
            _ => Err(not_allowed(&method, &["GET"])),
        },
        Endpoint::SObject(version, name) => match method {
            Method::GET => rest::sobject(state, version, &name),
            _ => Err(not_allowed(&method, &["GET"])),
        },
        Endpoint::Describe(version, name) => match method {
            Method::GET => rest::describe(state, version, &name),
            _ => Err(not_allowed(&method, &["GET"])),
        },
        Endpoint::Record(version, name, id) => match method {
            Method::GET => rest::record(state, &principal, version, &name, &id).await,
            _ => Err(not_allowed(&method, &["GET"])),
        },
        Endpoint::ResultPages(version, id) => match method {
            Method::GET => {
                let query = request.uri().query().unwrap_or_default().to_owned();
                query::result_pages(state, &principal, job_id(&id)?, version, &query).await
            }
            _ => Err(not_allowed(&method, &["GET"])),
        },
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
