//! The envelopes of `POST /composite` and `POST /composite/batch`, checked whole before anything runs: a
//! structural problem (not JSON, a missing or illegal field, too many subrequests) refuses the request with
//! one 400 and runs nothing, as Salesforce does.

use super::subrequest::{Kind, Subrequest};
use bulkforce_core::ApiError;
use bulkforce_core::job::{ApiVersion, json_error};
use serde::Deserialize;
use serde_json::Value as Json;
use std::collections::{BTreeMap, HashSet};

/// Most subrequests in one composite or composite batch request.
pub(super) const MAX_SUBREQUESTS: usize = 25;

/// Most sObject Collections and query subrequests in one composite request.
const MAX_COLLECTION_OR_QUERY: usize = 5;

/// The methods a subrequest may use, case-sensitive.
const METHODS: [&str; 5] = ["GET", "POST", "PUT", "PATCH", "DELETE"];

/// Headers a composite subrequest inherits from the composite request and may not set.
const INHERITED_HEADERS: [&str; 3] = ["accept", "authorization", "content-type"];

/// The first version with composite batch.
const MIN_BATCH_VERSION: u16 = 34;

/// `POST /composite`, checked.
pub(super) struct CompositeRequest {
    pub all_or_none: bool,
    pub subrequests: Vec<Subrequest>,
}

