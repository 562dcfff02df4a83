//! Cell text to a typed value (`parse_value`) for every field type, with the built-in schema's fields and
//! with fuzzer-chosen length, precision and scale:
//! - never panics, and a refusal is a row error with Salesforce's shape (`CODE:message:Fields --`);
//! - what is accepted is what is stored: text kinds keep the text exactly, booleans are 0 or 1, ints fit
//!   in 32 bits;
//! - a stored value written back as CSV (`format_value`) parses again to the same value (so an export
//!   re-imports unchanged), and doubles are written so that they read back exactly.
//!
//! Input: [field index (2 bytes, LE, over every built-in field), shape (odd: override the type with entry
//! `shape >> 1` of `TYPES`), length, precision, scale] then the cell text (UTF-8).
#![no_main]

use bulkforce_core::schema::{Field, FieldType};
use bulkforce_core::value::{Value, format_value, parse_value};
use bulkforce_fuzz::schema;
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

const TYPES: [FieldType; 22] = [
    FieldType::Id,
    FieldType::String,
    FieldType::TextArea,
    FieldType::Picklist,
    FieldType::MultiPicklist,
    FieldType::Combobox,
    FieldType::Boolean,
    FieldType::Int,
    FieldType::Long,
    FieldType::Double,
    FieldType::Currency,
    FieldType::Percent,
    FieldType::Date,
    FieldType::DateTime,
    FieldType::Time,
    FieldType::Email,
    FieldType::Phone,
    FieldType::Url,
    FieldType::Reference,
    FieldType::EncryptedString,
    FieldType::Base64,
    FieldType::Compound,
];

/// Every field of every built-in object.
fn fields() -> &'static [Field] {
    static FIELDS: OnceLock<Vec<Field>> = OnceLock::new();
    FIELDS.get_or_init(|| {
        schema()
            .objects()
            .flat_map(|object| object.fields().iter().cloned())
            .collect()
    })
}

fuzz_target!(|input: &[u8]| {
    let [pick_lo, pick_hi, shape, length, precision, scale, text @ ..] = input else {
        return;
    };
    let Ok(text) = std::str::from_utf8(text) else {
        return;
    };
    let fields = fields();
    let mut field =
        fields[usize::from(u16::from_le_bytes([*pick_lo, *pick_hi])) % fields.len()].clone();
    if shape & 1 == 1 {
        // Same field, another type and size: describe files may declare any combination.
        field.ftype = TYPES[usize::from(shape >> 1) % TYPES.len()];
        field.length = u32::from(*length);
        field.precision = u32::from(*precision % 40);
        field.scale = u32::from(*scale % 20);
    }
    let prefixes = if field.ftype == FieldType::Reference {
        field
            .reference_to
            .iter()
            .filter_map(|name| schema().object(name))
            .map(|object| object.key_prefix)
            .collect()
    } else {
        Vec::new()
    };
    let value = match parse_value(&field, text, 3, &prefixes) {
        Ok(value) => value,
        Err(e) => {
            let shown = e.to_string();
            let code = shown.split(':').next().unwrap_or_default();
            assert!(
                !code.is_empty() && code.bytes().all(|b| b.is_ascii_uppercase() || b == b'_'),
                "a row error without a Salesforce code: {shown}"
            );
            return;
        }
    };
    match (&value, field.ftype) {
        (
            Value::Text(stored),
            FieldType::String
            | FieldType::TextArea
            | FieldType::Picklist
            | FieldType::MultiPicklist
            | FieldType::Combobox
            | FieldType::Phone
            | FieldType::Url
            | FieldType::EncryptedString
            | FieldType::Email
            | FieldType::Base64,
        ) => {
            assert_eq!(stored, text, "text is stored as given");
        }
        (
            Value::Text(_),
            FieldType::Date
            | FieldType::DateTime
            | FieldType::Time
            | FieldType::Id
            | FieldType::Reference,
        ) => {}
        (Value::Integer(n), FieldType::Boolean) => assert!(*n == 0 || *n == 1),
        (Value::Integer(n), FieldType::Int) => assert!(i32::try_from(*n).is_ok()),
        (Value::Integer(_), FieldType::Long) => {}
        (Value::Real(n), FieldType::Double | FieldType::Currency | FieldType::Percent) => {
            assert!(n.is_finite());
        }
        (value, ftype) => panic!("{ftype:?} stored as {value:?}"),
    }
    let written = format_value(&field, &value);
    if let Value::Real(n) = value {
        let back: f64 = written.parse().expect("a written double parses as one");
        assert_eq!(back.to_bits(), n.to_bits(), "{written} is not {n}");
    }
    match parse_value(&field, &written, 3, &prefixes) {
        Ok(again) => assert_eq!(
            again, value,
            "{text:?} stored, written as {written:?}, reads back differently"
        ),
        Err(e) => panic!("{text:?} stored, written as {written:?}, is refused: {e}"),
    }
});
