//! The one dispatcher every request goes through: a control path (`/_bulkforce/…`, `/metrics`) goes to
//! `control`; any other is a Salesforce request: parse the endpoint, authenticate, count the request
//! against the org's allocation, run the handler, and add Salesforce's common response headers. Every
//! answered request is counted in the metrics and logged in the request log.

use crate::config::is_host_and_port;
use crate::control;
use crate::endpoint::Endpoint;
use crate::faults::{self, LimitFault};
use crate::observe::RequestEntry;
use crate::observe::request_log::redact_path;
use crate::routes;
use crate::state::AppState;
use crate::wire;
use axum::body::{Body, HttpBody};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, header};
use axum::response::Response;
use bulkforce_core::ApiError;
use bulkforce_core::id::SfId;
use bulkforce_store::{ApiCounter, Principal};
use chrono::{SecondsFormat, Utc};
use sha2::{Digest, Sha256};
use std::time::Instant;

pub async fn dispatch(State(state): State<AppState>, request: Request) -> Response {
    let arrived = Arrival::of(&request);
    let (response, served) = match control::Route::parse(request.uri().path()) {
        Some(route) => {
            let name = route.name();
            let read = matches!(*request.method(), Method::GET | Method::HEAD);
            (
                control::handle(&state, route, request).await,
                Served {
                    route: name,
                    org: None,
                    job_id: None,
                    logged: !read,
                },
            )
        }
        None => salesforce(&state, request).await,
    };
    observe(&state, arrived, &served, &response);
    response
}

/// Which handler served a request, for metrics and the request log.
struct Served {
    route: &'static str,
    org: Option<SfId>,
    job_id: Option<String>,
    /// Whether the request log keeps it: every Salesforce request, and control requests that act. Control
    /// reads (health probes, scrapes, the dashboard's polling) are left out, or a dashboard left open or a
    /// scraper would push the client requests the log exists to show out of its ring; metrics count them.
    logged: bool,
}

/// What is known of a request when it arrives.
struct Arrival {
    /// Wall-clock time, not the emulated clock: the request log is for operators, beside other logs.
    at: chrono::DateTime<Utc>,
    started: Instant,
    method: Method,
    path: String,
    bytes_in: Option<u64>,
}

impl Arrival {
    fn of(request: &Request) -> Arrival {
        Arrival {
            at: Utc::now(),
            started: Instant::now(),
            method: request.method().clone(),
            path: redact_path(request.uri().path(), request.uri().query()),
            bytes_in: request
                .headers()
                .get(header::CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok()?.parse().ok()),
        }
    }
}

/// Counts the answered request in the metrics and, when it is [`Served::logged`], adds it to the request log.
fn observe(state: &AppState, arrived: Arrival, served: &Served, response: &Response) {
    let elapsed = arrived.started.elapsed();
    let status = response.status().as_u16();
    let observers = &state.observers;
    observers
        .metrics
        .request(served.route, arrived.method.as_str(), status, elapsed);
    if !served.logged {
        return;
    }
    observers.requests.push(RequestEntry {
        time: arrived.at.to_rfc3339_opts(SecondsFormat::Millis, true),
        method: arrived.method.to_string(),
        path: arrived.path,
        status,
        milliseconds: elapsed.as_secs_f64() * 1000.0,
        org: served.org.map(|org| org.to_string()),
        job_id: served.job_id.clone(),
        bytes_in: arrived.bytes_in,
        bytes_out: response.body().size_hint().exact(),
    });
}

/// A Salesforce request: the endpoint, authentication, the org's allocation, the handler, and Salesforce's
/// common headers.
async fn salesforce(state: &AppState, request: Request) -> (Response, Served) {
    let path = request.uri().path().to_owned();
    let method = request.method().clone();
    let base = base_url(state, &request);
    let endpoint = Endpoint::parse(&path);
    let token = endpoint
        .as_ref()
        .ok()
        .and_then(|endpoint| token_of(&request, endpoint));
    let mut served = Served {
        route: endpoint.as_ref().map_or("unknown", Endpoint::route),
        org: None,
        job_id: endpoint
            .as_ref()
            .ok()
            .and_then(Endpoint::job_id)
            .map(str::to_owned),
        logged: true,
    };
    // A fault rule may answer instead of the handler (nothing read, nothing changed), or delay it.
    let (mut response, used) =
        match faults::http::intercept(&state.faults, method.as_str(), &path).await {
            Some(injected) => (injected, 0),
            None => handled(state, &base, endpoint, token, request, &mut served).await,
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
    (response, served)
}

/// The handler's answer to a request (after authentication, unless its endpoint is public), and the org's
/// usage including it.
async fn handled(
    state: &AppState,
    base: &str,
    endpoint: Result<Endpoint, ApiError>,
    token: Option<String>,
    request: Request,
    served: &mut Served,
) -> (Response, u64) {
    match endpoint {
        Err(e) => (wire::error(&e), 0),
        Ok(endpoint) if endpoint.is_public() => (
            routes::handle_public(state, base, endpoint, request).await,
            0,
        ),
        Ok(endpoint) => match authenticate(state, token).await {
            Err(e) => (wire::error(&e), 0),
            Ok(principal) => {
                served.org = Some(principal.org_id);
                authorized(state, base, principal, endpoint, request).await
            }
        },
    }
}

/// An authenticated request: counted against the org's allocation (refused past it when limits are
/// enforced), then handled. Returns the answer and the org's usage including this call.
async fn authorized(
    state: &AppState,
    base: &str,
    principal: Principal,
    endpoint: Endpoint,
    mut request: Request,
) -> (Response, u64) {
    let used = match count_request(state, principal.org_id).await {
        Err(e) => return (wire::error(&e), 0),
        Ok(used) => used,
    };
    state
        .observers
        .metrics
        .api_request(principal.org_id.as_str());
    let max = state.config.daily_api_requests;
    // A limit fault makes the allocation look nearly spent: this request and `/limits` see its remainder.
    let (used, exceeded) = match state.faults.limit() {
        Some(remaining) => {
            request.extensions_mut().insert(LimitFault { remaining });
            (used.max(max.saturating_sub(remaining)), remaining == 0)
        }
        None => (used, state.config.enforce_api_limits && used > max),
    };
    if exceeded {
        let refused = ApiError::new(
            403,
            "REQUEST_LIMIT_EXCEEDED",
            "TotalRequests Limit exceeded.",
        );
        return (wire::error(&refused), used);
    }
    let response = routes::handle(state, base, principal, endpoint, request)
        .await
        .unwrap_or_else(|e| wire::error(&e));
    (response, used)
}

/// Counts one API call against the org's rolling 24-hour allocation (in the store, so every instance
/// sharing it counts together); returns the org's total including this call.
async fn count_request(state: &AppState, org: SfId) -> Result<u64, ApiError> {
    state
        .with_store(move |store| {
            store.add_api_usage(org, ApiCounter::ApiRequests, 1, store.clock().now())
        })
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
