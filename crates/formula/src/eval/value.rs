//! The evaluator's working value: [`FValue`] with text borrowed from the formula where it can be, so a
//! literal compared or searched per row is never copied.

use crate::types::FValue;
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use std::borrow::Cow;

#[derive(Debug, Clone, PartialEq)]
pub(super) enum V<'a> {
    Null,
    Num(f64),
    Text(Cow<'a, str>),
    Bool(bool),
    Date(NaiveDate),
    DateTime(DateTime<Utc>),
    Time(NaiveTime),
}

impl<'a> V<'a> {
    /// A literal of the formula, its text borrowed.
    pub(super) fn borrowed(v: &'a FValue) -> V<'a> {
        match v {
            FValue::Text(t) => V::Text(Cow::Borrowed(t)),
            other => V::owned_scalar(other),
        }
    }

    /// A value handed over by the row.
    pub(super) fn owned(v: FValue) -> V<'a> {
        match v {
            FValue::Text(t) => V::Text(Cow::Owned(t)),
            other => V::owned_scalar(&other),
        }
    }

    fn owned_scalar(v: &FValue) -> V<'a> {
        match v {
            FValue::Null | FValue::Text(_) => V::Null,
            FValue::Number(x) => V::Num(*x),
            FValue::Boolean(b) => V::Bool(*b),
            FValue::Date(d) => V::Date(*d),
            FValue::DateTime(t) => V::DateTime(*t),
            FValue::Time(t) => V::Time(*t),
        }
    }

    /// The result as the API sees it: blank text is `Null` (§3.2), negative zero is zero.
    pub(super) fn into_fvalue(self) -> FValue {
        match self {
            V::Null => FValue::Null,
            V::Text(t) if t.is_empty() => FValue::Null,
            V::Text(t) => FValue::Text(t.into_owned()),
            V::Num(0.0) => FValue::Number(0.0),
            V::Num(x) => FValue::Number(x),
            V::Bool(b) => FValue::Boolean(b),
            V::Date(d) => FValue::Date(d),
            V::DateTime(t) => FValue::DateTime(t),
            V::Time(t) => FValue::Time(t),
        }
    }

    /// `ISBLANK`: null or empty text (§3.7).
    pub(super) fn is_blank(&self) -> bool {
        match self {
            V::Null => true,
            V::Text(t) => t.is_empty(),
            _ => false,
        }
    }

    /// The type's name as Salesforce's messages spell it.
    pub(super) fn type_name(&self) -> &'static str {
        match self {
            V::Null => "Null",
            V::Num(_) => "Number",
            V::Text(_) => "Text",
            V::Bool(_) => "Boolean",
            V::Date(_) => "Date",
            V::DateTime(_) => "DateTime",
            V::Time(_) => "Time",
        }
    }
}
