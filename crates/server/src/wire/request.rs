//! Reading requests: `application/x-www-form-urlencoded` pairs (query strings, OAuth forms) and the small
//! JSON bodies of job-control requests.

use axum::body::Bytes;
use axum::extract::Request;
use bulkforce_core::ApiError;
use bytes::BytesMut;
use futures::StreamExt;
use std::time::Duration;

/// Largest job-control body read (create, close, abort): these are a few hundred bytes in practice.
const MAX_JSON_BODY: usize = 1024 * 1024;

/// How long a small body (a job-control request, a login) may take to arrive in full. The connection's
/// idle timeout only needs a byte now and then, so without this a client trickling a declared body could
/// hold a connection (and, unauthenticated, a login) for as long as it likes.
const SMALL_BODY_DEADLINE: Duration = Duration::from_secs(30);

/// Why a small body could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmallBodyError {
    /// Larger than the limit.
    TooLarge,
    /// Not complete within [`SMALL_BODY_DEADLINE`], or the connection failed.
    Incomplete,
}

/// Reads a body of at most `limit` bytes, in full within a deadline.
pub async fn read_small_body(request: Request, limit: usize) -> Result<Bytes, SmallBodyError> {
    tokio::time::timeout(SMALL_BODY_DEADLINE, collect(request, limit))
        .await
        .unwrap_or(Err(SmallBodyError::Incomplete))
}

/// Collects the body, stopping as soon as it passes `limit`.
async fn collect(request: Request, limit: usize) -> Result<Bytes, SmallBodyError> {
    let mut pieces = request.into_body().into_data_stream();
    let mut body = BytesMut::new();
    while let Some(piece) = pieces.next().await {
        let piece = piece.map_err(|_| SmallBodyError::Incomplete)?;
        if body.len() + piece.len() > limit {
            return Err(SmallBodyError::TooLarge);
        }
        body.extend_from_slice(&piece);
    }
    Ok(body.freeze())
}

/// Reads a small JSON body, refusing anything larger than a job-control request can be.
pub async fn small_body(request: Request) -> Result<Bytes, ApiError> {
    body_up_to(request, MAX_JSON_BODY).await
}

/// Reads a JSON body of at most `limit` bytes (for requests that carry many records, such as composite
/// requests), with the answers of [`small_body`]: 413 past the limit, 400 when it does not arrive in full.
pub async fn body_up_to(request: Request, limit: usize) -> Result<Bytes, ApiError> {
    read_small_body(request, limit).await.map_err(|e| match e {
        SmallBodyError::TooLarge => {
            ApiError::new(413, "JSON_PARSER_ERROR", "The request body is too large")
        }
        SmallBodyError::Incomplete => ApiError::new(
            400,
            "JSON_PARSER_ERROR",
            "The request body did not arrive in full",
        ),
    })
}

/// The decoded `name=value` pairs of a query string or form body, in order (`+` is a space, `%XX` a byte,
/// invalid UTF-8 replaced).
pub fn form_pairs(text: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(text.as_bytes())
        .into_owned()
        .collect()
}

/// The first value of one query-string parameter, decoded.
pub fn query_param(query: &str, name: &str) -> Option<String> {
    form_urlencoded::parse(query.as_bytes())
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_forms_as_browsers_encode_them() {
        assert_eq!(
            form_pairs("q=SELECT+Id%2C+Name+FROM+Account&&flag&bad=%zz%4"),
            vec![
                ("q".to_owned(), "SELECT Id, Name FROM Account".to_owned()),
                ("flag".to_owned(), String::new()),
                ("bad".to_owned(), "%zz%4".to_owned()),
            ]
        );
        assert_eq!(query_param("a=1&b=%C3%A9&b=2", "b").as_deref(), Some("é"));
        assert_eq!(query_param("a=1", "b"), None);
    }
}
