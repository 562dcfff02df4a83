//! Entry points for the fuzz targets in `fuzz/` (not an API: hidden from the docs, no stability promise).
//!
//! They expose, as plain functions over bytes, the request parsing the server does itself before any
//! state is touched: the SOAP login envelope and the parts of a multipart job create.

use crate::routes::{ingest, soap};
use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, header};
use bulkforce_core::ApiError;

/// What a SOAP `login`/`logout` envelope asks, as the handler reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginRequest {
    pub logout: bool,
    pub username: Option<String>,
    pub password: Option<String>,
    pub session_id: Option<String>,
}

/// Reads a SOAP request body as `POST /services/Soap/{u|c}/{version}` does (lossy UTF-8, then the
/// elements that matter). Never fails: what it cannot read is simply absent, which the handler refuses
/// with `INVALID_LOGIN`.
pub fn parse_login_request(body: &[u8]) -> LoginRequest {
    let call = soap::read_call(&String::from_utf8_lossy(body));
    LoginRequest {
        logout: call.logout,
        username: call.username,
        password: call.password,
        session_id: call.session_id,
    }
}

/// Reads the `job` and `content` parts of a multipart `POST /jobs/ingest` body sent with `content_type`
/// (a content type that is no valid header value is left out, as no client could send it). Returns the
/// two parts, or the `INVALIDJOB` error the server answers with.
pub fn read_multipart_create(
    content_type: &str,
    body: &[u8],
) -> Result<(Vec<u8>, Vec<u8>), ApiError> {
    let mut request = Request::new(Body::from(body.to_vec()));
    if let Ok(value) = HeaderValue::from_str(content_type) {
        request.headers_mut().insert(header::CONTENT_TYPE, value);
    }
    let parts = futures::executor::block_on(ingest::read_multipart(request))?;
    Ok((parts.job.to_vec(), parts.content))
}
