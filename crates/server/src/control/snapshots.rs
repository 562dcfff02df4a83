//! `/_bulkforce/snapshots`: consistent copies of every org's records and jobs, to restore later.

use super::SnapshotPath;
use crate::state::AppState;
use axum::extract::Request;
use axum::response::Response;

pub(super) async fn handle(_state: &AppState, _path: SnapshotPath, _request: Request) -> Response {
    super::not_found("The snapshot controls are not built yet")
}
