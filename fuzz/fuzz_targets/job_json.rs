//! An ingest job's create body (`IngestJobSpec::from_json`) against the built-in schema:
//! - never panics; every refusal is a 400 with Salesforce's error code and a message;
//! - what it accepts names a real object (by its own spelling) and, for upsert, one of its external id
//!   fields;
//! - an accepted spec written back as a create body reads back as the same spec.
//!
//! Input: the request body.
#![no_main]

use bulkforce_core::job::{IngestJobSpec, Operation};
use bulkforce_fuzz::schema;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|body: &[u8]| {
    let spec = match IngestJobSpec::from_json(body, schema()) {
        Ok(spec) => spec,
        Err(e) => {
            assert_eq!(e.status, 400, "{e:?}");
            assert!(
                !e.error_code.is_empty()
                    && e.error_code
                        .bytes()
                        .all(|b| b.is_ascii_uppercase() || b == b'_'),
                "not a Salesforce error code: {e:?}"
            );
            assert!(!e.message.is_empty(), "{e:?}");
            return;
        }
    };
    let object = schema().object(&spec.object).expect("the object exists");
    assert_eq!(
        object.name, spec.object,
        "the object is named as the schema spells it"
    );
    match (&spec.external_id_field_name, spec.operation) {
        (Some(name), Operation::Upsert) => {
            assert!(object.field(name).is_some_and(|f| f.name == *name));
        }
        (None, Operation::Upsert) => panic!("an upsert without an external id field"),
        (Some(name), op) => panic!("{op:?} with an external id field {name}"),
        (None, _) => {}
    }
    let mut again = serde_json::json!({
        "object": spec.object,
        "operation": spec.operation.name(),
        "contentType": "CSV",
        "columnDelimiter": spec.dialect.delimiter.name(),
        "lineEnding": spec.dialect.line_ending.name(),
    });
    if let Some(name) = &spec.external_id_field_name {
        again["externalIdFieldName"] = name.as_str().into();
    }
    if let Some(id) = &spec.assignment_rule_id {
        again["assignmentRuleId"] = id.as_str().into();
    }
    let again = again.to_string();
    let reread = IngestJobSpec::from_json(again.as_bytes(), schema())
        .unwrap_or_else(|e| panic!("{again} is refused: {e:?}"));
    assert_eq!(reread, spec, "{again} reads back differently");
});
