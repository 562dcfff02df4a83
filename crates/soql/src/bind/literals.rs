//! Literals, typed: each literal of a condition is converted to the type of what it is compared with (a
//! string to an id, a number to an integer or a double, …), and date literals (`TODAY`, `LAST_N_DAYS:30`)
//! become the range of days they stand for. A literal of the wrong type gets Salesforce's
//! `value of filter criterion …` error, pointing at the left side as Salesforce's does.

use super::Binder;
use crate::ast;
use crate::bound::{AggregateFunction, DateFunction, DateRange, Literal, Operand, Value};
use crate::canonical::{aggregate_name, date_function_name};
use crate::dates::{self, RelativeDate};
use crate::error::{INVALID_FIELD, INVALID_QUERY_FILTER_OPERATOR, MALFORMED_QUERY, SoqlError};
use crate::lexer::{self, Span};
use bulkforce_core::SfId;
use bulkforce_core::schema::FieldType;
use chrono::{DateTime, NaiveDate, Utc};

/// What a literal must be to be compared with an operand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Expect {
    Text,
    Id,
    /// An integer type, named as in Salesforce's messages (`int`, `long`).
    Integer(&'static str),
    Decimal,
    Boolean,
    Date,
    DateTime,
    /// Types no literal converts to (`time`, `base64Binary`, …).
    Other(&'static str),
}

impl Expect {
    fn of(ftype: FieldType) -> Expect {
        match ftype {
            FieldType::String
            | FieldType::TextArea
            | FieldType::Picklist
            | FieldType::MultiPicklist
            | FieldType::Combobox
            | FieldType::Email
            | FieldType::Phone
            | FieldType::Url
            | FieldType::EncryptedString => Expect::Text,
            FieldType::Id | FieldType::Reference => Expect::Id,
            FieldType::Boolean => Expect::Boolean,
            FieldType::Int => Expect::Integer("int"),
            FieldType::Long => Expect::Integer("long"),
            FieldType::Double | FieldType::Currency | FieldType::Percent => Expect::Decimal,
            FieldType::Date => Expect::Date,
            FieldType::DateTime => Expect::DateTime,
            FieldType::Time => Expect::Other("time"),
            FieldType::Base64 => Expect::Other("base64Binary"),
            FieldType::Compound => Expect::Other("address"),
        }
    }

    /// The type named in `value of filter criterion … must be of type X` (the field's SOAP type).
    fn type_name(self) -> &'static str {
        match self {
            Expect::Text => "string",
            Expect::Id => "id",
            Expect::Integer(name) | Expect::Other(name) => name,
            Expect::Decimal => "double",
            Expect::Boolean => "boolean",
            Expect::Date => "date",
            Expect::DateTime => "dateTime",
        }
    }

    fn quoted(self) -> bool {
        matches!(self, Expect::Text | Expect::Id)
    }
}

/// The left side of a condition as the literal conversion sees it.
pub(super) struct Target {
    expect: Expect,
    /// The field type, when the operand is a plain field.
    pub(super) ftype: Option<FieldType>,
    /// How messages name the operand (`CloseDate`, `CALENDAR_YEAR(CreatedDate)`).
    label: String,
}

impl Target {
    /// What the literals compared with `operand` must be: a field's own type; an integer for date
    /// functions (a date for `DAY_ONLY`), counts and aggregates without a field; a double for `AVG`; the
    /// field's type for the other aggregates.
    pub(super) fn of(operand: &Operand) -> Target {
        match operand {
            Operand::Field(path) => Target {
                expect: Expect::of(path.field.ftype),
                ftype: Some(path.field.ftype),
                label: path.field.name.clone(),
            },
            Operand::DateFunction(function, path) => Target {
                expect: if *function == DateFunction::DayOnly {
                    Expect::Date
                } else {
                    Expect::Integer("int")
                },
                ftype: None,
                label: format!("{}({})", date_function_name(*function), path.field.name),
            },
            Operand::Aggregate(function, argument) => Target {
                expect: match (function, argument) {
                    (AggregateFunction::Count | AggregateFunction::CountDistinct, _)
                    | (_, None) => Expect::Integer("int"),
                    (AggregateFunction::Avg, _) => Expect::Decimal,
                    (_, Some(path)) => Expect::of(path.field.ftype),
                },
                ftype: None,
                label: format!(
                    "{}({})",
                    aggregate_name(*function),
                    argument.as_ref().map_or("", |p| p.field.name.as_str())
                ),
            },
        }
    }
}

