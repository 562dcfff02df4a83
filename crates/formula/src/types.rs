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
