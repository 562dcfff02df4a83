//! What goes over the wire, shared by every handler: reading requests (query strings and forms, small
//! bodies, `Accept-Encoding`) and writing responses (Salesforce's content types and error envelope, CSV
//! bodies streamed from blocking code with backpressure).
//!
//! It knows HTTP and nothing of the server's state, so that routes, workers and the dispatcher can all use
//! it without depending on each other.

mod accept_encoding;
mod request;
mod response;
mod stream;

pub use accept_encoding::accepts_gzip;
pub use request::{
    SmallBodyError, body_up_to, form_pairs, query_param, read_small_body, small_body,
};
pub use response::{
    SERVER_UNAVAILABLE, empty, error, internal_error, json, not_allowed, store_error,
    unexpected_message,
};
pub use stream::stream_csv;
