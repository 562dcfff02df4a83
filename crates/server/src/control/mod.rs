//! The control surface: operability endpoints that are no part of Salesforce, all under `/_bulkforce/`
//! (plus `/metrics`, where Prometheus looks by default). They answer JSON with their own shapes, not
//! Salesforce's error envelope. Health, readiness and metrics are open; every other control needs
//! `Authorization: Bearer T`, T being a token of the default org's admin (the `--access-token`, the
//! generated admin token, or one its logins issued) or the `--control-token`. One file per family.

mod health;
mod metrics;
mod requests;

use crate::state::AppState;
use crate::wire;
use axum::extract::Request;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::Response;
use serde_json::json;
use sha2::{Digest, Sha256};

/// A control endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// `GET /_bulkforce/health`: the process runs.
    Health,
    /// `GET /_bulkforce/ready`: the store, the blob store and the workers answer.
    Ready,
    /// `GET /metrics` (or `/_bulkforce/metrics`): Prometheus metrics.
    Metrics,
    /// `GET /_bulkforce/requests?limit=N`: the latest requests, newest first.
    Requests,
    /// Anything else under `/_bulkforce/`.
    Unknown,
}

impl Route {
    /// The control a path names; `None` for any other path (a Salesforce one, or nothing).
    pub fn parse(path: &str) -> Option<Route> {
        let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        match segments.as_slice() {
            ["metrics"] | ["_bulkforce", "metrics"] => Some(Route::Metrics),
            ["_bulkforce", "health"] => Some(Route::Health),
            ["_bulkforce", "ready"] => Some(Route::Ready),
            ["_bulkforce", "requests"] => Some(Route::Requests),
            ["_bulkforce", ..] => Some(Route::Unknown),
            _ => None,
        }
    }

    /// The route label of metrics and the request log.
    pub fn name(self) -> &'static str {
        match self {
            Route::Health => "control_health",
            Route::Ready => "control_ready",
            Route::Metrics => "metrics",
            Route::Requests => "control_requests",
            Route::Unknown => "control_unknown",
        }
    }

    /// Controls anyone may call: probes and scrapers carry no token.
    fn is_open(self) -> bool {
        matches!(self, Route::Health | Route::Ready | Route::Metrics)
    }
}

/// Runs a control request: authentication (unless open), then the handler of its method.
pub async fn handle(state: &AppState, route: Route, request: Request) -> Response {
    if !route.is_open() && !authorized(state, bearer(&request)).await {
        let mut response = answer(
            StatusCode::UNAUTHORIZED,
            &json!({
                "errorCode": "UNAUTHORIZED",
                "message": "The control API needs Authorization: Bearer <the default org admin's token or the control token>",
            }),
        );
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        return response;
    }
    if request.method() != Method::GET && request.method() != Method::HEAD {
        let mut response = answer(
            StatusCode::METHOD_NOT_ALLOWED,
            &json!({"errorCode": "METHOD_NOT_ALLOWED", "message": "Allowed: GET"}),
        );
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        return response;
    }
    match route {
        Route::Health => health::health(),
        Route::Ready => health::ready(state).await,
        Route::Metrics => metrics::scrape(state).await,
        Route::Requests => requests::list(state, request.uri().query()),
        Route::Unknown => answer(
            StatusCode::NOT_FOUND,
            &json!({"errorCode": "NOT_FOUND", "message": "No such control"}),
        ),
    }
}

/// A control's JSON answer.
fn answer(status: StatusCode, value: &serde_json::Value) -> Response {
    wire::json(status, value)
}

/// Whether the request carries a control credential: the `--control-token`, the `--access-token`, or a
/// stored token of the default org's admin user. Flag tokens are compared by digest, so the time taken
/// does not tell where a guess differs.
async fn authorized(state: &AppState, token: Option<String>) -> bool {
    let Some(token) = token else {
        return false;
    };
    let digest = Sha256::digest(token.as_bytes());
    let config = &state.config;
    let flags = [
        config.control_token.as_deref(),
        config.access_token.as_deref(),
    ];
    if flags
        .into_iter()
        .flatten()
        .any(|flag| Sha256::digest(flag.as_bytes()) == digest)
    {
        return true;
    }
    state
        .with_store(move |store| {
            let admin = store.ensure_default_org()?;
            Ok(store.authenticate(&token)?.is_some_and(|p| p == admin))
        })
        .await
        .unwrap_or(false)
}

/// The token of `Authorization: Bearer <token>` (the scheme in any case).
fn bearer(request: &Request) -> Option<String> {
    let header = request
        .headers()
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, token) = header.trim_start().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("Bearer") && !token.is_empty()).then(|| token.to_owned())
}

#[cfg(test)]
mod tests {
    use super::Route;

    #[test]
    fn controls_live_under_their_prefix() {
        assert_eq!(Route::parse("/_bulkforce/health"), Some(Route::Health));
        assert_eq!(Route::parse("//_bulkforce/ready/"), Some(Route::Ready));
        assert_eq!(Route::parse("/metrics"), Some(Route::Metrics));
        assert_eq!(Route::parse("/_bulkforce/requests"), Some(Route::Requests));
        assert_eq!(Route::parse("/_bulkforce/nope"), Some(Route::Unknown));
        assert_eq!(Route::parse("/_bulkforce"), Some(Route::Unknown));
        assert_eq!(Route::parse("/services/data"), None);
        assert_eq!(Route::parse("/metricsx"), None);
    }
}
