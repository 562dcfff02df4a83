//! `POST /composite` run in one unit of writes: subrequests in the declared order, references resolved from
//! the answers before them, and `allOrNone` as Salesforce applies it.
//!
//! - `allOrNone: true`: the first failure rolls the whole unit back; the failing subrequest keeps its own
//!   answer and every other one (before or after it) answers 400 `PROCESSING_HALTED`, "The transaction was
//!   rolled back since another operation in the same transaction failed.".
//! - `allOrNone: false`: each subrequest runs under its own savepoint, so a failure undoes only itself; a
//!   later subrequest that refers to a failed one answers 400 `PROCESSING_HALTED` (invalid reference).

use super::references::Resolved;
use super::request::CompositeRequest;
use super::subrequest::{Answer, Call, Context, Kind, Subrequest, execute};
use bulkforce_core::ApiError;
use bulkforce_core::job::ApiVersion;
use bulkforce_store::{RecordUnit, Store, StoreError, UnitEnd};
use serde_json::{Value as Json, json};

/// One subrequest's entry of `compositeResponse`.
pub(super) struct Reply {
    pub reference_id: String,
    pub answer: Answer,
}

impl Reply {
    pub fn to_json(&self) -> Json {
        json!({
            "body": self.answer.body,
            "httpHeaders": self.answer.headers,
            "httpStatusCode": self.answer.status,
            "referenceId": self.reference_id,
        })
    }
}

/// Runs the request in one unit of `store` and returns every subrequest's reply, in request order.
pub(super) fn run(
    store: &dyn Store,
    ctx: &Context,
    version: ApiVersion,
    request: &CompositeRequest,
) -> Result<Vec<Reply>, StoreError> {
    let mut replies = Vec::new();
    store.write_unit(ctx.principal.org_id, ctx.principal.user_id, &mut |unit| {
        let unit = &mut crate::record_types::MemoizedUnit::new(unit);
        let (done, end) = run_in(unit, ctx, version, request)?;
        replies = done;
        Ok(end)
    })?;
    Ok(replies)
}

/// The subrequests over an open unit, and how the unit ends.
fn run_in(
    unit: &mut dyn RecordUnit,
    ctx: &Context,
    version: ApiVersion,
    request: &CompositeRequest,
) -> Result<(Vec<Reply>, UnitEnd), StoreError> {
    let mut resolved = Resolved::default();
    let mut replies = Vec::with_capacity(request.subrequests.len());
    for (index, sub) in request.subrequests.iter().enumerate() {
        if !request.all_or_none {
            unit.savepoint()?;
        }
        let answer = run_one(unit, ctx, version, &resolved, sub);
        let failed = is_failure(sub, &answer, request.all_or_none);
        if request.all_or_none && failed {
            return Ok((halted(request, index, answer), UnitEnd::Rollback));
        }
        if request.all_or_none {
            // Nothing to release: the unit commits or rolls back whole.
        } else if failed {
            unit.rollback_to_savepoint()?;
        } else {
            unit.release_savepoint()?;
        }
        if !failed {
            resolved.insert(&sub.reference_id, &answer.body);
        }
        replies.push(Reply {
            reference_id: sub.reference_id.clone(),
            answer,
        });
    }
    Ok((replies, UnitEnd::Commit))
}

/// One subrequest: its references resolved (the composite request's version decides whether a `null`
/// value resolves), then run.
fn run_one(
    unit: &mut dyn RecordUnit,
    ctx: &Context,
    version: ApiVersion,
    resolved: &Resolved,
    sub: &Subrequest,
) -> Answer {
    let url = match resolved.splice(&sub.url, version.0) {
        Ok(url) => url,
        Err(unresolved) => return Answer::error(&unresolved.to_api_error()),
    };
    let body = match sub.body.as_ref().map(|b| resolved.substitute(b, version.0)) {
        Some(Err(unresolved)) => return Answer::error(&unresolved.to_api_error()),
        Some(Ok(body)) => Some(body),
        None => None,
    };
    let call = Call {
        method: &sub.method,
        url: &url,
        body: body.as_ref(),
        headers: &sub.headers,
    };
    execute(unit, ctx, &call)
}

/// A subrequest failed when it answered an error; under `allOrNone` a collection with a failed record
/// fails too (it keeps its 200 answer, but the transaction is rolled back).
fn is_failure(sub: &Subrequest, answer: &Answer, all_or_none: bool) -> bool {
    if answer.is_error() {
        return true;
    }
    all_or_none
        && sub.kind() == Some(Kind::Collections)
        && answer.body.as_array().is_some_and(|results| {
            results
                .iter()
                .any(|r| r.get("success") == Some(&Json::Bool(false)))
        })
}

/// The replies of an `allOrNone` request whose subrequest `failed_at` failed: its own answer, and
/// `PROCESSING_HALTED` for every other one.
fn halted(request: &CompositeRequest, failed_at: usize, failure: Answer) -> Vec<Reply> {
    let rolled_back = Answer::error(&ApiError::new(
        400,
        "PROCESSING_HALTED",
        "The transaction was rolled back since another operation in the same transaction failed.",
    ));
    let mut failure = Some(failure);
    request
        .subrequests
        .iter()
        .enumerate()
        .map(|(index, sub)| Reply {
            reference_id: sub.reference_id.clone(),
            answer: match failure.take_if(|_| index == failed_at) {
                Some(own) => own,
                None => rolled_back.clone(),
            },
        })
        .collect()
}