impl Binder<'_> {
    /// Converts a literal to what `target` expects. Errors point at the left side, as Salesforce's do.
    pub(super) fn value(
        &self,
        target: &Target,
        literal: &ast::Literal,
        left: Span,
    ) -> Result<Value, SoqlError> {
        use ast::LiteralKind as L;
        let converted = match (&literal.kind, target.expect) {
            (L::Null, _) => Literal::Null,
            (L::String(raw), Expect::Text) => Literal::Text(lexer::decode(raw)),
            (L::String(raw), Expect::Id) => self.id(raw, left)?,
            (L::Boolean(b), Expect::Boolean) => Literal::Boolean(*b),
            (L::Number(text), Expect::Integer(_)) => Literal::Integer(
                integer(text).ok_or_else(|| self.mismatch(target, left, target.expect))?,
            ),
            (L::Number(text), Expect::Decimal) => Literal::Decimal(
                text.parse::<f64>()
                    .ok()
                    .filter(|n| n.is_finite())
                    .ok_or_else(|| self.mismatch(target, left, target.expect))?,
            ),
            (L::Date(d), Expect::Date) => Literal::Date(*d),
            (L::DateTime(d), Expect::DateTime) => Literal::DateTime(*d),
            (L::Relative(relative), Expect::Date | Expect::DateTime) => {
                return self
                    .date_range(target, *relative, literal.span)
                    .map(Value::Range);
            }
            _ => return Err(self.mismatch(target, left, target.expect)),
        };
        Ok(Value::Literal(converted))
    }

    /// A string compared with an Id or reference field: empty, or a valid 15/18-character id (kept in
    /// its 18-character form).
    fn id(&self, raw: &str, left: Span) -> Result<Literal, SoqlError> {
        let text = lexer::decode(raw);
        if text.is_empty() {
            return Ok(Literal::Text(text));
        }
        let id = SfId::parse(&text).map_err(|_| {
            self.err(
                left,
                INVALID_QUERY_FILTER_OPERATOR,
                format!("invalid ID field: {text}"),
            )
        })?;
        Ok(Literal::Text(id.as_str().to_owned()))
    }

    /// A date literal as the half-open range of days it stands for, in the target's type (dates, or
    /// dateTimes at midnight UTC).
    fn date_range(
        &self,
        target: &Target,
        relative: RelativeDate,
        span: Span,
    ) -> Result<DateRange, SoqlError> {
        let (start, end) = dates::resolve(
            relative,
            self.ctx.now.date_naive(),
            self.ctx.fiscal_year_start_month,
        )
        .ok_or_else(|| {
            self.err(
                span,
                MALFORMED_QUERY,
                format!("Invalid date literal: {}", &self.text[span.start..span.end]),
            )
        })?;
        let to_literal = |d: NaiveDate| match target.expect {
            Expect::Date => Literal::Date(d),
            _ => Literal::DateTime(midnight_utc(d)),
        };
        Ok(DateRange {
            start: to_literal(start),
            end: to_literal(end),
        })
    }

    /// Salesforce's message for a literal of the wrong type.
    pub(super) fn mismatch(&self, target: &Target, span: Span, expect: Expect) -> SoqlError {
        self.err(
            span,
            INVALID_FIELD,
            format!(
                "value of filter criterion for field '{}' must be of type {} and should {}be enclosed in quotes",
                target.label,
                expect.type_name(),
                if expect.quoted() { "" } else { "not " }
            ),
        )
    }
}

/// A number literal as an integer: integers as written, or decimals with no fractional part (`1.0`, `1E3`).
fn integer(text: &str) -> Option<i64> {
    if let Ok(n) = text.parse::<i64>() {
        return Some(n);
    }
    let n: f64 = text.parse().ok()?;
    (n.is_finite() && n.fract() == 0.0 && n.abs() < 9.0e18).then_some(n as i64)
}

fn midnight_utc(date: NaiveDate) -> DateTime<Utc> {
    date.and_hms_opt(0, 0, 0)
        .expect("midnight exists")
        .and_utc()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_accept_integral_decimals_only() {
        assert_eq!(integer("42"), Some(42));
        assert_eq!(integer("-42"), Some(-42));
        assert_eq!(integer("+3"), Some(3));
        assert_eq!(integer("1.0"), Some(1));
        assert_eq!(integer("2E3"), Some(2000));
        assert_eq!(integer("1.5"), None);
        assert_eq!(integer("1e30"), None);
    }

    #[test]
    fn message_type_names_are_soap_types() {
        let name = |t| Expect::of(t).type_name();
        assert_eq!(name(FieldType::String), "string");
        assert_eq!(name(FieldType::Picklist), "string");
        assert_eq!(name(FieldType::Reference), "id");
        assert_eq!(name(FieldType::Currency), "double");
        assert_eq!(name(FieldType::Percent), "double");
        assert_eq!(name(FieldType::Int), "int");
        assert_eq!(name(FieldType::DateTime), "dateTime");
        assert!(Expect::of(FieldType::Email).quoted());
        assert!(!Expect::of(FieldType::Boolean).quoted());
    }
}
