//! The one error type of the client.

use crate::JobState;
use std::time::Duration;

/// Everything a call of [`crate::Client`] can fail with.
///
/// ```
/// use bulkforce_client::{Error, JobState};
/// use std::time::Duration;
/// let e = Error::from_response_body(404, br#"[{"errorCode":"NOT_FOUND","message":"no such job"}]"#);
/// assert!(matches!(e, Error::Api { status: 404, ref code, .. } if code == "NOT_FOUND"));
/// assert_eq!(e.to_string(), "NOT_FOUND: no such job (HTTP 404)");
/// let e = Error::Timeout {
///     job_id: "750000000000001AAA".into(),
///     state: JobState::InProgress,
///     waited: Duration::from_secs(90),
/// };
/// assert!(e.to_string().starts_with("job 750000000000001AAA did not finish within 90s"));
/// ```
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The server answered with an error status. `code` and `message` come from Salesforce's error envelope
    /// `[{"errorCode": …, "message": …}]` (or from OAuth's `{"error", "error_description"}`); when the body has
    /// neither shape, `code` is `UNKNOWN` and `message` the body text.
    #[error("{code}: {message} (HTTP {status})")]
    Api {
        /// The HTTP status, e.g. 400, 401, 404.
        status: u16,
        /// Salesforce's `errorCode`, e.g. `INVALID_SESSION_ID`, `INVALIDJOBSTATE`, `NOT_FOUND`.
        code: String,
        /// Salesforce's `message`.
        message: String,
    },
    /// The request could not be sent or its response not read (connection refused, reset, timed out, …),
    /// after the retries allowed for the call.
    #[error("HTTP request failed: {0}")]
    Http(#[from] reqwest::Error),
    /// Reading the data to upload or writing downloaded data failed.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// The server answered 2xx but not in the shape the Bulk API 2.0 prescribes (bad JSON, missing header).
    #[error("unexpected response: {0}")]
    Protocol(String),
    /// Polling gave up at its deadline. The job was **not** aborted: it keeps running on the server and can be
    /// looked up again with `job_id`.
    #[error(
        "job {job_id} did not finish within {}s (last state {state}); it keeps running on the server",
        waited.as_secs()
    )]
    Timeout {
        /// The id of the job that is still running.
        job_id: String,
        /// The state the job was last seen in.
        state: JobState,
        /// How long the client polled.
        waited: Duration,
    },
    /// An argument given to the client cannot work (e.g. an instance URL that is not a URL).
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// A login was refused: an OAuth error answer (`{"error":"invalid_grant","error_description":…}`) or a
    /// SOAP login fault (`INVALID_LOGIN`, …). See [`crate::auth`].
    #[error("login refused: {code}: {message}")]
    Auth {
        /// OAuth's `error` (`invalid_grant`, `invalid_client_id`, …) or the SOAP `exceptionCode`
        /// (`INVALID_LOGIN`, …).
        code: String,
        /// OAuth's `error_description` or the SOAP `exceptionMessage`.
        message: String,
    },
    /// A split load cannot go on: the file cannot be split as it is, or its journal cannot be used.
    #[error(transparent)]
    Load(#[from] crate::load::LoadError),
}

impl Error {
    /// True when the server refused the credentials: a refused login ([`Error::Auth`]), HTTP 401, or a 403 about
    /// the session or the login.
    ///
    /// ```
    /// use bulkforce_client::Error;
    /// let expired = br#"[{"errorCode":"INVALID_SESSION_ID","message":"Session expired or invalid"}]"#;
    /// assert!(Error::from_response_body(401, expired).is_auth());
    /// let refused = Error::Auth { code: "invalid_grant".into(), message: "authentication failure".into() };
    /// assert!(refused.is_auth());
    /// let denied = br#"[{"errorCode":"INSUFFICIENT_ACCESS","message":"no access"}]"#;
    /// assert!(!Error::from_response_body(403, denied).is_auth());
    /// ```
    pub fn is_auth(&self) -> bool {
        match self {
            Error::Auth { .. } => true,
            Error::Api { status, code, .. } => {
                *status == 401
                    || (*status == 403
                        && matches!(
                            code.as_str(),
                            "INVALID_SESSION_ID" | "INVALID_AUTH_HEADER" | "invalid_grant"
                        ))
            }
            _ => false,
        }
    }

