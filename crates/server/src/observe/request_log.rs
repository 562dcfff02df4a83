//! The latest requests, newest first, in a bounded ring (`--request-log-size`). An entry never holds a
//! credential: no header is kept, and query parameters that may carry one have their values redacted.

use parking_lot::Mutex;
use serde::Serialize;
use std::collections::VecDeque;

/// Query parameters whose values are never logged (OAuth and SOAP login inputs, tokens, codes).
const SECRET_PARAMETERS: &[&str] = &[
    "oauth_token",
    "access_token",
    "refresh_token",
    "token",
    "password",
    "client_secret",
    "code",
    "code_verifier",
    "assertion",
    "sessionid",
    "sid",
];

/// What stands for a redacted value.
const REDACTED: &str = "REDACTED";

/// One request as the log shows it (camelCase JSON).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestEntry {
    /// When the request arrived (RFC 3339, UTC, milliseconds).
    pub time: String,
    pub method: String,
    /// The path, with its query string redacted by [`redact_path`].
    pub path: String,
    pub status: u16,
    /// Time to the response head, in milliseconds.
    pub milliseconds: f64,
    /// The org of the authenticated caller, if any.
    pub org: Option<String>,
    /// The job the path names, if any.
    pub job_id: Option<String>,
    /// The request's Content-Length, when it sent one.
    pub bytes_in: Option<u64>,
    /// The response body's size, when known before it streams.
    pub bytes_out: Option<u64>,
}

/// The ring of the latest requests.
pub struct RequestLog {
    capacity: usize,
    entries: Mutex<VecDeque<RequestEntry>>,
}

impl RequestLog {
    /// A log of at most `capacity` entries (0: nothing is kept).
    pub fn new(capacity: usize) -> Self {
        RequestLog {
            capacity,
            entries: Mutex::new(VecDeque::with_capacity(capacity.min(4096))),
        }
    }

    /// Adds an entry, forgetting the oldest once full.
    pub fn push(&self, entry: RequestEntry) {
        if self.capacity == 0 {
            return;
        }
        let mut entries = self.entries.lock();
        while entries.len() >= self.capacity {
            entries.pop_front();
        }
        entries.push_back(entry);
    }

    /// At most `limit` entries, newest first.
    pub fn latest(&self, limit: usize) -> Vec<RequestEntry> {
        self.entries
            .lock()
            .iter()
            .rev()
            .take(limit)
            .cloned()
            .collect()
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }
}

/// `path` and, when there is one, its query string with the values of [`SECRET_PARAMETERS`] (any case)
/// replaced, so that the log can show which parameters a call had without what a secret one held.
pub fn redact_path(path: &str, query: Option<&str>) -> String {
    let Some(query) = query.filter(|q| !q.is_empty()) else {
        return path.to_owned();
    };
    let mut redacted = form_urlencoded::Serializer::new(String::new());
    for (name, value) in form_urlencoded::parse(query.as_bytes()) {
        let secret = SECRET_PARAMETERS
            .iter()
            .any(|s| name.eq_ignore_ascii_case(s));
        redacted.append_pair(&name, if secret { REDACTED } else { &value });
    }
    format!("{path}?{}", redacted.finish())
}

#[cfg(test)]
mod tests {
    use super::{RequestEntry, RequestLog, redact_path};

    fn entry(n: u16) -> RequestEntry {
        RequestEntry {
            time: String::new(),
            method: "GET".into(),
            path: format!("/{n}"),
            status: n,
            milliseconds: 0.0,
            org: None,
            job_id: None,
            bytes_in: None,
            bytes_out: None,
        }
    }

    #[test]
    fn the_ring_keeps_the_latest_newest_first() {
        let log = RequestLog::new(3);
        for n in 1..=5 {
            log.push(entry(n));
        }
        let statuses: Vec<u16> = log.latest(10).iter().map(|e| e.status).collect();
        assert_eq!(statuses, [5, 4, 3]);
        assert_eq!(log.latest(1).len(), 1);
        let off = RequestLog::new(0);
        off.push(entry(1));
        assert!(off.latest(10).is_empty());
    }

    #[test]
    fn secret_parameters_are_redacted() {
        assert_eq!(redact_path("/a", None), "/a");
        assert_eq!(
            redact_path(
                "/id/x/y",
                Some("oauth_token=s3cret&version=latest&Password=pw")
            ),
            "/id/x/y?oauth_token=REDACTED&version=latest&Password=REDACTED"
        );
    }
}
