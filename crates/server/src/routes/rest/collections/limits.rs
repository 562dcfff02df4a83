//! What one sObject Collections call may hold, and Salesforce's answers past it.

use bulkforce_core::ApiError;

/// Records per create, update or upsert call, and ids per delete call.
pub(super) const MAX_RECORDS: usize = 200;
/// Ids per retrieve call (the POST form's documented limit; the GET form is bounded by the URL first).
pub(super) const MAX_RETRIEVE_IDS: usize = 2_000;
/// Runs of consecutive records of one object type in a mixed create or update.
pub(super) const MAX_TYPE_CHUNKS: usize = 10;

/// 400 `EXCEEDED_ID_LIMIT` when `count` passes `max`, with Salesforce's message.
pub(crate) fn check_count(count: usize, max: usize) -> Result<(), ApiError> {
    if count > max {
        return Err(ApiError::new(
            400,
            "EXCEEDED_ID_LIMIT",
            format!("record limit reached. cannot submit more than {max} records into this call"),
        ));
    }
    Ok(())
}

/// 400 for a delete or retrieve that names no id, as Salesforce words it.
pub(super) fn no_ids() -> ApiError {
    ApiError::new(400, "REQUIRED_FIELD_MISSING", "At least 1 Id is required.")
}

/// Refuses a mixed create or update whose records switch type more than [`MAX_TYPE_CHUNKS`] - 1 times:
/// Salesforce saves consecutive records of one type together and allows ten such chunks.
pub(super) fn check_type_chunks<'a>(types: impl Iterator<Item = &'a str>) -> Result<(), ApiError> {
    let mut chunks = 0usize;
    let mut previous: Option<&str> = None;
    for t in types {
        if previous.is_none_or(|p| !p.eq_ignore_ascii_case(t)) {
            chunks += 1;
            previous = Some(t);
        }
    }
    if chunks > MAX_TYPE_CHUNKS {
        return Err(ApiError::new(
            400,
            "INVALID_BATCH_REQUEST",
            "Cannot have more than 10 chunks in a single operation. Please rearrange the data to reduce chunking.",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_runs_of_one_type_as_chunks() {
        let ten = ["A", "a", "B", "C", "D", "E", "F", "G", "H", "I", "J", "j"];
        assert!(check_type_chunks(ten.into_iter()).is_ok());
        let eleven = ["A", "B", "A", "B", "A", "B", "A", "B", "A", "B", "A"];
        let e = check_type_chunks(eleven.into_iter()).unwrap_err();
        assert_eq!(
            (e.status, e.error_code.as_str()),
            (400, "INVALID_BATCH_REQUEST")
        );
    }

    #[test]
    fn refuses_past_the_limit_only() {
        assert!(check_count(200, MAX_RECORDS).is_ok());
        let e = check_count(201, MAX_RECORDS).unwrap_err();
        assert_eq!(
            e.message,
            "record limit reached. cannot submit more than 200 records into this call"
        );
    }
}