/// `POST /composite/batch`, checked.
pub(super) struct BatchRequest {
    pub halt_on_error: bool,
    pub subrequests: Vec<Subrequest>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawComposite {
    #[serde(default)]
    all_or_none: bool,
    /// Accepted; bulkforce always runs subrequests in the order given (collation may only reorder
    /// unrelated subrequests, so the declared order is always a valid one).
    #[serde(default)]
    #[allow(dead_code)]
    collate_subrequests: Option<bool>,
    composite_request: Option<Vec<RawSubrequest>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawSubrequest {
    method: Option<String>,
    url: Option<String>,
    reference_id: Option<String>,
    body: Option<Json>,
    http_headers: Option<BTreeMap<String, String>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawBatch {
    #[serde(default)]
    halt_on_error: bool,
    batch_requests: Option<Vec<RawBatchSubrequest>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawBatchSubrequest {
    method: Option<String>,
    url: Option<String>,
    rich_input: Option<Json>,
}

impl CompositeRequest {
    pub fn parse(body: &[u8]) -> Result<CompositeRequest, ApiError> {
        let raw: RawComposite = serde_json::from_slice(body).map_err(|e| json_error(&e))?;
        let raw_subrequests = raw
            .composite_request
            .ok_or_else(|| malformed("The compositeRequest property is required"))?;
        check_count(raw_subrequests.len())?;
        let mut seen = HashSet::new();
        let mut subrequests = Vec::with_capacity(raw_subrequests.len());
        for raw in raw_subrequests {
            let reference_id = raw
                .reference_id
                .ok_or_else(|| malformed("Every subrequest needs a referenceId"))?;
            check_reference_id(&reference_id)?;
            if !seen.insert(reference_id.clone()) {
                return Err(malformed(format!(
                    "Duplicate referenceId provided in the request: {reference_id}"
                )));
            }
            let headers = raw.http_headers.unwrap_or_default();
            if let Some(name) = headers
                .keys()
                .find(|name| INHERITED_HEADERS.contains(&name.to_ascii_lowercase().as_str()))
            {
                return Err(malformed(format!(
                    "The httpHeaders of subrequest '{reference_id}' may not set {name}: it is inherited from the composite request"
                )));
            }
            let method = method(raw.method)?;
            let url = raw
                .url
                .ok_or_else(|| malformed("Every subrequest needs a url"))?;
            let path = url.strip_prefix('/').unwrap_or(&url);
            if !path.starts_with("services/data/v") {
                return Err(malformed(format!(
                    "The url of subrequest '{reference_id}' must start with /services/data/vXX.X/: {url}"
                )));
            }
            subrequests.push(Subrequest {
                method,
                url: format!("/{path}"),
                reference_id,
                body: raw.body,
                headers: headers.into_iter().collect(),
            });
        }
        let heavy = subrequests
            .iter()
            .filter(|s| matches!(s.kind(), Some(Kind::Collections | Kind::Query)))
            .count();
        if heavy > MAX_COLLECTION_OR_QUERY {
            return Err(limit_exceeded(format!(
                "A composite request can have at most {MAX_COLLECTION_OR_QUERY} sObject Collections or query subrequests; this one has {heavy}"
            )));
        }
        Ok(CompositeRequest {
            all_or_none: raw.all_or_none,
            subrequests,
        })
    }
}

impl BatchRequest {
    /// Subrequest URLs are relative to `/services/data/` (`v62.0/sobjects/…`; a full path is accepted
    /// too), at a version from 34.0 up to the batch request's own.
    pub fn parse(body: &[u8], version: ApiVersion) -> Result<BatchRequest, ApiError> {
        let raw: RawBatch = serde_json::from_slice(body).map_err(|e| json_error(&e))?;
        let raw_subrequests = raw
            .batch_requests
            .ok_or_else(|| malformed("The batchRequests property is required"))?;
        check_count(raw_subrequests.len())?;
        let mut subrequests = Vec::with_capacity(raw_subrequests.len());
        for (i, raw) in raw_subrequests.into_iter().enumerate() {
            let method = method(raw.method)?;
            let url = raw
                .url
                .ok_or_else(|| malformed("Every batch subrequest needs a url"))?;
            let relative = url.trim_start_matches('/');
            let relative = relative.strip_prefix("services/data/").unwrap_or(relative);
            let asked = relative
                .split('/')
                .next()
                .and_then(ApiVersion::parse)
                .ok_or_else(|| malformed(format!("Invalid batch subrequest url: {url}")))?;
            if asked.0 < MIN_BATCH_VERSION || asked.0 > version.0 {
                return Err(malformed(format!(
                    "The version of a batch subrequest must be between {MIN_BATCH_VERSION}.0 and the batch request's {version}: {url}"
                )));
            }
            subrequests.push(Subrequest {
                method,
                url: format!("/services/data/{relative}"),
                reference_id: i.to_string(),
                body: raw.rich_input,
                headers: Vec::new(),
            });
        }
        Ok(BatchRequest {
            halt_on_error: raw.halt_on_error,
            subrequests,
        })
    }
}

fn check_count(count: usize) -> Result<(), ApiError> {
    if count == 0 {
        return Err(malformed(
            "A composite request needs at least one subrequest",
        ));
    }
    if count > MAX_SUBREQUESTS {
        return Err(limit_exceeded(format!(
            "A composite request can have at most {MAX_SUBREQUESTS} subrequests; this one has {count}"
        )));
    }
    Ok(())
}

/// Letters, digits and `_`, starting with a letter or a digit (the v52.0+ rule, with its message).
fn check_reference_id(id: &str) -> Result<(), ApiError> {
    let legal = id.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
        && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if legal {
        return Ok(());
    }
    Err(malformed(format!(
        "Provided referenceId ('{id}') must start with a letter or a number, and it can contain only letters, numbers and underscores ('_')."
    )))
}

fn method(given: Option<String>) -> Result<String, ApiError> {
    match given {
        Some(m) if METHODS.contains(&m.as_str()) => Ok(m),
        Some(m) => Err(malformed(format!(
            "Invalid method '{m}': a subrequest's method is one of {}",
            METHODS.join(", ")
        ))),
        None => Err(malformed("Every subrequest needs a method")),
    }
}

/// 400 `JSON_PARSER_ERROR`, the code Salesforce gives a composite envelope it cannot take.
fn malformed(message: impl Into<String>) -> ApiError {
    ApiError::new(400, "JSON_PARSER_ERROR", message)
}

fn limit_exceeded(message: String) -> ApiError {
    ApiError::new(400, "LIMIT_EXCEEDED", message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn composite(body: Json) -> Result<CompositeRequest, ApiError> {
        CompositeRequest::parse(body.to_string().as_bytes())
    }

    fn sub(reference_id: &str) -> Json {
        json!({"method": "GET", "url": "/services/data/v62.0/sobjects/Account", "referenceId": reference_id})
    }

    #[test]
    fn parses_a_composite_envelope() {
        let request = composite(
            json!({"allOrNone": true, "collateSubrequests": true, "compositeRequest": [
            {"method": "POST", "url": "services/data/v62.0/sobjects/Account", "referenceId": "acc",
             "body": {"Name": "A"}, "httpHeaders": {"Sforce-Auto-Assign": "FALSE"}}]}),
        )
        .unwrap();
        assert!(request.all_or_none);
        let sub = &request.subrequests[0];
        assert_eq!(sub.url, "/services/data/v62.0/sobjects/Account");
        assert_eq!(
            sub.headers,
            vec![("Sforce-Auto-Assign".to_owned(), "FALSE".to_owned())]
        );
    }

    #[test]
    fn refuses_structural_problems_whole() {
        let too_many: Vec<Json> = (0..26).map(|i| sub(&format!("r{i}"))).collect();
        let cases = [
            (json!({"compositeRequest": too_many}), "LIMIT_EXCEEDED"),
            (json!({}), "JSON_PARSER_ERROR"),
            (
                json!({"compositeRequest": [sub("a[1]")]}),
                "JSON_PARSER_ERROR",
            ),
            (
                json!({"compositeRequest": [sub("_a")]}),
                "JSON_PARSER_ERROR",
            ),
            (
                json!({"compositeRequest": [sub("a"), sub("a")]}),
                "JSON_PARSER_ERROR",
            ),
            (
                json!({"compositeRequest": [{"method": "get", "url": "/services/data/v62.0/sobjects", "referenceId": "a"}]}),
                "JSON_PARSER_ERROR",
            ),
            (
                json!({"compositeRequest": [{"method": "GET", "url": "/sobjects/Account", "referenceId": "a"}]}),
                "JSON_PARSER_ERROR",
            ),
            (
                json!({"compositeRequest": [{"method": "GET", "url": "/services/data/v62.0/sobjects", "referenceId": "a",
                "httpHeaders": {"content-type": "text/csv"}}]}),
                "JSON_PARSER_ERROR",
            ),
        ];
        for (body, code) in cases {
            let error = composite(body.clone())
                .err()
                .unwrap_or_else(|| panic!("{body}"));
            assert_eq!(
                (error.status, error.error_code.as_str()),
                (400, code),
                "{body}"
            );
        }
        let heavy: Vec<Json> = (0..6)
            .map(|i| json!({"method": "GET", "url": "/services/data/v62.0/query?q=SELECT+Id+FROM+Account", "referenceId": format!("q{i}")}))
            .collect();
        assert_eq!(
            composite(json!({"compositeRequest": heavy}))
                .err()
                .unwrap()
                .error_code,
            "LIMIT_EXCEEDED"
        );
    }

    #[test]
    fn batch_urls_are_relative_and_versioned() {
        let v62 = ApiVersion::parse("62.0").unwrap();
        let body = json!({"batchRequests": [{"method": "GET", "url": "v60.0/sobjects/Account"},
            {"method": "PATCH", "url": "/services/data/v62.0/sobjects/Account/001", "richInput": {"Name": "X"}}]});
        let request = BatchRequest::parse(body.to_string().as_bytes(), v62).unwrap();
        assert_eq!(
            request.subrequests[0].url,
            "/services/data/v60.0/sobjects/Account"
        );
        assert_eq!(request.subrequests[1].body, Some(json!({"Name": "X"})));
        for url in [
            "v63.0/sobjects/Account",
            "v33.0/sobjects/Account",
            "sobjects/Account",
        ] {
            let body = json!({"batchRequests": [{"method": "GET", "url": url}]});
            assert_eq!(
                BatchRequest::parse(body.to_string().as_bytes(), v62)
                    .err()
                    .unwrap()
                    .status,
                400
            );
        }
    }
}
