//! Errors as Salesforce shows them: API errors (HTTP status + `errorCode` + `message`, sent as a JSON array)
//! and per-row errors (the `sf__Error` cell of failed results).

use std::fmt;

/// An API error: what the HTTP layer turns into `[{"errorCode":…,"message":…}]` with `status`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{status} {error_code}: {message}")]
pub struct ApiError {
    pub status: u16,
    pub error_code: String,
    pub message: String,
}

impl ApiError {
    pub fn new(status: u16, error_code: &str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            error_code: error_code.to_owned(),
            message: message.into(),
        }
    }

    /// 404 for unknown jobs, resources and other orgs' jobs alike.
    pub fn not_found() -> Self {
        Self::new(404, "NOT_FOUND", "The requested resource does not exist")
    }

    /// 401 for a missing, unknown, expired or revoked token.
    pub fn invalid_session() -> Self {
        Self::new(401, "INVALID_SESSION_ID", "Session expired or invalid")
    }

    /// 400 for a request that is not allowed in the job's current state.
    pub fn invalid_job_state(message: impl Into<String>) -> Self {
        Self::new(400, "INVALIDJOBSTATE", message)
    }

    /// 400 `INVALIDJOB` with Salesforce's `InvalidJob : …` message prefix.
    pub fn invalid_job(message: impl fmt::Display) -> Self {
        Self::new(400, "INVALIDJOB", format!("InvalidJob : {message}"))
    }

    /// 400 for an enum property with a value Salesforce does not know.
    pub fn invalid_property(value: &str, property: &str) -> Self {
        Self::new(
            400,
            "API_ERROR",
            format!("Invalid value: '{value}' supplied for property: '{property}'"),
        )
    }

    /// 400 for a JSON body whose value has the wrong type.
    pub fn json_type_mismatch(line: usize, column: usize) -> Self {
        Self::new(
            400,
            "API_ERROR",
            format!("Value does not match expected type at [line:{line}, column:{column}]"),
        )
    }

    /// 400 for a body that is not JSON at all.
    pub fn json_parse(detail: impl fmt::Display, line: usize, column: usize) -> Self {
        Self::new(
            400,
            "JSON_PARSER_ERROR",
            format!("{detail} at [line:{line}, column:{column}]"),
        )
    }

    pub fn method_not_allowed(method: &str, allowed: &[&str]) -> Self {
        Self::new(
            405,
            "METHOD_NOT_ALLOWED",
            format!(
                "HTTP Method '{method}' not allowed. Allowed are {}",
                allowed.join(",")
            ),
        )
    }

    pub fn internal(detail: impl fmt::Display) -> Self {
        Self::new(
            500,
            "UNKNOWN_EXCEPTION",
            format!("An unexpected error occurred: {detail}"),
        )
    }
}

/// A row failure: rendered as `CODE:message:Field1 Field2 --` in `sf__Error`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    pub code: &'static str,
    pub message: String,
    pub fields: Vec<String>,
    /// Further errors of the same row, in order (every failing validation rule after the first). REST
    /// answers one entry per error (spec §4.1); Bulk's `sf__Error` shows only this first one, so
    /// `Display` leaves these out.
    pub also: Vec<RowError>,
}

impl RowError {
    pub fn new(code: &'static str, message: impl Into<String>, fields: Vec<String>) -> Self {
        RowError {
            code,
            message: message.into(),
            fields,
            also: Vec::new(),
        }
    }

    /// The first of `errors` carrying the rest as [`RowError::also`]; `None` when there are none.
    pub fn first_of(errors: Vec<RowError>) -> Option<RowError> {
        let mut errors = errors.into_iter();
        let first = errors.next()?;
        Some(first.with_also(errors.collect()))
    }

    /// This error with `also` appended to its further errors.
    pub fn with_also(mut self, also: Vec<RowError>) -> Self {
        self.also.extend(also);
        self
    }

    /// This error and its further errors, in order (each entry's own `also` is not followed).
    pub fn all(&self) -> impl Iterator<Item = &RowError> {
        std::iter::once(self).chain(&self.also)
    }

    fn on(code: &'static str, message: impl Into<String>, field: &str) -> Self {
        Self::new(code, message, vec![field.to_owned()])
    }

    pub fn required_fields_missing(fields: Vec<String>) -> Self {
        let message = format!("Required fields are missing: [{}]", fields.join(", "));
        Self::new("REQUIRED_FIELD_MISSING", message, fields)
    }

    pub fn string_too_long(label: &str, field: &str, value: &str, max: u32) -> Self {
        Self::on(
            "STRING_TOO_LONG",
            format!("{label}: data value too large: {value} (max length={max})"),
            field,
        )
    }

    /// A value that does not parse as the field's type. `column` is zero-based, as Salesforce counts.
    pub fn deserialize(column: usize, value: &str, xsd_type: &str, field: &str) -> Self {
        Self::on(
            "INVALID_FIELD",
            format!(
                "Failed to deserialize field at col {column}. Due to, '{value}' is not a valid value for the type {xsd_type}"
            ),
            field,
        )
    }

    pub fn number_out_of_range(label: &str, field: &str, value: &str) -> Self {
        Self::on(
            "NUMBER_OUTSIDE_VALID_RANGE",
            format!("{label}: value outside of valid range on numeric field: {value}"),
            field,
        )
    }

    pub fn invalid_email(label: &str, field: &str, value: &str) -> Self {
        Self::on(
            "INVALID_EMAIL_ADDRESS",
            format!("{label}: invalid email address: {value}"),
            field,
        )
    }

