//! A fault rule: the JSON a test posts (`RuleSpec`, every key of every kind, unknown keys refused) checked
//! into what the server acts on (`Rule`: when it fires and what it does), with a message naming the key at
//! fault for anything wrong.

use super::codes;
use bulkforce_core::job::Operation;
use globset::{GlobBuilder, GlobMatcher};
use serde::Deserialize;
use serde_json::Value;

/// Why a rule was refused: the message says which key and why, for `400 INVALID_FAULT` and `--faults`.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct RuleError(String);

impl RuleError {
    pub(super) fn from_message(message: impl Into<String>) -> Self {
        RuleError(message.into())
    }
}

/// The longest `message` a rule may carry (Salesforce's error messages are short; this bounds memory).
const MAX_MESSAGE_CHARS: usize = 4_000;

/// Every key a rule may have, of whichever kind; which keys a kind takes is checked after parsing, so a key
/// of another kind is named as such rather than ignored.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RuleSpec {
    kind: String,
    probability: Option<f64>,
    seed: Option<u64>,
    times: Option<u64>,
    method: Option<String>,
    path: Option<String>,
    status: Option<u16>,
    error_code: Option<String>,
    message: Option<String>,
    latency_ms: Option<u64>,
    disconnect: Option<bool>,
    object: Option<String>,
    operation: Option<String>,
    after_rows: Option<u64>,
    field: Option<String>,
    value: Option<String>,
    remaining: Option<u64>,
}

/// Keys every kind takes.
const COMMON_KEYS: [&str; 4] = ["kind", "probability", "seed", "times"];

/// The keys each kind takes besides the common ones.
fn kind_keys(kind: &str) -> Option<&'static [&'static str]> {
    Some(match kind {
        "http" => &[
            "method",
            "path",
            "status",
            "errorCode",
            "message",
            "latencyMs",
            "disconnect",
        ],
        "job" => &["object", "operation", "afterRows", "message"],
        "row" => &[
            "object",
            "operation",
            "errorCode",
            "message",
            "field",
            "value",
        ],
        "limit" => &["remaining"],
        _ => return None,
    })
}

/// A checked rule: when it fires and what it does then.
#[derive(Debug)]
pub struct Rule {
    /// The chance that a matching request, job or row is hit (1: always).
    pub probability: f64,
    /// The RNG seed of the probability rolls, for repeatable runs.
    pub seed: Option<u64>,
    /// Hits before the rule expires (`None`: never).
    pub times: Option<u64>,
    pub action: Action,
}

/// What a rule matches and does.
#[derive(Debug)]
pub enum Action {
    Http(HttpFault),
    Job(JobFault),
    Row(RowFault),
    Limit { remaining: u64 },
}

impl Action {
    pub(super) fn kind(&self) -> Kind {
        match self {
            Action::Http(_) => Kind::Http,
            Action::Job(_) => Kind::Job,
            Action::Row(_) => Kind::Row,
            Action::Limit { .. } => Kind::Limit,
        }
    }
}

/// The four kinds, as bits of the registry's "which kinds have live rules" fast path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Http = 1,
    Job = 2,
    Row = 4,
    Limit = 8,
}

/// A Salesforce request answered, delayed or cut off.
#[derive(Debug)]
pub struct HttpFault {
    /// Upper case; `None` matches every method.
    method: Option<String>,
    path: GlobMatcher,
    pub status: Option<u16>,
    /// Defaults applied (`SERVER_UNAVAILABLE`, a message naming the rule) once the rule has its id.
    pub error_code: Option<String>,
    pub message: Option<String>,
    pub latency_ms: Option<u64>,
    pub disconnect: bool,
}

impl HttpFault {
    pub(super) fn matches(&self, method: &str, path: &str) -> bool {
        self.method
            .as_deref()
            .is_none_or(|m| m.eq_ignore_ascii_case(method))
            && self.path.is_match(path)
    }
}

/// Which jobs or rows a rule is about: the object (case-insensitive) and the operation, each optional.
#[derive(Debug)]
pub struct JobMatch {
    object: Option<String>,
    operation: Option<Operation>,
}

impl JobMatch {
    pub(super) fn matches(&self, object: &str, operation: Operation) -> bool {
        self.object
            .as_deref()
            .is_none_or(|o| o.eq_ignore_ascii_case(object))
            && self.operation.is_none_or(|o| o == operation)
    }
}

/// An ingest job failed after some rows.
#[derive(Debug)]
pub struct JobFault {
    pub(super) on: JobMatch,
    pub after_rows: u64,
    pub message: Option<String>,
}

/// Rows failed with an error instead of being applied.
#[derive(Debug)]
pub struct RowFault {
    pub(super) on: JobMatch,
    /// Interned: row errors carry `&'static str` codes ([`codes`]).
    pub error_code: &'static str,
    pub message: Option<String>,
    /// Only rows whose `field` column holds exactly `value`.
    pub(super) field_value: Option<(String, String)>,
}

