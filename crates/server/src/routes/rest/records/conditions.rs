//! Conditional requests on sObject rows: `If-Modified-Since` (304 when the record has not changed since)
//! and `If-Unmodified-Since` (412 when it has), compared with the record's `LastModifiedDate` at the
//! second, the precision of an HTTP date.

use super::answer::Answer;
use axum::http::{HeaderMap, StatusCode};
use bulkforce_core::ApiError;
use chrono::{DateTime, Utc};

const MODIFIED_SINCE: &str = "If-Modified-Since";
const UNMODIFIED_SINCE: &str = "If-Unmodified-Since";

/// The conditions a request carries (none: both `None`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Conditions {
    modified_since: Option<DateTime<Utc>>,
    unmodified_since: Option<DateTime<Utc>>,
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
    #[allow(dead_code)] // Until composite subrequests pass their headers.
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
        Ok(Conditions {
            modified_since: date(MODIFIED_SINCE)?,
            unmodified_since: date(UNMODIFIED_SINCE)?,
        })
    }

    /// The answer that replaces the request's, given when the record was last modified: 304 when it has
    /// not changed since `If-Modified-Since`, 412 when it has since `If-Unmodified-Since`; `None`: go on.
    pub fn check(&self, last_modified: Option<DateTime<Utc>>) -> Option<Answer> {
        let last_modified = last_modified?;
        // HTTP dates have whole seconds: a change within the given second is not after it.
        let seconds = last_modified.timestamp();
        if let Some(since) = self.modified_since
            && seconds <= since.timestamp()
        {
            return Some(Answer::empty(StatusCode::NOT_MODIFIED));
        }
        if let Some(since) = self.unmodified_since
            && seconds > since.timestamp()
        {
            return Some(Answer::refused(
                StatusCode::PRECONDITION_FAILED,
                "PRECONDITION_FAILED",
                &format!("The record has been modified since {UNMODIFIED_SINCE}"),
                None,
            ));
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conditions(name: &str, value: &str) -> Result<Conditions, ApiError> {
        Conditions::from_pairs(&[(name.to_owned(), value.to_owned())], true)
    }

    #[test]
    fn dates_compare_at_the_second() {
        let at = |s: &str| Some(DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc));
        let c = conditions("if-modified-since", "Fri, 04 Dec 2026 10:00:00 GMT").unwrap();
        assert_eq!(
            c.check(at("2026-12-04T10:00:00.900Z")).map(|a| a.status),
            Some(StatusCode::NOT_MODIFIED)
        );
        assert_eq!(c.check(at("2026-12-04T10:00:01Z")), None);
        let c = conditions("If-Unmodified-Since", "Fri, 04 Dec 2026 10:00:00 GMT").unwrap();
        assert_eq!(c.check(at("2026-12-04T10:00:00.500Z")), None);
        assert_eq!(
            c.check(at("2026-12-04T10:00:01Z")).map(|a| a.status),
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