    pub fn restricted_picklist(label: &str, field: &str, value: &str) -> Self {
        Self::on(
            "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
            format!("{label}: bad value for restricted picklist field: {value}"),
            field,
        )
    }

    /// An id of the wrong object type, or not an id at all, in the `Id` column or a lookup.
    pub fn malformed_id(label: &str, field: &str, value: &str) -> Self {
        Self::on(
            "MALFORMED_ID",
            format!("{label}: id value of incorrect type: {value}"),
            field,
        )
    }

    /// A well-formed id of an object a lookup cannot point at (an Account id in a Task's `WhoId`, a
    /// public group as an owner): Salesforce's `FIELD_INTEGRITY_EXCEPTION`, while text that is no id at
    /// all stays [`RowError::malformed_id`].
    pub fn incorrect_reference_type(label: &str, field: &str, value: &str) -> Self {
        Self::on(
            "FIELD_INTEGRITY_EXCEPTION",
            format!("{label}: id value of incorrect type: {value}"),
            field,
        )
    }

    /// The `Id` column of update/delete/hardDelete holds no id.
    pub fn missing_id() -> Self {
        Self::new(
            "MISSING_ARGUMENT",
            "Id not specified in an update call",
            Vec::new(),
        )
    }

    /// A well-formed id that names no record (update, delete, or a lookup).
    pub fn invalid_cross_reference() -> Self {
        Self::new(
            "INVALID_CROSS_REFERENCE_KEY",
            "invalid cross reference id",
            Vec::new(),
        )
    }

    pub fn entity_is_deleted() -> Self {
        Self::new("ENTITY_IS_DELETED", "entity is deleted", Vec::new())
    }

    /// A unique field's value already used by another record; `other_id15` is that record's 15-character id.
    pub fn duplicate_value(field: &str, other_id15: &str) -> Self {
        Self::new(
            "DUPLICATE_VALUE",
            format!(
                "duplicate value found: {field} duplicates value on record with id: {other_id15}"
            ),
            Vec::new(),
        )
    }

    /// The same external id more than once in one batch of an upsert.
    pub fn duplicate_external_id_in_batch(value: &str) -> Self {
        Self::new(
            "DUPLICATE_VALUE",
            format!("Duplicate external id specified: {value}"),
            Vec::new(),
        )
    }

    /// An upsert key that matches several records.
    pub fn duplicate_external_id(label: &str, ids: &[String]) -> Self {
        Self::new(
            "DUPLICATE_EXTERNAL_ID",
            format!(
                "{label}: more than one record found for external id field: [{}]",
                ids.join(", ")
            ),
            Vec::new(),
        )
    }

    /// A relationship column (`Parent.ExtId__c`) whose value matches no parent record.
    pub fn foreign_key_not_found(value: &str, key_field: &str, parent: &str) -> Self {
        Self::new(
            "INVALID_FIELD",
            format!(
                "Foreign key external ID: {value} not found for field {key_field} in entity {parent}"
            ),
            Vec::new(),
        )
    }

    /// Cells for fields the operation may not write (not createable on insert, not updateable on update).
    pub fn not_writable(fields: Vec<String>) -> Self {
        let message = format!(
            "Unable to create/update fields: {}. Please check the security settings of this field and verify that it is read/write for your profile or permission set.",
            fields.join(", ")
        );
        Self::new("INVALID_FIELD_FOR_INSERT_UPDATE", message, fields)
    }

    /// A row whose number of cells differs from the header's.
    pub fn column_count(expected: usize, found: usize) -> Self {
        Self::new(
            "INVALID_FIELD",
            format!("Row has {found} columns but the header has {expected}"),
            Vec::new(),
        )
    }
}

impl fmt::Display for RowError {
    /// The `sf__Error` text: each field name followed by one space, then `--`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:", self.code, self.message)?;
        for field in &self.fields {
            write!(f, "{field} ")?;
        }
        f.write_str("--")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn row_errors_render_like_salesforce() {
        assert_eq!(
            RowError::required_fields_missing(vec!["LastName".into()]).to_string(),
            "REQUIRED_FIELD_MISSING:Required fields are missing: [LastName]:LastName --"
        );
        assert_eq!(
            RowError::invalid_cross_reference().to_string(),
            "INVALID_CROSS_REFERENCE_KEY:invalid cross reference id:--"
        );
        assert_eq!(
            RowError::deserialize(3, "2003-04-987", "xsd:date", "CloseDate").to_string(),
            "INVALID_FIELD:Failed to deserialize field at col 3. Due to, '2003-04-987' is not a valid value for the type xsd:date:CloseDate --"
        );
    }

    #[test]
    fn further_errors_stay_out_of_sf_error() {
        let first = RowError::new("FIELD_CUSTOM_VALIDATION_EXCEPTION", "A", vec!["X".into()]);
        let second = RowError::new("FIELD_CUSTOM_VALIDATION_EXCEPTION", "B", Vec::new());
        let both = RowError::first_of(vec![first.clone(), second.clone()]);
        let Some(both) = both else {
            panic!("two errors give a first");
        };
        assert_eq!(both.to_string(), "FIELD_CUSTOM_VALIDATION_EXCEPTION:A:X --");
        let messages: Vec<&str> = both.all().map(|e| e.message.as_str()).collect();
        assert_eq!(messages, ["A", "B"]);
        assert_eq!(RowError::first_of(Vec::new()), None);
        assert_eq!(RowError::first_of(vec![second.clone()]), Some(second));
    }
}
