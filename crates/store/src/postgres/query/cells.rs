//! Result cells read back into [`Value`]s as the SQLite backend reads them: text, integer or real by
//! the column's type (the field's storage, or an aggregate's result type).

use crate::{Result, StoreError};
use bulkforce_core::value::Value;
use postgres::Row;
use postgres::types::Type;

/// How one result column is read, decided once per statement from its type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Cell {
    Text,
    BigInt,
    Int,
    Double,
}

impl Cell {
    pub(super) fn of(ty: &Type) -> Result<Cell> {
        Ok(match *ty {
            Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME => Cell::Text,
            Type::INT8 => Cell::BigInt,
            Type::INT4 => Cell::Int,
            Type::FLOAT8 => Cell::Double,
            _ => {
                return Err(StoreError::Invalid(format!(
                    "a query column of type {ty} has no SOQL value"
                )));
            }
        })
    }
}

/// Puts cell `i` of `row` into `slot`, reusing the slot's String for text (a large export allocates per
/// column, not per cell).
pub(super) fn store_cell(slot: &mut Value, row: &Row, i: usize, cell: Cell) -> Result<()> {
    match cell {
        Cell::Text => match row.try_get::<_, Option<&str>>(i)? {
            None => *slot = Value::Null,
            Some(text) => match slot {
                Value::Text(s) => {
                    s.clear();
                    s.push_str(text);
                }
                _ => *slot = Value::Text(text.to_owned()),
            },
        },
        Cell::BigInt => {
            *slot = row
                .try_get::<_, Option<i64>>(i)?
                .map_or(Value::Null, Value::Integer);
        }
        Cell::Int => {
            *slot = row
                .try_get::<_, Option<i32>>(i)?
                .map_or(Value::Null, |n| Value::Integer(i64::from(n)));
        }
        Cell::Double => {
            *slot = row
                .try_get::<_, Option<f64>>(i)?
                .map_or(Value::Null, Value::Real);
        }
    }
    Ok(())
}
