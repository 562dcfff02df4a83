//! One subrequest of a composite or composite batch request: which resource it names, and running it
//! over the request's open unit of writes with the same functions the standalone resources use, so it
//! answers exactly as that resource would (status, body, headers).

use super::super::query::{QueryRequest, answer_with};
use super::super::rows::UnitRows;
use super::super::sobjects::{describe_global_json, describe_in, sobject_json};
use super::writes;
use crate::endpoint::Endpoint;
use crate::state::Cursors;
use crate::wire::not_allowed;
use axum::http::Method;
use bulkforce_core::ApiError;
use bulkforce_core::schema::Schema;
use bulkforce_store::{Principal, RecordUnit};
use chrono::{DateTime, Utc};
use serde_json::{Map, Value as Json, json};
use std::sync::Arc;

/// A subrequest as declared, references not yet resolved.
#[derive(Debug, Clone)]
pub(crate) struct Subrequest {
    /// One of `GET POST PUT PATCH DELETE`.
    pub method: String,
    /// A full path, `/services/data/vXX.X/…[?query]`.
    pub url: String,
    /// The composite `referenceId`; in a batch, the subrequest's position.
    pub reference_id: String,
    pub body: Option<Json>,
    /// `httpHeaders` (composite only), e.g. `If-Modified-Since`, `Sforce-Auto-Assign`.
    pub headers: Vec<(String, String)>,
}

/// The families of resources a subrequest may name; at most five collections or query subrequests go in one
/// composite request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// `/sobjects/…`: records, by id or external id, and object information.
    SObject,
    /// `/composite/sobjects…`.
    Collections,
    /// `/query`, `/queryAll`.
    Query,
}

impl Subrequest {
    /// The family of the resource the URL names as declared (`None`: not one a subrequest may name).
    pub fn kind(&self) -> Option<Kind> {
        let (path, _) = split_url(&self.url);
        Endpoint::parse(path).ok().as_ref().and_then(kind_of)
    }
}

fn kind_of(endpoint: &Endpoint) -> Option<Kind> {
    match endpoint {
        Endpoint::SObjects(_)
        | Endpoint::SObject { .. }
        | Endpoint::Describe { .. }
        | Endpoint::Record { .. }
        | Endpoint::RecordByExternalId { .. } => Some(Kind::SObject),
        Endpoint::Collections { .. } => Some(Kind::Collections),
        Endpoint::RestQuery { .. } => Some(Kind::Query),
        _ => None,
    }
}

/// `path` and the query string (empty when there is none).
fn split_url(url: &str) -> (&str, &str) {
    url.split_once('?').unwrap_or((url, ""))
}

/// What every subrequest of one request shares.
pub(crate) struct Context {
    pub schema: Arc<Schema>,
    pub cursors: Arc<Cursors>,
    pub principal: Principal,
    /// "Now" for SOQL date literals, the same for every subrequest.
    pub now: DateTime<Utc>,
    /// A composite `allOrNone: true` overrides an embedded collection's own `allOrNone`.
    pub all_or_none: bool,
}

impl Context {
    /// The context with the schema as the principal's org sees it (its settings decide which audit
    /// fields a create may set): read in the store call that runs the request.
    pub(crate) fn for_org(
        self,
        store: &dyn bulkforce_store::Store,
    ) -> Result<Context, bulkforce_store::StoreError> {
        let schema = store.org_schema(self.principal.org_id)?;
        Ok(Context { schema, ..self })
    }
}

/// A subrequest's answer, as the standalone resource gives it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Answer {
    pub status: u16,
    /// `null` for a 204.
    pub body: Json,
    pub headers: Map<String, Json>,
}

impl Answer {
    pub fn new(status: u16, body: Json) -> Answer {
        Answer {
            status,
            body,
            headers: Map::new(),
        }
    }

    /// The REST error envelope (§1.4 of the protocol notes: `[{"errorCode","message"}]`).
    pub fn error(e: &ApiError) -> Answer {
        Answer::new(
            e.status,
            json!([{ "errorCode": e.error_code, "message": e.message }]),
        )
    }

    pub fn is_error(&self) -> bool {
        self.status >= 400
    }
}

/// One subrequest with its references resolved.
pub(crate) struct Call<'a> {
    pub method: &'a str,
    pub url: &'a str,
    pub body: Option<&'a Json>,
    pub headers: &'a [(String, String)],
}

/// Runs one subrequest over `unit` and answers as the standalone resource would.
pub(crate) fn execute(unit: &mut dyn RecordUnit, ctx: &Context, call: &Call) -> Answer {
    match route(unit, ctx, call) {
        Ok(answer) => answer,
        Err(e) => Answer::error(&e),
    }
}

fn route(unit: &mut dyn RecordUnit, ctx: &Context, call: &Call) -> Result<Answer, ApiError> {
    let (path, uri_query) = split_url(call.url);
    let endpoint = Endpoint::parse(path)?;
    let method = Method::from_bytes(call.method.as_bytes())
        .map_err(|_| not_allowed(&Method::GET, &["GET"]))?;
    let read = method == Method::GET;
    match endpoint {
        Endpoint::RestQuery {
            version,
            all_rows,
            cursor,
        } if read => {
            let request = QueryRequest {
                version,
                all_rows,
                locator: cursor,
                uri_query,
            };
            let mut rows = UnitRows(unit);
            let body = answer_with(
                &mut rows,
                &ctx.schema,
                &ctx.cursors,
                &ctx.principal,
                &request,
                ctx.now,
            )?;
            Ok(Answer::new(200, body))
        }
        Endpoint::SObjects(version) if read => {
            Ok(Answer::new(200, describe_global_json(&ctx.schema, version)))
        }
        Endpoint::SObject { version, object } if read => Ok(Answer::new(
            200,
            sobject_json(&ctx.schema, version, &object)?,
        )),
        Endpoint::Describe { version, object } if read => Ok(Answer::new(
            200,
            describe_in(unit, &ctx.schema, version, &object)?,
        )),
        Endpoint::RestQuery { .. } | Endpoint::SObjects(_) | Endpoint::Describe { .. } => {
            Err(not_allowed(&method, &["GET"]))
        }
        endpoint if kind_of(&endpoint).is_some() => {
            writes::execute(unit, ctx, endpoint, &method, uri_query, call)
        }
        _ => Err(unsupported(path)),
    }
}

/// 400 for a resource that exists but cannot be a subrequest (jobs, limits, composite itself, trees).
fn unsupported(path: &str) -> ApiError {
    ApiError::new(
        400,
        "INVALID_API_INPUT",
        format!("The resource {path} is not supported in a composite request"),
    )
}
