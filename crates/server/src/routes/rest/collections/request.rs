//! Reading collection requests: the create/update/upsert body (`allOrNone` and `records`), the delete
//! query string (`ids`, `allOrNone`), and each record's `attributes.type`.

use super::limits::{self, MAX_RECORDS};
use super::retrieve::split_list;
use crate::wire;
use bulkforce_core::ApiError;
use serde::Deserialize;
use serde_json::{Map, Value as Json};

/// A create, update or upsert: records in order, each a JSON object.
#[derive(Debug)]
pub(crate) struct WriteRequest {
    pub all_or_none: bool,
    pub records: Vec<Map<String, Json>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WriteBody {
    #[serde(default)]
    all_or_none: bool,
    records: Option<Vec<Json>>,
}

impl WriteRequest {
    /// Parses a body; more than 200 records, a missing `records` list or a record that is not a JSON
    /// object refuse the whole call (400), as Salesforce does before saving anything.
    pub(crate) fn parse(body: &[u8]) -> Result<WriteRequest, ApiError> {
        let body: WriteBody =
            serde_json::from_slice(body).map_err(|e| bulkforce_core::job::json_error(&e))?;
        Self::from_parts(body.all_or_none, body.records)
    }

    fn from_parts(all_or_none: bool, records: Option<Vec<Json>>) -> Result<WriteRequest, ApiError> {
        let records = records.ok_or_else(|| {
            ApiError::new(
                400,
                "REQUIRED_FIELD_MISSING",
                "Required fields are missing: [records]",
            )
        })?;
        limits::check_count(records.len(), MAX_RECORDS)?;
        let records = records
            .into_iter()
            .map(|record| match record {
                Json::Object(map) => Ok(map),
                _ => Err(not_a_record()),
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(WriteRequest {
            all_or_none,
            records,
        })
    }
}

/// Salesforce's answer to a record given as anything but a JSON object.
fn not_a_record() -> ApiError {
    ApiError::new(
        400,
        "INVALID_FIELD",
        "Json Deserialization failed on token 'null' and has left off in the middle of parsing a row. Will go to end of row to begin parsing the next row",
    )
}

/// A record's `attributes.type`, when it names one.
pub(crate) fn record_type(record: &Map<String, Json>) -> Option<&str> {
    record
        .get("attributes")
        .and_then(|a| a.get("type"))
        .and_then(Json::as_str)
        .filter(|t| !t.is_empty())
}

/// A delete: ids as given, in answer order.
#[derive(Debug)]
pub(crate) struct DeleteRequest {
    pub all_or_none: bool,
    pub ids: Vec<String>,
}

impl DeleteRequest {
    /// `?ids=a,b&allOrNone=true`: at least one id, at most 200.
    pub(crate) fn from_query(uri_query: &str) -> Result<DeleteRequest, ApiError> {
        let ids = wire::query_param(uri_query, "ids")
            .map(|v| split_list(&v))
            .unwrap_or_default();
        if ids.is_empty() {
            return Err(limits::no_ids());
        }
        limits::check_count(ids.len(), MAX_RECORDS)?;
        let all_or_none = wire::query_param(uri_query, "allOrNone")
            .is_some_and(|v| v.eq_ignore_ascii_case("true"));
        Ok(DeleteRequest { all_or_none, ids })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_bodies() {
        let r = WriteRequest::parse(br#"{"records":[{"attributes":{"type":"Account"}}]}"#).unwrap();
        assert!(!r.all_or_none);
        assert_eq!(record_type(&r.records[0]), Some("Account"));
        let e = WriteRequest::parse(br#"{"allOrNone":true,"records":["x"]}"#).unwrap_err();
        assert_eq!(e.error_code, "INVALID_FIELD");
        let e = WriteRequest::parse(br#"{"allOrNone":true}"#).unwrap_err();
        assert_eq!(e.error_code, "REQUIRED_FIELD_MISSING");
        let e = WriteRequest::parse(b"{").unwrap_err();
        assert_eq!(e.error_code, "JSON_PARSER_ERROR");
    }

    #[test]
    fn delete_query() {
        let d = DeleteRequest::from_query("ids=a,,b&allOrNone=TRUE").unwrap();
        assert_eq!(d.ids, ["a", "b"]);
        assert!(d.all_or_none);
        assert_eq!(
            DeleteRequest::from_query("ids=").unwrap_err().message,
            "At least 1 Id is required."
        );
    }
}
