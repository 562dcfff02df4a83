//! Reading requests: `application/x-www-form-urlencoded` pairs (query strings, OAuth forms) and the small
//! JSON bodies of job-control requests.

use axum::body::Bytes;
use axum::extract::Request;
use bulkforce_core::ApiError;

/// Largest job-control body read (create, close, abort): these are a few hundred bytes in practice.
const MAX_JSON_BODY: usize = 1024 * 1024;

/// Reads a small JSON body, refusing anything larger than a job-control request can be.
pub async fn small_body(request: Request) -> Result<Bytes, ApiError> {
    axum::body::to_bytes(request.into_body(), MAX_JSON_BODY)
        .await
        .map_err(|_| ApiError::new(413, "JSON_PARSER_ERROR", "The request body is too large"))
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
