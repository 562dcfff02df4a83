//! Auto-number fields: the text an org gives a new record's `CaseNumber`, `ContractNumber`, `OrderNumber`
//! or custom auto-number field, from the field's display format and the number its counter issued.
//!
//! A display format is literal text with placeholders in braces, as Salesforce's field setup takes it:
//! exactly one number (`{0}`, `{0000}`: zero-padded to the count of zeros, growing past it), and any of the
//! creation date's parts (`{YYYY}`, `{YY}`, `{MM}`, `{DD}`). The counters themselves live in the store
//! (one per org, object and field, only growing); this module only decides which fields have one, where
//! it starts, and how a number reads.

use crate::schema::{Field, SObject};
use chrono::{DateTime, Datelike, Utc};

/// The format of the standard auto-numbers (`CaseNumber`, `ContractNumber`, `OrderNumber`): eight digits.
pub const STANDARD_FORMAT: &str = "{00000000}";

/// Where the standard auto-numbers of a new org start: a new org's first Case is `00001000`, its first
/// Contract and Order `00000100` (public describe and query output of fresh Developer Edition orgs).
const STANDARD_STARTS: [(&str, &str, u64); 3] = [
    ("Case", "CaseNumber", 1000),
    ("Contract", "ContractNumber", 100),
    ("Order", "OrderNumber", 100),
];

/// Where a custom auto-number starts when its describe file names no `startingNumber`.
const CUSTOM_START: u64 = 1;

/// Why a display format cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormatError {
    #[error("the display format {0:?} has an unclosed brace")]
    Unclosed(String),
    #[error("the display format {format:?} has an unknown placeholder {{{placeholder}}}")]
    Placeholder { format: String, placeholder: String },
    #[error("the display format {0:?} needs exactly one number placeholder such as {{0}}")]
    Number(String),
}

/// One piece of a display format.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Literal(String),
    /// The issued number, zero-padded to at least `width` digits.
    Number {
        width: usize,
    },
    Year4,
    Year2,
    Month,
    Day,
}

/// A parsed display format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayFormat {
    parts: Vec<Part>,
}

impl DisplayFormat {
    /// Parses `CAS-{00000}`-style text.
    pub fn parse(text: &str) -> Result<DisplayFormat, FormatError> {
        let mut parts = Vec::new();
        let mut rest = text;
        while let Some(open) = rest.find('{') {
            if open > 0 {
                parts.push(Part::Literal(rest[..open].to_owned()));
            }
            let close = rest[open..]
                .find('}')
                .ok_or_else(|| FormatError::Unclosed(text.to_owned()))?;
            let placeholder = &rest[open + 1..open + close];
            parts.push(match placeholder {
                "YYYY" => Part::Year4,
                "YY" => Part::Year2,
                "MM" => Part::Month,
                "DD" => Part::Day,
                zeros if !zeros.is_empty() && zeros.bytes().all(|b| b == b'0') => {
                    Part::Number { width: zeros.len() }
                }
                other => {
                    return Err(FormatError::Placeholder {
                        format: text.to_owned(),
                        placeholder: other.to_owned(),
                    });
                }
            });
            rest = &rest[open + close + 1..];
        }
        if !rest.is_empty() {
            parts.push(Part::Literal(rest.to_owned()));
        }
        let numbers = parts
            .iter()
            .filter(|p| matches!(p, Part::Number { .. }))
            .count();
        if numbers != 1 {
            return Err(FormatError::Number(text.to_owned()));
        }
        Ok(DisplayFormat { parts })
    }

    /// The text of `number` issued at `created` (the date parts are the creation date's, in UTC).
    pub fn render(&self, number: u64, created: DateTime<Utc>) -> String {
        let mut text = String::new();
        for part in &self.parts {
            match part {
                Part::Literal(literal) => text.push_str(literal),
                Part::Number { width } => text.push_str(&format!("{number:0width$}")),
                Part::Year4 => text.push_str(&format!("{:04}", created.year())),
                Part::Year2 => text.push_str(&format!("{:02}", created.year().rem_euclid(100))),
                Part::Month => text.push_str(&format!("{:02}", created.month())),
                Part::Day => text.push_str(&format!("{:02}", created.day())),
            }
        }
        text
    }
}

/// An auto-number field of an object: how its numbers read and where its counter starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AutoNumber {
    pub format: DisplayFormat,
    /// The number the counter's first issue becomes.
    pub start: u64,
    /// The counter's name within the org (`Case.CaseNumber`), the same for every instance.
    pub counter: String,
}

impl AutoNumber {
    /// The text of the counter's `issued`-th number (1 for the first).
    pub fn render(&self, issued: u64, created: DateTime<Utc>) -> String {
        self.format
            .render(self.start + issued.saturating_sub(1), created)
    }
}

