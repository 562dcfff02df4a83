//! SOQL text through the lexer, the parser and the binder (`bulkforce_soql::compile`) against the built-in
//! schema, in both modes:
//! - never panics and never overflows the stack, whatever the nesting;
//! - every refusal carries one of Salesforce's error codes and a message;
//! - a statement the Bulk API accepts is accepted by REST too, with the same bound query, and a bound query
//!   renders (`canonical`).
//!
//! Input: the statement (UTF-8).
#![no_main]

use bulkforce_fuzz::schema;
use bulkforce_soql::error::{
    API_ERROR, INVALID_FIELD, INVALID_QUERY_FILTER_OPERATOR, INVALID_TYPE, MALFORMED_QUERY,
    NUMBER_OUTSIDE_VALID_RANGE, QUERY_TOO_COMPLICATED,
};
use bulkforce_soql::{BindContext, Mode, SoqlError, canonical::canonical, compile};
use chrono::{TimeZone, Utc};
use libfuzzer_sys::fuzz_target;

const CODES: [&str; 7] = [
    MALFORMED_QUERY,
    INVALID_FIELD,
    INVALID_TYPE,
    INVALID_QUERY_FILTER_OPERATOR,
    API_ERROR,
    NUMBER_OUTSIDE_VALID_RANGE,
    QUERY_TOO_COMPLICATED,
];

fn check_error(text: &str, e: &SoqlError) {
    assert!(
        CODES.contains(&e.code),
        "{text:?}: unknown error code {}",
        e.code
    );
    assert!(
        !e.message.trim().is_empty(),
        "{text:?}: {} without a message",
        e.code
    );
}

fuzz_target!(|input: &[u8]| {
    let Ok(text) = std::str::from_utf8(input) else {
        return;
    };
    let ctx = BindContext {
        now: Utc
            .with_ymd_and_hms(2024, 2, 29, 23, 30, 0)
            .single()
            .expect("a valid instant"),
        fiscal_year_start_month: (input.len() % 13) as u32,
    };
    let bulk = compile(text, schema(), &ctx, Mode::BulkQuery);
    let rest = compile(text, schema(), &ctx, Mode::Rest);
    if let Err(e) = &bulk {
        check_error(text, e);
    }
    if let Err(e) = &rest {
        check_error(text, e);
    }
    if let Ok(query) = &bulk {
        let rest = rest.as_ref().expect("what Bulk accepts, REST accepts");
        assert_eq!(
            canonical(query),
            canonical(rest),
            "{text:?} binds differently per mode"
        );
    }
    if let Ok(query) = &rest {
        assert!(!canonical(query).is_empty());
    }
});