    /// True when the server could not be reached or kept failing: connection and transport errors, and
    /// 429/5xx answers still failing after the retries.
    ///
    /// ```
    /// use bulkforce_client::Error;
    /// assert!(Error::from_response_body(503, b"Service Unavailable").is_network());
    /// assert!(Error::from_response_body(429, b"").is_network());
    /// let bad_state = br#"[{"errorCode":"INVALIDJOBSTATE","message":"Job is not open"}]"#;
    /// assert!(!Error::from_response_body(400, bad_state).is_network());
    /// ```
    pub fn is_network(&self) -> bool {
        match self {
            Error::Http(_) => true,
            Error::Api { status, .. } => *status == 429 || *status >= 500,
            _ => false,
        }
    }

    /// Builds [`Error::Api`] from an error response's status and body.
    ///
    /// ```
    /// use bulkforce_client::Error;
    /// let body = br#"[{"errorCode":"MALFORMED_QUERY","message":"unexpected token"}]"#;
    /// let e = Error::from_response_body(400, body);
    /// assert!(matches!(e, Error::Api { ref code, ref message, .. }
    ///     if code == "MALFORMED_QUERY" && message == "unexpected token"));
    /// let e = Error::from_response_body(400, br#"{"error":"invalid_grant","error_description":"expired"}"#);
    /// assert!(matches!(e, Error::Api { ref code, .. } if code == "invalid_grant"));
    /// let e = Error::from_response_body(502, b"Bad Gateway\n");
    /// assert_eq!(e.to_string(), "UNKNOWN: Bad Gateway (HTTP 502)");
    /// ```
    pub fn from_response_body(status: u16, body: &[u8]) -> Error {
        #[derive(serde::Deserialize)]
        struct SfError {
            #[serde(rename = "errorCode")]
            error_code: String,
            #[serde(default)]
            message: String,
        }
        #[derive(serde::Deserialize)]
        struct OAuthError {
            error: String,
            #[serde(default)]
            error_description: String,
        }
        if let Ok(errors) = serde_json::from_slice::<Vec<SfError>>(body)
            && let Some(first) = errors.into_iter().next()
        {
            return Error::Api {
                status,
                code: first.error_code,
                message: first.message,
            };
        }
        if let Ok(one) = serde_json::from_slice::<SfError>(body) {
            return Error::Api {
                status,
                code: one.error_code,
                message: one.message,
            };
        }
        if let Ok(oauth) = serde_json::from_slice::<OAuthError>(body) {
            return Error::Api {
                status,
                code: oauth.error,
                message: oauth.error_description,
            };
        }
        Error::Api {
            status,
            code: "UNKNOWN".to_owned(),
            message: String::from_utf8_lossy(body).trim().to_owned(),
        }
    }
}

/// `Result` with [`Error`].
///
/// ```
/// use bulkforce_client::{Client, Result};
/// fn local(port: u16) -> Result<Client> {
///     Client::new(format!("http://127.0.0.1:{port}"), "00D000000000001!token", "62.0")
/// }
/// assert_eq!(local(8080)?.instance_url(), "http://127.0.0.1:8080");
/// # Ok::<(), bulkforce_client::Error>(())
/// ```
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_salesforce_envelope() {
        let e = Error::from_response_body(
            404,
            br#"[{"errorCode":"NOT_FOUND","message":"The requested resource does not exist"}]"#,
        );
        assert!(
            matches!(e, Error::Api { status: 404, ref code, ref message }
            if code == "NOT_FOUND" && message == "The requested resource does not exist")
        );
        assert!(!e.is_auth());
    }

    #[test]
    fn parses_oauth_and_unknown_bodies() {
        let e = Error::from_response_body(
            400,
            br#"{"error":"invalid_grant","error_description":"authentication failure"}"#,
        );
        assert!(matches!(e, Error::Api { ref code, .. } if code == "invalid_grant"));
        let e = Error::from_response_body(502, b"Bad Gateway\n");
        assert!(matches!(e, Error::Api { ref code, ref message, .. }
            if code == "UNKNOWN" && message == "Bad Gateway"));
        assert!(e.is_network());
        let e = Error::from_response_body(
            401,
            br#"[{"message":"Session expired or invalid","errorCode":"INVALID_SESSION_ID"}]"#,
        );
        assert!(e.is_auth());
    }
}