/// The auto-number `field` of `object` is, if it is one (describe `autoNumber`): its display format
/// (the describe file's `displayFormat`, else eight digits) and starting number (`startingNumber`, else
/// the standard field's or 1). A format that does not parse is refused when the describe file loads
/// ([`check_display_format`]), so here it falls back to the standard one.
pub fn auto_number(object: &SObject, field: &Field) -> Option<AutoNumber> {
    if !field.traits.auto_number {
        return None;
    }
    let format = field
        .traits
        .display_format
        .as_deref()
        .and_then(|text| DisplayFormat::parse(text).ok())
        .unwrap_or_else(standard_format);
    let standard_start = STANDARD_STARTS
        .iter()
        .find(|(o, f, _)| {
            o.eq_ignore_ascii_case(&object.name) && f.eq_ignore_ascii_case(&field.name)
        })
        .map(|(_, _, start)| *start);
    let start = field
        .traits
        .starting_number
        .or(standard_start)
        .unwrap_or(CUSTOM_START);
    Some(AutoNumber {
        format,
        start,
        counter: format!("{}.{}", object.name, field.name),
    })
}

/// Every auto-number field of `object`, with its index: decided once per chunk, not per row.
pub fn auto_numbers(object: &SObject) -> Vec<(usize, AutoNumber)> {
    object
        .fields()
        .iter()
        .enumerate()
        .filter_map(|(i, f)| auto_number(object, f).map(|a| (i, a)))
        .collect()
}

/// Checks an auto-number field's display format when its describe file loads, so a typo is an error
/// at start rather than numbers in a format nobody asked for.
pub fn check_display_format(field: &Field) -> Result<(), FormatError> {
    match (&field.traits.display_format, field.traits.auto_number) {
        (Some(text), true) => DisplayFormat::parse(text).map(|_| ()),
        _ => Ok(()),
    }
}

fn standard_format() -> DisplayFormat {
    DisplayFormat::parse(STANDARD_FORMAT).expect("the standard format parses")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::Schema;
    use chrono::TimeZone;

    fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, 12, 0, 0).unwrap()
    }

    #[test]
    fn formats_pad_numbers_and_print_date_parts() {
        let format = DisplayFormat::parse("CAS-{00000}").unwrap();
        assert_eq!(format.render(42, at(2026, 1, 2)), "CAS-00042");
        assert_eq!(format.render(1234567, at(2026, 1, 2)), "CAS-1234567");
        let dated = DisplayFormat::parse("{YYYY}{MM}{DD}-{0}").unwrap();
        assert_eq!(dated.render(7, at(2026, 3, 9)), "20260309-7");
        let short = DisplayFormat::parse("INV{YY}/{000}x").unwrap();
        assert_eq!(short.render(5, at(2009, 12, 31)), "INV09/005x");
        assert_eq!(
            DisplayFormat::parse(STANDARD_FORMAT)
                .unwrap()
                .render(1000, at(2026, 1, 1)),
            "00001000"
        );
    }

    #[test]
    fn bad_formats_are_refused() {
        assert!(matches!(
            DisplayFormat::parse("A-{000"),
            Err(FormatError::Unclosed(_))
        ));
        assert!(matches!(
            DisplayFormat::parse("A-{X}{0}"),
            Err(FormatError::Placeholder { .. })
        ));
        assert!(matches!(
            DisplayFormat::parse("A-{YYYY}"),
            Err(FormatError::Number(_))
        ));
        assert!(matches!(
            DisplayFormat::parse("{0}-{00}"),
            Err(FormatError::Number(_))
        ));
    }

    #[test]
    fn standard_auto_numbers_start_where_a_new_org_starts_them() {
        let schema = Schema::builtin();
        for (object, field, first) in [
            ("Case", "CaseNumber", "00001000"),
            ("Contract", "ContractNumber", "00000100"),
            ("Order", "OrderNumber", "00000100"),
        ] {
            let o = schema.object(object).unwrap();
            let numbers = auto_numbers(o);
            assert_eq!(numbers.len(), 1, "{object}");
            let (index, number) = &numbers[0];
            assert_eq!(o.fields()[*index].name, field);
            assert_eq!(number.render(1, at(2026, 1, 1)), first);
            let described = &o.fields()[*index];
            assert!(
                !described.createable && !described.updateable,
                "{object}.{field}"
            );
        }
    }

    #[test]
    fn custom_auto_numbers_start_where_their_file_says() {
        let mut schema = Schema::builtin();
        schema
            .merge_describe(
                r#"{"name":"Ticket__c","fields":[
                    {"name":"Name","type":"string","length":30,"autoNumber":true,"displayFormat":"T-{0000}"},
                    {"name":"Serial__c","type":"string","length":30,"autoNumber":true,"startingNumber":500}]}"#,
            )
            .unwrap();
        let ticket = schema.object("Ticket__c").unwrap();
        let numbers = auto_numbers(ticket);
        assert_eq!(numbers.len(), 2);
        let (_, name) = &numbers[0];
        assert_eq!(name.counter, "Ticket__c.Name");
        assert_eq!(name.render(1, at(2026, 1, 1)), "T-0001");
        let (_, serial) = &numbers[1];
        assert_eq!(serial.render(2, at(2026, 1, 1)), "00000501");
    }
}
