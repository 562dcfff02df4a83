//! The formula language's types and runtime values.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};

/// A formula's type, as Salesforce's formula editor knows them. Currency and percent fields read as
/// `Number`; text-like fields (picklists too, though only `ISPICKVAL`/`TEXT`/`CASE` may take a picklist, see
/// [`FType::Picklist`]) as `Text`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FType {
    Number,
    Text,
    Boolean,
    Date,
    DateTime,
    Time,
    /// A picklist field's value: only `ISPICKVAL`, `TEXT`, `CASE`, `ISBLANK`/`ISNULL` and `ISCHANGED`/
    /// `PRIORVALUE` accept it, as in Salesforce ("Field X is a picklist field. Picklist fields are only
    /// supported in certain functions.").
    Picklist,
    /// A multi-select picklist: only `INCLUDES`, `ISBLANK`/`ISNULL`, `ISCHANGED`, `PRIORVALUE`.
    MultiPicklist,
    /// `NULL`: fits any type.
    Null,
}

/// A runtime value. Blank is `Null` for every type (text blank compares equal to `""`; see the evaluator).
#[derive(Debug, Clone, PartialEq)]
pub enum FValue {
    Null,
    Number(f64),
    Text(String),
    Boolean(bool),
    Date(NaiveDate),
    DateTime(DateTime<Utc>),
    Time(NaiveTime),
}

impl FValue {
    /// Whether the value is blank: null or empty text (the two are one value in formulas, §3.2).
    pub fn is_blank(&self) -> bool {
        match self {
            FValue::Null => true,
            FValue::Text(t) => t.is_empty(),
            _ => false,
        }
    }

    /// The value as `TEXT()` renders it: numbers as plain decimals (`1.5`, `1234567890`), dates
    /// `YYYY-MM-DD`, date/times `YYYY-MM-DD HH:MM:SSZ` (GMT), times `HH:MM:SS.mmm`, booleans
    /// `true`/`false`; `None` when blank.
    pub fn to_text(&self) -> Option<String> {
        crate::eval::render(self)
    }

    /// Stored field text read as a value of `ty`: numbers in decimal or exponent form, booleans
    /// `true`/`false`/`1`/`0`, dates `YYYY-MM-DD`, date/times ISO 8601 with `Z` or an offset (or
    /// `YYYY-MM-DD HH:MM:SS` as GMT), times `HH:MM:SS[.mmm][Z]`; text as it is. Empty text is `Null`.
    pub fn from_text(ty: FType, text: &str) -> Result<FValue, crate::EvalError> {
        crate::eval::parse_value(ty, text)
    }
}