/// Checks a rule as posted (or as an element of the `--faults` file).
pub fn parse(given: &Value) -> Result<Rule, RuleError> {
    let Some(object) = given.as_object() else {
        return Err(RuleError::from_message("a fault rule is a JSON object"));
    };
    let kind = object
        .get("kind")
        .and_then(Value::as_str)
        .ok_or_else(|| RuleError::from_message("`kind` is required: http, job, row or limit"))?;
    let keys = kind_keys(kind).ok_or_else(|| {
        RuleError::from_message(format!(
            "unknown kind `{kind}`: expected http, job, row or limit"
        ))
    })?;
    if let Some(key) = object
        .keys()
        .find(|k| !COMMON_KEYS.contains(&k.as_str()) && !keys.contains(&k.as_str()))
        .filter(|k| kind_keys_all().contains(&k.as_str()))
    {
        return Err(RuleError::from_message(format!(
            "`{key}` is not a key of a {kind} rule"
        )));
    }
    // The path names the key whose value is wrong (afterRows: invalid value: integer -1, …).
    let spec: RuleSpec = serde_path_to_error::deserialize(given).map_err(|e| {
        match e.path().to_string().as_str() {
            "." => RuleError::from_message(e.inner().to_string()),
            path => RuleError::from_message(format!("`{path}`: {}", e.inner())),
        }
    })?;
    let action = match spec.kind.as_str() {
        "http" => Action::Http(http(&spec)?),
        "job" => Action::Job(JobFault {
            on: job_match(&spec)?,
            after_rows: spec.after_rows.unwrap_or(0),
            message: message(spec.message.as_deref())?,
        }),
        "row" => Action::Row(row(&spec)?),
        _ => Action::Limit {
            remaining: spec.remaining.ok_or_else(|| {
                RuleError::from_message("a limit rule needs `remaining` (API calls left)")
            })?,
        },
    };
    let probability = spec.probability.unwrap_or(1.0);
    if !(0.0..=1.0).contains(&probability) {
        return Err(RuleError::from_message(format!(
            "`probability` must be between 0 and 1, not {probability}"
        )));
    }
    if spec.times == Some(0) {
        return Err(RuleError::from_message(
            "`times` must be at least 1 (leave it out for a rule that never expires)",
        ));
    }
    Ok(Rule {
        probability,
        seed: spec.seed,
        times: spec.times,
        action,
    })
}

/// Every key some kind takes (a key outside it is unknown, and serde names it).
fn kind_keys_all() -> Vec<&'static str> {
    ["http", "job", "row", "limit"]
        .into_iter()
        .filter_map(kind_keys)
        .flatten()
        .copied()
        .collect()
}

fn http(spec: &RuleSpec) -> Result<HttpFault, RuleError> {
    let path = spec.path.as_deref().ok_or_else(|| {
        RuleError::from_message(
            "an http rule needs `path` (a glob: `*` one segment, `**` any number)",
        )
    })?;
    if !path.starts_with('/') {
        return Err(RuleError::from_message(format!(
            "`path` must start with '/': {path}"
        )));
    }
    let glob = GlobBuilder::new(path)
        .literal_separator(true)
        .build()
        .map_err(|e| RuleError::from_message(format!("`path` is not a valid glob: {e}")))?;
    let disconnect = spec.disconnect.unwrap_or(false);
    if spec.status.is_none() && spec.latency_ms.is_none() && !disconnect {
        return Err(RuleError::from_message(
            "an http rule needs one of `status`, `latencyMs` or `disconnect: true`",
        ));
    }
    if disconnect && spec.status.is_some() {
        return Err(RuleError::from_message(
            "`disconnect` closes the connection without an answer: it takes no `status`",
        ));
    }
    if let Some(status) = spec.status
        && !(400..=599).contains(&status)
    {
        return Err(RuleError::from_message(format!(
            "`status` must be an error status, 400 to 599, not {status}"
        )));
    }
    if spec.status.is_none() && (spec.error_code.is_some() || spec.message.is_some()) {
        return Err(RuleError::from_message(
            "`errorCode` and `message` are the body of a `status` answer: give a `status`",
        ));
    }
    if let Some(method) = &spec.method
        && (method.is_empty() || !method.bytes().all(|b| b.is_ascii_alphabetic()))
    {
        return Err(RuleError::from_message(format!(
            "`method` must be an HTTP method such as PUT, not {method:?}"
        )));
    }
    Ok(HttpFault {
        method: spec.method.as_ref().map(|m| m.to_ascii_uppercase()),
        path: glob.compile_matcher(),
        status: spec.status,
        error_code: spec.error_code.as_deref().map(codes::check).transpose()?,
        message: message(spec.message.as_deref())?,
        latency_ms: spec.latency_ms,
        disconnect,
    })
}

