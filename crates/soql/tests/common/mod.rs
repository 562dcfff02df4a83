//! Shared fixtures for the table-driven tests: the schema (built-in objects plus a few custom fields of the
//! types the built-ins lack), a fixed clock, and one-line helpers that compile and render.

#![allow(dead_code)]

use bulkforce_core::schema::Schema;
use bulkforce_soql::bound::Query;
use bulkforce_soql::canonical::canonical;
use bulkforce_soql::{BindContext, Mode, SoqlError, compile};
use chrono::{DateTime, Utc};
use std::sync::OnceLock;

/// Sunday 2026-11-29, 10:00 UTC.
pub const NOW: &str = "2026-11-29T10:00:00Z";
/// Fiscal years start in April.
pub const FISCAL_START: u32 = 4;

pub const FIELD_TAIL: &str = "If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.";
pub const RELATIONSHIP_TAIL: &str = "If you are attempting to use a custom relationship, be sure to append the '__r' after the custom relationship name. Please reference your WSDL or the describe call for the appropriate names.";
pub const OBJECT_TAIL: &str = "If you are attempting to use a custom object, be sure to append the '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate names.";

/// The built-in objects, plus on Account: a multi-select picklist, a custom double, a custom picklist, a
/// compound address, a base64, a long, a time and a polymorphic lookup (Account or Contact); plus a custom
/// object `Project__c` looking up Account, and `Ticket__c` with a polymorphic lookup whose first target is
/// not in the schema.
pub fn schema() -> Schema {
    let mut schema = Schema::builtin();
    schema
        .merge_describe(
            r#"{"name":"Account","fields":[
                {"name":"Tags__c","type":"multipicklist","length":4099,"custom":true},
                {"name":"Score__c","type":"double","precision":18,"scale":2,"custom":true},
                {"name":"Tier__c","type":"picklist","length":255,"custom":true},
                {"name":"BillingAddress","type":"address","custom":false},
                {"name":"Logo__c","type":"base64","custom":true},
                {"name":"Visits__c","type":"long","custom":true},
                {"name":"Opens__c","type":"time","custom":true},
                {"name":"Partner__c","type":"reference","referenceTo":["Account","Contact"],
                 "relationshipName":"Partner__r","length":18,"custom":true}]}"#,
        )
        .unwrap();
    schema
        .merge_describe(
            r#"{"name":"Project__c","label":"Project","custom":true,"fields":[
                {"name":"Account__c","type":"reference","referenceTo":["Account"],
                 "relationshipName":"Account__r","length":18,"custom":true},
                {"name":"Budget__c","type":"currency","precision":18,"scale":2,"custom":true},
                {"name":"Due__c","type":"date","custom":true}]}"#,
        )
        .unwrap();
    schema
        .merge_describe(
            r#"{"name":"Ticket__c","label":"Ticket","custom":true,"fields":[
                {"name":"Assignee__c","type":"reference","referenceTo":["Nowhere__c","User"],
                 "relationshipName":"Assignee__r","length":18,"custom":true}]}"#,
        )
        .unwrap();
    schema
}

pub fn ctx_at(now: &str, fiscal_year_start_month: u32) -> BindContext {
    BindContext {
        now: DateTime::parse_from_rfc3339(now)
            .unwrap()
            .with_timezone(&Utc),
        fiscal_year_start_month,
    }
}

pub fn ctx() -> BindContext {
    ctx_at(NOW, FISCAL_START)
}

/// The schema, built once per test binary.
pub fn shared_schema() -> &'static Schema {
    static SCHEMA: OnceLock<Schema> = OnceLock::new();
    SCHEMA.get_or_init(schema)
}

pub fn compile_in(soql: &str, mode: Mode) -> Result<Query, SoqlError> {
    compile(soql, shared_schema(), &ctx(), mode)
}

/// The canonical rendering of `soql` compiled for `mode`; panics with the error otherwise.
pub fn render(soql: &str, mode: Mode) -> String {
    match compile_in(soql, mode) {
        Ok(query) => canonical(&query),
        Err(e) => panic!("{soql:?} was refused in {mode:?}: {e}"),
    }
}

/// The error `soql` gets in `mode`; panics if it compiles.
pub fn refusal(soql: &str, mode: Mode) -> SoqlError {
    match compile_in(soql, mode) {
        Ok(query) => panic!("{soql:?} compiled in {mode:?}: {}", canonical(&query)),
        Err(e) => e,
    }
}

/// Salesforce's message for an error at 1-based `column` of a single-line statement echoed whole.
pub fn at(statement: &str, column: usize, text: &str) -> String {
    format!(
        "\n{statement}\n{}^\nERROR at Row:1:Column:{column}\n{text}",
        " ".repeat(column - 1)
    )
}

/// Salesforce's message when the echo is `snippet` (a window of row `row`) with the caret at `caret`
/// (0-based, within the snippet) and the error at `column` of the row.
pub fn at_window(snippet: &str, caret: usize, row: usize, column: usize, text: &str) -> String {
    format!(
        "\n{snippet}\n{}^\nERROR at Row:{row}:Column:{column}\n{text}",
        " ".repeat(caret)
    )
}

/// The 1-based column of the first occurrence of `needle` in a single-line `statement`.
pub fn col(statement: &str, needle: &str) -> usize {
    statement
        .find(needle)
        .unwrap_or_else(|| panic!("{needle:?} not in {statement:?}"))
        + 1
}

pub fn no_such_column(field: &str, entity: &str) -> String {
    format!("No such column '{field}' on entity '{entity}'. {FIELD_TAIL}")
}

pub fn bad_relationship(name: &str) -> String {
    format!("Didn't understand relationship '{name}' in field path. {RELATIONSHIP_TAIL}")
}

pub fn bad_object(name: &str) -> String {
    format!("sObject type '{name}' is not supported. {OBJECT_TAIL}")
}

pub fn criterion(field: &str, type_name: &str, quoted: bool) -> String {
    format!(
        "value of filter criterion for field '{field}' must be of type {type_name} and should {}be enclosed in quotes",
        if quoted { "" } else { "not " }
    )
}
