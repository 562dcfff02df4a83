//! Per-record results of collection writes (SaveResult, UpsertResult, DeleteResult) and what `allOrNone`
//! makes of them.
//!
//! Shapes (rest-writes.md §3.1): success `{"id","success":true,"errors":[]}` (+ `"created"` for upsert);
//! a record that failed on its own `{"success":false,"errors":[{"statusCode","message","fields"}]}` with no
//! `id`; under `allOrNone` every other record reports `ALL_OR_NONE_OPERATION_ROLLED_BACK`, keeping its `id`
//! only when the record existed before the call (an update, a delete, an upsert that matched).

use bulkforce_core::error::RowError;
use serde_json::{Value as Json, json};

/// One per-record error, in the collections shape (`statusCode`, not `errorCode`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SaveError {
    pub status_code: String,
    pub message: String,
    pub fields: Vec<String>,
}

impl SaveError {
    pub(crate) fn new(status_code: &str, message: impl Into<String>, fields: Vec<String>) -> Self {
        SaveError {
            status_code: status_code.to_owned(),
            message: message.into(),
            fields,
        }
    }

    pub(crate) fn to_json(&self) -> Json {
        json!({ "statusCode": self.status_code, "message": self.message, "fields": self.fields })
    }

    /// What every saved record of a rolled-back `allOrNone` call reports.
    fn rolled_back() -> Self {
        Self::new(
            "ALL_OR_NONE_OPERATION_ROLLED_BACK",
            "Record rolled back because not all records were valid and the request was using AllOrNone header",
            Vec::new(),
        )
    }
}

impl From<RowError> for SaveError {
    fn from(e: RowError) -> Self {
        SaveError {
            status_code: e.code.to_owned(),
            message: e.message,
            fields: e.fields,
        }
    }
}

/// What one record of a collection write came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RecordResult {
    /// Saved: its id, whether it was created (upsert answers say so), and whether it existed before.
    Saved {
        id: String,
        created: Option<bool>,
        existed: bool,
    },
    Failed(Vec<SaveError>),
}

impl RecordResult {
    pub(crate) fn failed(error: SaveError) -> Self {
        RecordResult::Failed(vec![error])
    }

    /// The result without the upsert-only `created` flag (create and update answers have none).
    pub(crate) fn without_created(self) -> Self {
        match self {
            RecordResult::Saved { id, existed, .. } => RecordResult::Saved {
                id,
                created: None,
                existed,
            },
            failed => failed,
        }
    }

    /// The result of an upsert that created (or updated) its record, flagged so.
    pub(crate) fn with_created(self, flag: bool) -> Self {
        match self {
            RecordResult::Saved { id, existed, .. } => RecordResult::Saved {
                id,
                created: Some(flag),
                existed,
            },
            failed => failed,
        }
    }

    pub(crate) fn is_failure(&self) -> bool {
        matches!(self, RecordResult::Failed(_))
    }
}

/// The answer array: one entry per record in order. With `rolled_back`, saved records report
/// `ALL_OR_NONE_OPERATION_ROLLED_BACK` (nothing was kept).
pub(crate) fn answer(results: &[RecordResult], rolled_back: bool) -> Json {
    Json::Array(results.iter().map(|r| entry(r, rolled_back)).collect())
}

fn entry(result: &RecordResult, rolled_back: bool) -> Json {
    match result {
        RecordResult::Saved {
            id,
            created,
            existed,
        } if rolled_back => {
            let mut entry = serde_json::Map::new();
            if *existed {
                entry.insert("id".into(), json!(id));
            }
            entry.insert("success".into(), json!(false));
            entry.insert("errors".into(), json!([SaveError::rolled_back().to_json()]));
            if created.is_some() {
                entry.insert("created".into(), json!(false));
            }
            Json::Object(entry)
        }
        RecordResult::Saved { id, created, .. } => {
            let mut entry = json!({ "id": id, "success": true, "errors": [] });
            if let Some(created) = created {
                entry["created"] = json!(created);
            }
            entry
        }
        RecordResult::Failed(errors) => json!({
            "success": false,
            "errors": errors.iter().map(SaveError::to_json).collect::<Vec<_>>(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn saved(id: &str, created: Option<bool>, existed: bool) -> RecordResult {
        RecordResult::Saved {
            id: id.into(),
            created,
            existed,
        }
    }

    #[test]
    fn success_and_failure_shapes() {
        let results = [
            saved("001A", Some(true), false),
            RecordResult::failed(SaveError::new("X", "bad", vec!["Name".into()])),
        ];
        assert_eq!(
            answer(&results, false),
            json!([
                {"id": "001A", "success": true, "errors": [], "created": true},
                {"success": false, "errors": [{"statusCode": "X", "message": "bad", "fields": ["Name"]}]}
            ])
        );
    }

    #[test]
    fn rolled_back_records_keep_only_ids_that_existed() {
        let rolled = answer(
            &[saved("001A", None, false), saved("001B", None, true)],
            true,
        );
        assert!(rolled[0].get("id").is_none());
        assert_eq!(rolled[1]["id"], "001B");
        assert_eq!(
            rolled[0]["errors"][0]["statusCode"],
            "ALL_OR_NONE_OPERATION_ROLLED_BACK"
        );
        assert_eq!(rolled[1]["success"], false);
    }
}
