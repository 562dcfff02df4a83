//! What a record operation answers, before it becomes an HTTP response or a composite subresponse: a
//! status, an optional JSON body and a `Location`, with Salesforce's error envelope for refusals.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use bulkforce_core::RowError;
use bulkforce_core::id::SfId;
use bulkforce_core::job::ApiVersion;
use serde_json::{Value as Json, json};

use crate::wire;

/// One record operation's answer.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Answer {
    pub status: StatusCode,
    /// `None`: no body (204, 304).
    pub body: Option<Json>,
    /// The created record's URL path (`Location` on a 201).
    pub location: Option<String>,
    /// The record's `ETag` (Account reads).
    pub etag: Option<String>,
}

impl Answer {
    pub fn new(status: StatusCode, body: Json) -> Answer {
        Answer {
            status,
            body: Some(body),
            location: None,
            etag: None,
        }
    }

    /// A status without a body (204, 304).
    pub fn empty(status: StatusCode) -> Answer {
        Answer {
            status,
            body: None,
            location: None,
            etag: None,
        }
    }

    /// Whether the operation did what it was asked (a unit of it may commit).
    pub fn is_success(&self) -> bool {
        self.status.is_success()
    }

    /// A refusal in the REST error envelope: `[{"errorCode","message"}]` (the key order of every other
    /// error this server answers), with `fields` when given.
    pub fn refused(
        status: StatusCode,
        code: &str,
        message: &str,
        fields: Option<&[String]>,
    ) -> Answer {
        Answer::new(status, json!([error_entry(code, message, fields)]))
    }

    /// 404 `NOT_FOUND` `The requested resource does not exist` (no `fields`, as Salesforce).
    pub fn not_found() -> Answer {
        Answer::refused(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            "The requested resource does not exist",
            None,
        )
    }

    /// 404 for an external-id path naming no external-id field of the object.
    pub fn no_external_id_field(field: &str) -> Answer {
        Answer::refused(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            &format!("Provided external ID field does not exist or is not accessible: {field}"),
            None,
        )
    }

    /// A row refused by the row rules: 404 for a deleted record, 400 otherwise; one entry per error of
    /// the row (every failing validation rule, in name order, spec §4.1), `fields` as Salesforce gives
    /// them (left out of `INVALID_FIELD` and `JSON_PARSER_ERROR` errors that name none).
    pub fn row_error(error: &RowError) -> Answer {
        let status = match error.code {
            "ENTITY_IS_DELETED" => StatusCode::NOT_FOUND,
            _ => StatusCode::BAD_REQUEST,
        };
        let entries = error.all().map(|e| {
            let fields = match e.code {
                "INVALID_FIELD" | "JSON_PARSER_ERROR" if e.fields.is_empty() => None,
                _ => Some(e.fields.as_slice()),
            };
            error_entry(e.code, &e.message, fields)
        });
        Answer::new(status, Json::Array(entries.collect()))
    }

    /// 201 for a created record: `{"id","success":true,"errors":[]}` (with `created: true` when asked),
    /// and its `Location`.
    pub fn created(version: ApiVersion, object: &str, id: SfId, created_flag: bool) -> Answer {
        let mut body = save_result(id);
        if created_flag {
            body["created"] = json!(true);
        }
        Answer {
            location: Some(record_path(version, object, id.as_str())),
            ..Answer::new(StatusCode::CREATED, body)
        }
    }

    /// The HTTP response: the JSON body with Salesforce's content type, `Location` and `ETag` when set.
    pub fn into_response(self) -> Response {
        let mut response = match &self.body {
            Some(body) => wire::json(self.status, body),
            None => wire::empty(self.status),
        };
        for (name, value) in [(header::LOCATION, self.location), (header::ETAG, self.etag)] {
            if let Some(value) = value.and_then(|v| HeaderValue::from_str(&v).ok()) {
                response.headers_mut().insert(name, value);
            }
        }
        response
    }
}

/// One entry of the REST error envelope: `{"errorCode","message"}`, with `fields` when given.
fn error_entry(code: &str, message: &str, fields: Option<&[String]>) -> Json {
    let mut error = json!({ "errorCode": code, "message": message });
    if let Some(fields) = fields {
        error["fields"] = json!(fields);
    }
    error
}

/// A successful save: `{"id","success":true,"errors":[]}`.
fn save_result(id: SfId) -> Json {
    json!({ "id": id.as_str(), "success": true, "errors": [] })
}

/// A record's path: `/services/data/vXX.X/sobjects/{Obj}/{id}`.
pub(crate) fn record_path(version: ApiVersion, object: &str, id: &str) -> String {
    format!("/services/data/v{version}/sobjects/{object}/{id}")
}
