//! `GET|PUT|DELETE /_bulkforce/clock`: the server's time (frozen, shifted or real).
//!
//! The clock drives what a real org's time would: record and job timestamps, SOQL date literals, token
//! expiry and the rolling 24-hour API counters, so a test can make time-dependent behaviour (an
//! incremental sync on `SystemModstamp > :lastRun`, an expiring session) deterministic. A change is
//! stored first (it survives a restart and holds for every process sharing the store), then applied.
//!
//! - `GET` → 200 `{"mode":"real"|"frozen"|"offset","now":"…","offsetSeconds":N}` (`offsetSeconds` only
//!   in offset mode);
//! - `PUT {"now":"RFC 3339"}` freezes the clock there, `PUT {"offsetSeconds":N}` shifts real time by N
//!   seconds (either way) → 200 with the GET shape; any other body → 400 `INVALID_CLOCK`;
//! - `DELETE` → back to real time, 200 with the GET shape.

use super::{answer, bad_request, method_not_allowed};
use crate::state::AppState;
use crate::wire;
use axum::extract::Request;
use axum::http::{Method, StatusCode};
use axum::response::Response;
use bulkforce_core::ApiError;
use bulkforce_core::clock::{ClockSetting, format_instant};
use serde::Deserialize;
use serde_json::json;

const ALLOWED: &str = "GET, HEAD, PUT, DELETE";
const INVALID_CLOCK: &str = "INVALID_CLOCK";
const EXPECTED: &str =
    r#"expected {"now":"<RFC 3339 date-time>"} or {"offsetSeconds":<whole seconds>}"#;

/// A PUT body: exactly one of its two keys, nothing else.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ClockBody {
    now: Option<String>,
    offset_seconds: Option<i64>,
}

pub(super) async fn handle(state: &AppState, request: Request) -> Response {
    match *request.method() {
        Method::GET | Method::HEAD => view(state),
        Method::PUT => match setting_of(request).await {
            Ok(setting) => set(state, setting).await,
            Err(refused) => refused,
        },
        Method::DELETE => set(state, ClockSetting::Real).await,
        _ => method_not_allowed(ALLOWED),
    }
}

/// The clock as GET shows it: its mode, the time it tells now, and its shift in offset mode.
fn view(state: &AppState) -> Response {
    let setting = state.clock.setting();
    let mut body = json!({
        "mode": setting.mode(),
        "now": format_instant(state.clock.now()),
    });
    if let ClockSetting::Offset(seconds) = setting {
        body["offsetSeconds"] = json!(seconds);
    }
    answer(StatusCode::OK, &body)
}

/// Stores `setting`, applies it to the server's clock, and answers the clock as it is now.
async fn set(state: &AppState, setting: ClockSetting) -> Response {
    let stored = state
        .with_store(move |store| store.set_clock_setting(setting))
        .await;
    if let Err(e) = stored {
        return failure(&e);
    }
    // The store applied it to its clock, which is this one (`AppState.clock` is the store's), under the
    // lock that orders settings: setting it again here, outside that lock, could undo a later setting.
    tracing::info!(clock = %setting, "clock set");
    view(state)
}

/// The setting a PUT body asks for, or the 400 that says what is wrong with it.
async fn setting_of(request: Request) -> Result<ClockSetting, Response> {
    let body = wire::small_body(request).await.map_err(|e| failure(&e))?;
    let refuse = |message: String| bad_request(INVALID_CLOCK, &message);
    let parsed: ClockBody = serde_json::from_slice(&body)
        .map_err(|e| refuse(format!("The clock body is not valid ({e}): {EXPECTED}")))?;
    match (parsed.now, parsed.offset_seconds) {
        (Some(now), None) => ClockSetting::frozen_at(&now).map_err(|e| refuse(e.to_string())),
        (None, Some(seconds)) => ClockSetting::offset(seconds).map_err(|e| refuse(e.to_string())),
        (Some(_), Some(_)) => Err(refuse(format!(
            "Give either now or offsetSeconds, not both: {EXPECTED}"
        ))),
        (None, None) => Err(refuse(format!("Nothing to set: {EXPECTED}"))),
    }
}

/// An error of the request body or the store, in the control API's own shape.
fn failure(e: &ApiError) -> Response {
    answer(
        StatusCode::from_u16(e.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        &json!({"errorCode": e.error_code, "message": e.message}),
    )
}
