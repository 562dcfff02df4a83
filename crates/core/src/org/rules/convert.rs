//! Stored values ([`Value`]) as the formula engine reads them ([`FValue`]), and a formula's value as a field
//! stores it: the one mapping between the two, so validation rules, default values and every backend agree.
//!
//! Storage is plain (see [`crate::value`]): checkboxes are integers 0/1, dates `YYYY-MM-DD`, dateTimes
//! `YYYY-MM-DDTHH:MM:SS.sssZ`, times `HH:MM:SS.sssZ`, numbers integers or reals.

use crate::schema::{Field, FieldType};
use crate::value::{Value, format_datetime, format_double, parse_date, parse_datetime, parse_time};
use bulkforce_formula::{FType, FValue};

/// A stored value as a formula of type `ty` reads it. A value that does not fit (corrupt or foreign text)
/// reads as blank rather than failing the row: the field's own validation decided what may be stored.
pub fn to_formula(value: &Value, ty: FType) -> FValue {
    match (value, ty) {
        (Value::Null, _) | (_, FType::Null) => FValue::Null,
        (Value::Text(t), _) if t.is_empty() => FValue::Null,
        (Value::Integer(i), FType::Number) => FValue::Number(*i as f64),
        (Value::Real(r), FType::Number) => FValue::Number(*r),
        (Value::Text(t), FType::Number) => t.trim().parse().map_or(FValue::Null, FValue::Number),
        (Value::Integer(i), FType::Boolean) => FValue::Boolean(*i != 0),
        (Value::Real(r), FType::Boolean) => FValue::Boolean(*r != 0.0),
        (Value::Text(t), FType::Boolean) => {
            FValue::Boolean(t.eq_ignore_ascii_case("true") || t == "1")
        }
        (Value::Text(t), FType::Date) => parse_date(t).map_or(FValue::Null, FValue::Date),
        (Value::Text(t), FType::DateTime) => {
            parse_datetime(t).map_or(FValue::Null, FValue::DateTime)
        }
        (Value::Text(t), FType::Time) => parse_time(t).map_or(FValue::Null, FValue::Time),
        (Value::Text(t), FType::Text | FType::Picklist | FType::MultiPicklist) => {
            FValue::Text(t.clone())
        }
        (Value::Integer(i), FType::Text | FType::Picklist | FType::MultiPicklist) => {
            FValue::Text(i.to_string())
        }
        (Value::Real(r), FType::Text | FType::Picklist | FType::MultiPicklist) => {
            FValue::Text(format_double(*r))
        }
        (Value::Integer(_) | Value::Real(_), FType::Date | FType::DateTime | FType::Time) => {
            FValue::Null
        }
    }
}

/// A formula's value as `field` stores it (a default value), or `None` when the value cannot be stored
/// in that field (a text default for a number field whose text is no number).
pub fn to_stored(value: &FValue, field: &Field) -> Option<Value> {
    let stored = match (value, field.ftype) {
        (FValue::Null, _) => Value::Null,
        (FValue::Boolean(b), FieldType::Boolean) => Value::Integer(i64::from(*b)),
        (FValue::Number(n), FieldType::Int | FieldType::Long) if n.is_finite() => {
            Value::Integer(n.round() as i64)
        }
        (FValue::Number(n), FieldType::Double | FieldType::Currency | FieldType::Percent)
            if n.is_finite() =>
        {
            Value::Real(*n)
        }
        (FValue::Number(n), FieldType::Boolean) => Value::Integer(i64::from(*n != 0.0)),
        (FValue::Date(d), FieldType::DateTime) => {
            Value::Text(format!("{}T00:00:00.000Z", d.format("%Y-%m-%d")))
        }
        (FValue::DateTime(d), FieldType::Date) => {
            Value::Text(d.date_naive().format("%Y-%m-%d").to_string())
        }
        (FValue::Text(t), FieldType::Int | FieldType::Long) => {
            Value::Integer(t.trim().parse().ok()?)
        }
        (FValue::Text(t), FieldType::Double | FieldType::Currency | FieldType::Percent) => {
            Value::Real(t.trim().parse().ok()?)
        }
        (FValue::Text(t), FieldType::Boolean) => {
            Value::Integer(i64::from(t.eq_ignore_ascii_case("true")))
        }
        (FValue::Text(t), _) if t.is_empty() => Value::Null,
        (FValue::Text(t), _) => Value::Text(t.clone()),
        (FValue::Number(n), _) => Value::Text(number_text(*n)),
        (FValue::Boolean(b), _) => Value::Text(b.to_string()),
        (FValue::Date(d), _) => Value::Text(d.format("%Y-%m-%d").to_string()),
        (FValue::DateTime(d), _) => Value::Text(format_datetime(d)),
        (FValue::Time(t), _) => Value::Text(t.format("%H:%M:%S%.3fZ").to_string()),
    };
    Some(stored)
}

/// A number as text in a text field (`TEXT(1)` is `1`, not `1.0`).
fn number_text(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        n.to_string()
    }
}
