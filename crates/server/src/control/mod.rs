//! The control surface: operability endpoints that are no part of Salesforce, all under `/_bulkforce/`
//! (plus `/metrics`, where Prometheus looks by default). They answer JSON with their own shapes, not
//! Salesforce's error envelope. Health, readiness and metrics are open; every other control needs
//! `Authorization: Bearer T`, T being a token of the default org's admin (the `--access-token`, the
//! generated admin token, or one its logins issued) or the `--control-token`. One file per family.

mod clock;
mod faults;
mod health;
mod jobs;
mod metrics;
mod requests;
mod reset;
mod snapshots;
mod ui;

use crate::state::AppState;
use crate::wire;
use axum::extract::Request;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::Response;
use serde_json::json;
use sha2::{Digest, Sha256};

/// A control endpoint: the family of a path under `/_bulkforce/` and what the path names in it. Methods
/// are each family's business.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// `GET /_bulkforce/health`: the process runs.
    Health,
    /// `GET /_bulkforce/ready`: the store, the blob store and the workers answer.
    Ready,
    /// `GET /metrics` (or `/_bulkforce/metrics`): Prometheus metrics.
    Metrics,
    /// `GET /_bulkforce/requests?limit=N`: the latest requests, newest first.
    Requests,
    /// `GET|PUT|DELETE /_bulkforce/clock`: the server's time.
    Clock,
    /// `POST /_bulkforce/reset` (every org) or `POST /_bulkforce/orgs/{orgId}/reset` (one org).
    Reset(Option<String>),
    /// `GET /_bulkforce/orgs`: the orgs, for the dashboard.
    Orgs,
    /// `GET|POST /_bulkforce/snapshots`, `DELETE /_bulkforce/snapshots/{name}`,
    /// `POST /_bulkforce/snapshots/{name}/restore`.
    Snapshots(SnapshotPath),
    /// `GET /_bulkforce/jobs`, `GET /_bulkforce/jobs/{id}`, `POST /_bulkforce/jobs/{id}/hold|release`.
    Jobs(JobPath),
    /// `GET|POST|DELETE /_bulkforce/faults`, `DELETE /_bulkforce/faults/{id}`.
    Faults(Option<String>),
    /// `GET /_bulkforce/ui/…`: the dashboard's pages and assets (the rest of the path).
    Ui(String),
    /// Anything else under `/_bulkforce/`.
    Unknown,
}

/// What a `/_bulkforce/snapshots…` path names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SnapshotPath {
    All,
    One(String),
    Restore(String),
}

/// What a `/_bulkforce/jobs…` path names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobPath {
    All,
    One(String),
    Hold(String),
    Release(String),
}

impl Route {
    /// The control a path names; `None` for any other path (a Salesforce one, or nothing).
    pub fn parse(path: &str) -> Option<Route> {
        let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        let owned = |s: &str| s.to_owned();
        Some(match segments.as_slice() {
            ["metrics"] | ["_bulkforce", "metrics"] => Route::Metrics,
            ["_bulkforce", rest @ ..] => match rest {
                ["health"] => Route::Health,
                ["ready"] => Route::Ready,
                ["requests"] => Route::Requests,
                ["clock"] => Route::Clock,
                ["reset"] => Route::Reset(None),
                ["orgs"] => Route::Orgs,
                ["orgs", org, "reset"] => Route::Reset(Some(owned(org))),
                ["snapshots"] => Route::Snapshots(SnapshotPath::All),
                ["snapshots", name] => Route::Snapshots(SnapshotPath::One(owned(name))),
                ["snapshots", name, "restore"] => {
                    Route::Snapshots(SnapshotPath::Restore(owned(name)))
                }
                ["jobs"] => Route::Jobs(JobPath::All),
                ["jobs", id] => Route::Jobs(JobPath::One(owned(id))),
                ["jobs", id, "hold"] => Route::Jobs(JobPath::Hold(owned(id))),
                ["jobs", id, "release"] => Route::Jobs(JobPath::Release(owned(id))),
                ["faults"] => Route::Faults(None),
                ["faults", id] => Route::Faults(Some(owned(id))),
                ["ui", rest @ ..] => Route::Ui(rest.join("/")),
                _ => Route::Unknown,
            },
            _ => return None,
        })
    }

