//! Conditional requests on sObject rows, evaluated in HTTP's order (RFC 9110 §13.2.2): `If-Match` (412
//! unless the record's ETag is listed), else `If-Unmodified-Since` (412 when it changed since); then
//! `If-None-Match` (304 on a read, 412 on a write when the ETag is listed), else `If-Modified-Since` (304
//! when it has not changed since). Dates compare with `LastModifiedDate` at the second, the precision of an
//! HTTP date. ETags exist for Account records only, as in Salesforce, so the ETag headers are ignored on
//! other objects.

use super::answer::Answer;
use axum::http::{HeaderMap, StatusCode};
use bulkforce_core::ApiError;
use chrono::{DateTime, Utc};

const MODIFIED_SINCE: &str = "If-Modified-Since";
const UNMODIFIED_SINCE: &str = "If-Unmodified-Since";
const MATCH: &str = "If-Match";
const NONE_MATCH: &str = "If-None-Match";

/// The conditions a request carries (the default: none).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Conditions {
    modified_since: Option<DateTime<Utc>>,
    unmodified_since: Option<DateTime<Utc>>,
    if_match: Option<Vec<String>>,
    if_none_match: Option<Vec<String>>,
}

/// What the conditions are checked against: the stored record's version.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct RecordVersion<'a> {
    pub last_modified: Option<DateTime<Utc>>,
    /// `None`: the object has no ETags (any but Account).
    pub etag: Option<&'a str>,
}

impl Conditions {
    /// From an HTTP request's headers. A date that does not parse is refused on a write (`strict`, as
    /// Salesforce answers 400 on PATCH and POST) and ignored on a read, as HTTP says.
    pub fn from_headers(headers: &HeaderMap, strict: bool) -> Result<Conditions, ApiError> {
        Conditions::parse(
            |name| headers.get(name).and_then(|v| v.to_str().ok()),
            strict,
        )
    }

    /// From a composite subrequest's `httpHeaders` (names compared without case).
    pub fn from_pairs(pairs: &[(String, String)], strict: bool) -> Result<Conditions, ApiError> {
        Conditions::parse(
            |name| {
                pairs
                    .iter()
                    .find(|(n, _)| n.eq_ignore_ascii_case(name))
                    .map(|(_, v)| v.as_str())
            },
            strict,
        )
    }

    fn parse<'a>(
        header: impl Fn(&str) -> Option<&'a str>,
        strict: bool,
    ) -> Result<Conditions, ApiError> {
        let date = |name: &str| -> Result<Option<DateTime<Utc>>, ApiError> {
            let Some(text) = header(name) else {
                return Ok(None);
            };
            match DateTime::parse_from_rfc2822(text.trim()) {
                Ok(date) => Ok(Some(date.with_timezone(&Utc))),
                Err(_) if strict => Err(ApiError::new(
                    400,
                    "INVALID_HEADER",
                    format!("{name} is not a valid date: {text}"),
                )),
                Err(_) => Ok(None),
            }
        };
        let tags = |name: &str| {
            header(name).map(|list| {
                list.split(',')
                    .map(|tag| tag.trim().trim_start_matches("W/").to_owned())
                    .filter(|tag| !tag.is_empty())
                    .collect()
            })
        };
        Ok(Conditions {
            modified_since: date(MODIFIED_SINCE)?,
            unmodified_since: date(UNMODIFIED_SINCE)?,
            if_match: tags(MATCH),
            if_none_match: tags(NONE_MATCH),
        })
    }

    /// The answer that replaces the request's (`read`: a GET or HEAD), or `None`: go on.
    pub fn check(&self, record: RecordVersion<'_>, read: bool) -> Option<Answer> {
        let seconds = record.last_modified.map(|d| d.timestamp());
        match (&self.if_match, record.etag) {
            (Some(tags), Some(etag)) if !listed(tags, etag) => return Some(precondition_failed()),
            (Some(_), Some(_)) => {}
            _ => {
                if let (Some(since), Some(seconds)) = (self.unmodified_since, seconds)
                    && seconds > since.timestamp()
                {
                    return Some(precondition_failed());
                }
            }
        }
        match (&self.if_none_match, record.etag) {
            (Some(tags), Some(etag)) if listed(tags, etag) => Some(if read {
                Answer::empty(StatusCode::NOT_MODIFIED)
            } else {
                precondition_failed()
            }),
            (Some(_), Some(_)) => None,
            _ => match (self.modified_since, seconds) {
                // HTTP dates have whole seconds: a change within the given second is not after it.
                (Some(since), Some(seconds)) if seconds <= since.timestamp() => {
                    Some(Answer::empty(StatusCode::NOT_MODIFIED))
                }
                _ => None,
            },
        }
    }
}

