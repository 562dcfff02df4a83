//! `GET /_bulkforce/ui/…`: the dashboard, a few static files embedded in the binary (no Node, no build
//! step, nothing fetched from elsewhere). The pages are open; every API call they make carries the token
//! the page asked for, so serving them tells nothing. The headers forbid inline script and sniffing (so a
//! value the server echoes can never run as code) and caching (a new binary's page is always the one shown).

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::Response;

/// Where the dashboard lives; a request for it without the trailing slash is redirected here, so the
/// assets' relative URLs resolve under it.
const HOME: &str = "/_bulkforce/ui/";

/// The Content-Security-Policy of every dashboard answer: scripts, styles and calls only from this
/// origin (no inline script or style), no framing, no `<base>` tricks, no form posts anywhere.
const CONTENT_SECURITY_POLICY: &str =
    "default-src 'self'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'";

/// One embedded file of the dashboard.
struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static str,
}

/// An embedded file of `crates/server/ui/`.
macro_rules! asset {
    ($name:literal, $content_type:literal) => {
        Asset {
            name: $name,
            content_type: $content_type,
            body: include_str!(concat!("../../ui/", $name)),
        }
    };
}

/// Every file the dashboard serves (the page, its ES modules, its style); anything else under
/// `/_bulkforce/ui/` is a 404.
const ASSETS: &[Asset] = &[
    asset!("index.html", "text/html; charset=utf-8"),
    asset!("app.css", "text/css; charset=utf-8"),
    asset!("favicon.svg", "image/svg+xml"),
    asset!("app.js", "text/javascript; charset=utf-8"),
    asset!("api.js", "text/javascript; charset=utf-8"),
    asset!("dom.js", "text/javascript; charset=utf-8"),
    asset!("jobs.js", "text/javascript; charset=utf-8"),
    asset!("job.js", "text/javascript; charset=utf-8"),
    asset!("orgs.js", "text/javascript; charset=utf-8"),
    asset!("requests.js", "text/javascript; charset=utf-8"),
    asset!("faults.js", "text/javascript; charset=utf-8"),
    asset!("data.js", "text/javascript; charset=utf-8"),
    asset!("clock.js", "text/javascript; charset=utf-8"),
];

/// Serves the asset `path` names (the part after `/_bulkforce/ui/`; empty for the page itself).
pub(super) fn handle(path: &str, request: &Request) -> Response {
    if request.method() != Method::GET && request.method() != Method::HEAD {
        return guarded(super::method_not_allowed("GET, HEAD"));
    }
    let name = match path {
        // `/_bulkforce/ui` and `/_bulkforce/ui/` parse alike: only the first needs the redirect.
        "" if !request.uri().path().ends_with('/') => return guarded(redirect_home()),
        "" => "index.html",
        other => other,
    };
    let response = match ASSETS.iter().find(|asset| asset.name == name) {
        Some(asset) => serve(asset),
        None => super::not_found("No such dashboard file"),
    };
    guarded(response)
}

/// 200 with the asset's bytes and type.
fn serve(asset: &Asset) -> Response {
    let mut response = Response::new(Body::from(asset.body));
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(asset.content_type),
    );
    response
}

/// 308 to the page with its trailing slash (308 keeps the method: a HEAD stays a HEAD).
fn redirect_home() -> Response {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = StatusCode::PERMANENT_REDIRECT;
    response
        .headers_mut()
        .insert(header::LOCATION, HeaderValue::from_static(HOME));
    response
}

/// Adds the dashboard's security and caching headers to any of its answers.
fn guarded(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    response
}
