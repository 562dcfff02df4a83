//! The one dispatcher every request goes through: parse the endpoint, authenticate, count the request
//! against the org's allocation, run the handler, and add Salesforce's common response headers.

use crate::config::is_host_and_port;
use crate::endpoint::Endpoint;
use crate::routes;
use crate::state::AppState;
use crate::wire;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::HeaderValue;
use axum::response::Response;
use bulkforce_core::ApiError;
use bulkforce_core::id::SfId;
use bulkforce_store::{ApiCounter, Principal};
use chrono::Utc;
use sha2::{Digest, Sha256};

pub async fn dispatch(State(state): State<AppState>, request: Request) -> Response {
    let path = request.uri().path().to_owned();
    let method = request.method().clone();
    let base = base_url(&state, &request);
    let endpoint = Endpoint::parse(&path);
    let token = endpoint
        .as_ref()
        .ok()
        .and_then(|endpoint| token_of(&request, endpoint));
    let (mut response, used) = match endpoint {
        Err(e) => (wire::error(&e), 0),
        Ok(endpoint) if endpoint.is_public() => (
            routes::handle_public(&state, &base, endpoint, request).await,
            0,
        ),
        Ok(endpoint) => match authenticate(&state, token).await {
            Err(e) => (wire::error(&e), 0),
            Ok(principal) => match count_request(&state, principal.org_id).await {
                Err(e) => (wire::error(&e), 0),
                Ok(used)
                    if state.config.enforce_api_limits
                        && used > state.config.daily_api_requests =>
                {
                    (
                        wire::error(&ApiError::new(
                            403,
                            "REQUEST_LIMIT_EXCEEDED",
                            "TotalRequests Limit exceeded.",
                        )),
                        used,
                    )
                }
                Ok(used) => (
                    routes::handle(&state, &base, principal, endpoint, request)
                        .await
                        .unwrap_or_else(|e| wire::error(&e)),
                    used,
                ),
            },
        },
    };
    let limit = format!("api-usage={used}/{}", state.config.daily_api_requests);
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&limit) {
        headers.insert("Sforce-Limit-Info", value);
    }
    headers.insert(
        "Cache-Control",
        HeaderValue::from_static("no-cache,must-revalidate,max-age=0,no-store,private"),
    );
    tracing::debug!(%method, %path, status = response.status().as_u16(), "request");
    response
}

/// Counts one API call against the org's rolling 24-hour allocation (in the store, so every instance
/// sharing it counts together); returns the org's total including this call.
async fn count_request(state: &AppState, org: SfId) -> Result<u64, ApiError> {
    state
        .with_store(move |store| store.add_api_usage(org, ApiCounter::ApiRequests, 1, Utc::now()))
        .await
}

/// The URL clients reached this server at (`instance_url`, `serverUrl`, identity URLs): `--public-url`
/// when given; else the request's Host header when it is a plain `host[:port]` (anything else, as a
/// header carrying markup or a path, is never echoed), else the listening address; https when serving
/// TLS.
fn base_url(state: &AppState, request: &Request<Body>) -> String {
    if let Some(url) = &state.config.public_url {
        return url.clone();
    }
    let scheme = if state.config.tls.is_some() {
        "https"
    } else {
        "http"
    };
    let host = request
        .headers()
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_owned)
        .or_else(|| {
            request
                .uri()
                .authority()
                .map(std::string::ToString::to_string)
        })
        .filter(|host| is_host_and_port(host))
        .unwrap_or_else(|| state.config.listen.to_string());
    format!("{scheme}://{host}")
}

/// The token of `Authorization: Bearer <token>` or Salesforce's older `OAuth <token>` (the scheme in any
/// case, as HTTP auth schemes are), or of an `oauth_token` query parameter on the identity URL, the only
/// place Salesforce documents it: elsewhere a token in a URL (logged, cached, sent as Referer) is refused.
fn token_of(request: &Request<Body>, endpoint: &Endpoint) -> Option<String> {
    let header = request
        .headers()
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok());
    let token = match header {
        Some(header) => {
            let (scheme, token) = header.trim_start().split_once(' ')?;
            if !(scheme.eq_ignore_ascii_case("Bearer") || scheme.eq_ignore_ascii_case("OAuth")) {
                return None;
            }
            token.trim().to_owned()
        }
        None if matches!(endpoint, Endpoint::Identity { .. }) => {
            wire::query_param(request.uri().query().unwrap_or_default(), "oauth_token")?
        }
        None => return None,
    };
    (!token.is_empty()).then_some(token)
}

/// The principal of a token; 401 `INVALID_SESSION_ID` for none or an unknown one. The `--access-token`
/// of this run stands for the default org's admin without being stored: it lives exactly as long as the
/// server runs with that flag (compared by digest, so the comparison takes the same time wherever the
/// tokens differ).
async fn authenticate(state: &AppState, token: Option<String>) -> Result<Principal, ApiError> {
    let token = token.ok_or_else(ApiError::invalid_session)?;
    let flag =
        state.config.access_token.as_deref().is_some_and(|flag| {
            Sha256::digest(flag.as_bytes()) == Sha256::digest(token.as_bytes())
        });
    state
        .with_store(move |store| {
            if flag {
                store.ensure_default_org().map(Some)
            } else {
                store.authenticate(&token)
            }
        })
        .await?
        .ok_or_else(ApiError::invalid_session)
}
