//! `/_bulkforce/faults`: fault injection rules. `POST` one rule → 201 `{"id"}`; `GET` → the rules in order
//! with their hits; `DELETE /_bulkforce/faults/{id}` one, `DELETE /_bulkforce/faults` all → 204. A bad rule
//! → 400 `INVALID_FAULT` saying what is wrong. The rules themselves are [`crate::faults`].

use crate::state::AppState;
use crate::wire::{SmallBodyError, read_small_body};
use axum::extract::Request;
use axum::http::{Method, StatusCode};
use axum::response::Response;
use serde_json::json;

/// The largest rule body read: a rule is a few hundred bytes.
const MAX_RULE_BODY: usize = 64 * 1024;

pub(super) async fn handle(state: &AppState, id: Option<String>, request: Request) -> Response {
    let faults = &state.faults;
    match (request.method().clone(), id) {
        (Method::GET | Method::HEAD, None) => {
            super::answer(StatusCode::OK, &json!({ "faults": faults.list() }))
        }
        (Method::POST, None) => add(state, request).await,
        (Method::DELETE, None) => {
            faults.clear();
            super::no_content()
        }
        (Method::DELETE, Some(id)) => {
            if faults.remove(&id) {
                super::no_content()
            } else {
                super::not_found(&format!("No fault rule {id}"))
            }
        }
        (_, None) => super::method_not_allowed("GET, HEAD, POST, DELETE"),
        (_, Some(_)) => super::method_not_allowed("DELETE"),
    }
}

/// `POST`: one rule object → 201 with its id.
async fn add(state: &AppState, request: Request) -> Response {
    let body = match read_small_body(request, MAX_RULE_BODY).await {
        Ok(body) => body,
        Err(SmallBodyError::TooLarge) => {
            return super::bad_request("INVALID_FAULT", "A fault rule is at most 64 KiB");
        }
        Err(SmallBodyError::Incomplete) => {
            return super::bad_request("INVALID_FAULT", "The rule did not arrive in full");
        }
    };
    let given: serde_json::Value = match serde_json::from_slice(&body) {
        Ok(given) => given,
        Err(e) => {
            return super::bad_request("INVALID_FAULT", &format!("The rule is not JSON: {e}"));
        }
    };
    match state.faults.add(given) {
        Ok(id) => super::answer(StatusCode::CREATED, &json!({ "id": id })),
        Err(e) => super::bad_request("INVALID_FAULT", &e.to_string()),
    }
}