    /// The route label of metrics and the request log.
    pub fn name(&self) -> &'static str {
        match self {
            Route::Health => "control_health",
            Route::Ready => "control_ready",
            Route::Metrics => "metrics",
            Route::Requests => "control_requests",
            Route::Clock => "control_clock",
            Route::Reset(_) => "control_reset",
            Route::Orgs => "control_orgs",
            Route::Snapshots(_) => "control_snapshots",
            Route::Jobs(_) => "control_jobs",
            Route::Faults(_) => "control_faults",
            Route::Ui(_) => "control_ui",
            Route::Unknown => "control_unknown",
        }
    }

    /// Controls anyone may call: probes and scrapers carry no token, and the dashboard's own pages ask
    /// for one (every call they make carries it).
    fn is_open(&self) -> bool {
        matches!(
            self,
            Route::Health | Route::Ready | Route::Metrics | Route::Ui(_)
        )
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
    match route {
        Route::Health => only_get(&request).unwrap_or_else(health::health),
        Route::Ready => match only_get(&request) {
            Some(refused) => refused,
            None => health::ready(state).await,
        },
        Route::Metrics => match only_get(&request) {
            Some(refused) => refused,
            None => metrics::scrape(state).await,
        },
        Route::Requests => match only_get(&request) {
            Some(refused) => refused,
            None => requests::list(state, request.uri().query()),
        },
        Route::Clock => clock::handle(state, request).await,
        Route::Reset(org) => reset::handle(state, org, request).await,
        Route::Orgs => jobs::orgs(state, request).await,
        Route::Snapshots(path) => snapshots::handle(state, path, request).await,
        Route::Jobs(path) => jobs::handle(state, path, request).await,
        Route::Faults(id) => faults::handle(state, id, request).await,
        Route::Ui(path) => ui::handle(&path, &request),
        Route::Unknown => not_found("No such control"),
    }
}

/// `None` for a GET or HEAD; else the 405 answer.
fn only_get(request: &Request) -> Option<Response> {
    (request.method() != Method::GET && request.method() != Method::HEAD)
        .then(|| method_not_allowed("GET, HEAD"))
}

/// 405 with the methods a control allows (`Allow`, comma-separated).
pub(super) fn method_not_allowed(allowed: &'static str) -> Response {
    let mut response = answer(
        StatusCode::METHOD_NOT_ALLOWED,
        &json!({"errorCode": "METHOD_NOT_ALLOWED", "message": format!("Allowed: {allowed}")}),
    );
    response
        .headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static(allowed));
    response
}

/// 404 with what was not found.
pub(super) fn not_found(message: &str) -> Response {
    answer(
        StatusCode::NOT_FOUND,
        &json!({"errorCode": "NOT_FOUND", "message": message}),
    )
}

/// 400 with a control's own error code.
pub(super) fn bad_request(error_code: &str, message: &str) -> Response {
    answer(
        StatusCode::BAD_REQUEST,
        &json!({"errorCode": error_code, "message": message}),
    )
}

/// 204, for controls that only act.
pub(super) fn no_content() -> Response {
    let mut response = Response::new(axum::body::Body::empty());
    *response.status_mut() = StatusCode::NO_CONTENT;
    response
}

/// A control's JSON answer.
pub(super) fn answer(status: StatusCode, value: &serde_json::Value) -> Response {
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
        assert_eq!(
            Route::parse("/_bulkforce/orgs/00Dx/reset"),
            Some(Route::Reset(Some("00Dx".into())))
        );
        assert_eq!(
            Route::parse("/_bulkforce/snapshots/a/restore"),
            Some(Route::Snapshots(super::SnapshotPath::Restore("a".into())))
        );
        assert_eq!(
            Route::parse("/_bulkforce/jobs/750x/hold"),
            Some(Route::Jobs(super::JobPath::Hold("750x".into())))
        );
        assert_eq!(
            Route::parse("/_bulkforce/ui/app.js"),
            Some(Route::Ui("app.js".into()))
        );
        assert_eq!(Route::parse("/_bulkforce"), Some(Route::Unknown));
        assert_eq!(Route::parse("/services/data"), None);
        assert_eq!(Route::parse("/metricsx"), None);
    }
}