fn row(spec: &RuleSpec) -> Result<RowFault, RuleError> {
    let field_value = match (&spec.field, &spec.value) {
        (Some(field), Some(value)) => Some((field.clone(), value.clone())),
        (None, None) => None,
        _ => {
            return Err(RuleError::from_message(
                "`field` and `value` go together: rows whose `field` column holds `value`",
            ));
        }
    };
    let error_code = match spec.error_code.as_deref() {
        None => "UNABLE_TO_LOCK_ROW",
        Some(code) => codes::intern(&codes::check(code)?)?,
    };
    Ok(RowFault {
        on: job_match(spec)?,
        error_code,
        message: message(spec.message.as_deref())?,
        field_value,
    })
}

fn job_match(spec: &RuleSpec) -> Result<JobMatch, RuleError> {
    let operation = match spec.operation.as_deref() {
        None => None,
        Some(name) => Some(
            [
                Operation::Insert,
                Operation::Update,
                Operation::Upsert,
                Operation::Delete,
                Operation::HardDelete,
            ]
            .into_iter()
            .find(|o| o.name().eq_ignore_ascii_case(name))
            .ok_or_else(|| {
                RuleError::from_message(format!(
                    "`operation` must be insert, update, upsert, delete or hardDelete, not {name:?}"
                ))
            })?,
        ),
    };
    Ok(JobMatch {
        object: spec.object.clone(),
        operation,
    })
}

fn message(message: Option<&str>) -> Result<Option<String>, RuleError> {
    match message {
        Some(m) if m.chars().count() > MAX_MESSAGE_CHARS => Err(RuleError::from_message(format!(
            "`message` is longer than {MAX_MESSAGE_CHARS} characters"
        ))),
        other => Ok(other.map(str::to_owned)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn refused(rule: Value) -> String {
        parse(&rule).unwrap_err().to_string()
    }

    #[test]
    fn refusals_name_the_key_at_fault() {
        assert!(refused(json!({"kind": "http", "status": 503})).contains("needs `path`"));
        assert!(refused(json!({"kind": "http", "path": "/x"})).contains("one of `status`"));
        assert!(
            refused(json!({"kind": "http", "path": "/x", "status": 200})).contains("400 to 599")
        );
        assert!(
            refused(json!({"kind": "http", "path": "/x", "status": 503, "probability": 1.5}))
                .contains("between 0 and 1")
        );
        assert!(refused(json!({"kind": "job", "status": 503})).contains("not a key of a job rule"));
        assert!(refused(json!({"kind": "job", "nope": 1})).contains("unknown field `nope`"));
        assert!(refused(json!({"kind": "chaos"})).contains("unknown kind"));
        assert!(refused(json!({"kind": "limit"})).contains("`remaining`"));
        assert!(refused(json!({"kind": "row", "field": "Name"})).contains("go together"));
        assert!(refused(json!({"kind": "row", "operation": "merge"})).contains("`operation`"));
        assert!(refused(json!({"kind": "row", "errorCode": "lower"})).contains("`errorCode`"));
        assert!(refused(json!({"kind": "job", "times": 0})).contains("at least 1"));
        assert!(refused(json!([])).contains("JSON object"));
    }

    #[test]
    fn paths_match_segment_globs() {
        let rule = parse(&json!({
            "kind": "http", "method": "put",
            "path": "/services/data/*/jobs/ingest/*/batches", "status": 503
        }))
        .unwrap();
        let Action::Http(http) = rule.action else {
            panic!("an http rule")
        };
        assert!(http.matches("PUT", "/services/data/v62.0/jobs/ingest/750x/batches"));
        assert!(!http.matches("GET", "/services/data/v62.0/jobs/ingest/750x/batches"));
        assert!(!http.matches("PUT", "/services/data/v62.0/jobs/ingest/750x/y/batches"));
        let any = parse(&json!({"kind": "http", "path": "/services/**", "latencyMs": 1})).unwrap();
        let Action::Http(any) = any.action else {
            panic!("an http rule")
        };
        assert!(any.matches("GET", "/services/data/v62.0/limits"));
        assert!(!any.matches("GET", "/other"));
    }

    #[test]
    fn jobs_match_object_without_case_and_operation() {
        let rule =
            parse(&json!({"kind": "job", "object": "account", "operation": "UPSERT"})).unwrap();
        let Action::Job(job) = rule.action else {
            panic!("a job rule")
        };
        assert!(job.on.matches("Account", Operation::Upsert));
        assert!(!job.on.matches("Account", Operation::Insert));
        assert!(!job.on.matches("Contact", Operation::Upsert));
    }
}
