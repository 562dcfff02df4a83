//! Binding core values to PostgreSQL: a cell of a statement or of a binary COPY row, converted to the
//! column's type (values are typed by the field's storage already; the conversions only spare a
//! mismatch, as SQLite's dynamic typing would).

use bulkforce_core::schema::{FieldType, Storage};
use bulkforce_core::value::Value;
use postgres::types::{IsNull, ToSql, Type, to_sql_checked};
use std::error::Error;

/// The PostgreSQL type of a column whose values are stored as `ftype` stores them.
pub(super) fn column_type(ftype: FieldType) -> Type {
    match ftype.storage() {
        Storage::Text => Type::TEXT,
        Storage::Integer => Type::INT8,
        Storage::Real => Type::FLOAT8,
    }
}

/// One cell to bind.
#[derive(Debug)]
pub(super) enum Cell<'a> {
    Value(&'a Value),
    Text(&'a str),
    Flag(bool),
}

type BoxError = Box<dyn Error + Sync + Send>;

impl ToSql for Cell<'_> {
    fn to_sql(&self, ty: &Type, out: &mut bytes::BytesMut) -> Result<IsNull, BoxError> {
        match self {
            Cell::Text(text) => text.to_sql(ty, out),
            Cell::Flag(flag) => flag.to_sql(ty, out),
            Cell::Value(value) => value_to_sql(value, ty, out),
        }
    }

    fn accepts(ty: &Type) -> bool {
        [Type::TEXT, Type::INT8, Type::FLOAT8, Type::BOOL].contains(ty)
    }

    to_sql_checked!();
}

fn value_to_sql(value: &Value, ty: &Type, out: &mut bytes::BytesMut) -> Result<IsNull, BoxError> {
    match (value, ty) {
        (Value::Null, _) => Ok(IsNull::Yes),
        (Value::Text(s), &Type::TEXT) => s.as_str().to_sql(ty, out),
        (Value::Integer(i), &Type::TEXT) => i.to_string().to_sql(ty, out),
        (Value::Real(r), &Type::TEXT) => r.to_string().to_sql(ty, out),
        (Value::Integer(i), &Type::INT8) => i.to_sql(ty, out),
        (Value::Integer(i), &Type::FLOAT8) => (*i as f64).to_sql(ty, out),
        (Value::Real(r), &Type::FLOAT8) => r.to_sql(ty, out),
        (Value::Text(s), &Type::INT8) => s.trim().parse::<i64>()?.to_sql(ty, out),
        (Value::Text(s), &Type::FLOAT8) => s.trim().parse::<f64>()?.to_sql(ty, out),
        (other, ty) => Err(format!("a {other:?} cannot be stored in a {ty} column").into()),
    }
}