/// Whether `etag` (quoted) is among `tags`, or they are `*`.
fn listed(tags: &[String], etag: &str) -> bool {
    tags.iter().any(|tag| tag == "*" || tag == etag)
}

/// 412, in the REST error envelope.
fn precondition_failed() -> Answer {
    Answer::refused(
        StatusCode::PRECONDITION_FAILED,
        "PRECONDITION_FAILED",
        "The record does not match the request's conditions",
        None,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conditions(name: &str, value: &str) -> Result<Conditions, ApiError> {
        Conditions::from_pairs(&[(name.to_owned(), value.to_owned())], true)
    }

    fn at(s: &str) -> RecordVersion<'static> {
        RecordVersion {
            last_modified: Some(DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)),
            etag: None,
        }
    }

    #[test]
    fn dates_compare_at_the_second() {
        let c = conditions("if-modified-since", "Fri, 04 Dec 2026 10:00:00 GMT").unwrap();
        assert_eq!(
            c.check(at("2026-12-04T10:00:00.900Z"), true)
                .map(|a| a.status),
            Some(StatusCode::NOT_MODIFIED)
        );
        assert_eq!(c.check(at("2026-12-04T10:00:01Z"), true), None);
        let c = conditions("If-Unmodified-Since", "Fri, 04 Dec 2026 10:00:00 GMT").unwrap();
        assert_eq!(c.check(at("2026-12-04T10:00:00.500Z"), false), None);
        assert_eq!(
            c.check(at("2026-12-04T10:00:01Z"), false).map(|a| a.status),
            Some(StatusCode::PRECONDITION_FAILED)
        );
    }

    #[test]
    fn etags_decide_before_dates_and_only_where_records_have_them() {
        let version = |etag| RecordVersion {
            etag,
            ..at("2026-12-04T10:00:00Z")
        };
        let c = conditions("If-None-Match", "\"a\", W/\"b\"").unwrap();
        let status = |c: &Conditions, etag, read| c.check(version(etag), read).map(|a| a.status);
        assert_eq!(
            status(&c, Some("\"b\""), true),
            Some(StatusCode::NOT_MODIFIED)
        );
        assert_eq!(
            status(&c, Some("\"b\""), false),
            Some(StatusCode::PRECONDITION_FAILED)
        );
        assert_eq!(status(&c, Some("\"c\""), true), None);
        assert_eq!(
            status(&c, None, true),
            None,
            "no ETag: the header is ignored"
        );
        let c = conditions("If-Match", "\"a\"").unwrap();
        assert_eq!(status(&c, Some("\"a\""), false), None);
        assert_eq!(
            status(&c, Some("\"c\""), false),
            Some(StatusCode::PRECONDITION_FAILED)
        );
    }

    #[test]
    fn a_bad_date_is_refused_only_when_strict() {
        let bad = conditions("If-Modified-Since", "yesterday").unwrap_err();
        assert_eq!(
            (bad.status, bad.error_code.as_str()),
            (400, "INVALID_HEADER")
        );
        let pairs = [("If-Modified-Since".to_owned(), "yesterday".to_owned())];
        assert_eq!(
            Conditions::from_pairs(&pairs, false).unwrap(),
            Conditions::default()
        );
    }
}
