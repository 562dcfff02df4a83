//! `POST /composite/batch`: up to 25 independent subrequests run in order, each in its own unit of writes
//! (a failed one leaves nothing and the others keep theirs); with `haltOnError`, every subrequest after the
//! first failure answers 412 `BATCH_PROCESSING_HALTED` without running.

use super::request::BatchRequest;
use super::subrequest::{Answer, Call, Context, execute};
use crate::wire::internal_error;
use bulkforce_core::ApiError;
use bulkforce_store::{Store, StoreError, UnitEnd};
use serde_json::{Value as Json, json};

/// Runs the batch and returns its answer, `{"hasErrors", "results": [{"statusCode", "result"}]}`.
pub(super) fn run(
    store: &dyn Store,
    ctx: &Context,
    request: &BatchRequest,
) -> Result<Json, StoreError> {
    let mut results = Vec::with_capacity(request.subrequests.len());
    let mut halted = false;
    for sub in &request.subrequests {
        let answer = if halted {
            halted_answer()
        } else {
            let call = Call {
                method: &sub.method,
                url: &sub.url,
                body: sub.body.as_ref(),
                headers: &sub.headers,
            };
            let mut answer = None;
            store.write_unit(ctx.principal.org_id, ctx.principal.user_id, &mut |unit| {
                let done = execute(unit, ctx, &call);
                let end = if done.is_error() {
                    UnitEnd::Rollback
                } else {
                    UnitEnd::Commit
                };
                answer = Some(done);
                Ok(end)
            })?;
            answer.unwrap_or_else(|| {
                Answer::error(&internal_error(&"a write unit ended without running"))
            })
        };
        halted |= request.halt_on_error && answer.is_error();
        results.push(answer);
    }
    let has_errors = results.iter().any(Answer::is_error);
    let results: Vec<Json> = results
        .into_iter()
        .map(|a| json!({ "statusCode": a.status, "result": a.body }))
        .collect();
    Ok(json!({ "hasErrors": has_errors, "results": results }))
}

/// What a subrequest after a failure answers under `haltOnError` (the message is bulkforce's own: the
/// guide gives only the code).
fn halted_answer() -> Answer {
    Answer::error(&ApiError::new(
        412,
        "BATCH_PROCESSING_HALTED",
        "Batch processing halted per request: an earlier subrequest failed",
    ))
}
