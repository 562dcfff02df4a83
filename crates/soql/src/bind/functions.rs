//! Function calls: aggregates (`COUNT()`, `SUM(Amount)`, …) and date functions (`CALENDAR_YEAR(CloseDate)`,
//! `DAY_ONLY(CreatedDate)`, …), with where each may appear and which fields each takes.

use super::field_rules::filterable;
use super::{Binder, Clause, Scope};
use crate::ast;
use crate::bound::{AggregateFunction, DateFunction, FieldPath, Operand, SelectItem};
use crate::canonical::{aggregate_name, date_function_name};
use crate::error::{MALFORMED_QUERY, SoqlError};
use crate::lexer::Span;
use bulkforce_core::schema::{Field, FieldType};

/// Functions SOQL has that bulkforce does not implement.
const UNSUPPORTED_FUNCTIONS: [&str; 9] = [
    "TOLABEL",
    "FORMAT",
    "CONVERTCURRENCY",
    "CONVERTTIMEZONE",
    "GROUPING",
    "DISTANCE",
    "GEOLOCATION",
    "ROLLUP",
    "CUBE",
];

/// A bound function call: what a call can be, so the SELECT list and the operand positions each take
/// exactly the shapes they need.
pub(super) enum BoundCall {
    Aggregate(AggregateFunction, Option<FieldPath>),
    Date(DateFunction, FieldPath),
}

impl BoundCall {
    pub(super) fn into_operand(self) -> Operand {
        match self {
            BoundCall::Aggregate(function, argument) => Operand::Aggregate(function, argument),
            BoundCall::Date(function, argument) => Operand::DateFunction(function, argument),
        }
    }

    pub(super) fn into_select_item(self, alias: String) -> SelectItem {
        match self {
            BoundCall::Aggregate(function, argument) => SelectItem::Aggregate {
                function,
                argument,
                alias,
            },
            BoundCall::Date(function, argument) => SelectItem::DateFunction {
                function,
                argument,
                alias,
            },
        }
    }
}

impl Binder<'_> {
    /// Binds `function(arg)` as an aggregate or date function, as `clause` allows; `span` covers the whole
    /// call.
    pub(super) fn call(
        &self,
        scope: &Scope,
        function: &ast::Ident,
        arg: Option<&ast::Path>,
        span: Span,
        clause: Clause,
    ) -> Result<BoundCall, SoqlError> {
        let upper = function.name.to_ascii_uppercase();
        if let Some(aggregate) = aggregate_function(&upper) {
            return self.aggregate_call(scope, aggregate, function, arg, span, clause);
        }
        if let Some(date_function) = date_function(&upper) {
            return self.date_call(scope, date_function, arg, span);
        }
        if UNSUPPORTED_FUNCTIONS.contains(&upper.as_str()) {
            return Err(self.err(
                function.span,
                MALFORMED_QUERY,
                format!("{upper}() is not supported by this server"),
            ));
        }
        Err(self.err(
            function.span,
            MALFORMED_QUERY,
            format!("unexpected token: '{}'", function.name),
        ))
    }

    /// An aggregate: not in WHERE nor GROUP BY; only `COUNT()` goes without an argument, and the field
    /// must support the function (`SUM` of a number, `MIN` of anything but a checkbox, …).
    fn aggregate_call(
        &self,
        scope: &Scope,
        aggregate: AggregateFunction,
        function: &ast::Ident,
        arg: Option<&ast::Path>,
        span: Span,
        clause: Clause,
    ) -> Result<BoundCall, SoqlError> {
        match clause {
            Clause::Where => {
                return Err(self.err(
                    function.span,
                    MALFORMED_QUERY,
                    "Aggregate functions are not supported in the WHERE clause",
                ));
            }
            Clause::GroupBy => {
                let text = format!(
                    "{}({})",
                    function.name,
                    arg.map(ast::Path::text).unwrap_or_default()
                );
                return Err(self.err(
                    function.span,
                    MALFORMED_QUERY,
                    format!("Grouped field should not be aggregated: {text}"),
                ));
            }
            Clause::Select | Clause::Having | Clause::OrderBy => {}
        }
        let argument = match arg {
            None if aggregate == AggregateFunction::Count => None,
            None => return Err(self.missing_argument(span)),
            Some(path) => {
                let bound = self.path(scope, path)?;
                if !supports_aggregate(aggregate, &bound.field) {
                    return Err(self.err(
                        path.span,
                        MALFORMED_QUERY,
                        format!(
                            "field {} does not support aggregate operator {}",
                            path.text(),
                            aggregate_name(aggregate)
                        ),
                    ));
                }
                Some(bound)
            }
        };
        Ok(BoundCall::Aggregate(aggregate, argument))
    }

    /// A date function: its argument is a date or dateTime field (a dateTime for `DAY_ONLY` and
    /// `HOUR_IN_DAY`).
    fn date_call(
        &self,
        scope: &Scope,
        date_function: DateFunction,
        arg: Option<&ast::Path>,
        span: Span,
    ) -> Result<BoundCall, SoqlError> {
        let Some(path) = arg else {
            return Err(self.missing_argument(span));
        };
        let bound = self.path(scope, path)?;
        let fits = match date_function {
            DateFunction::DayOnly | DateFunction::HourInDay => {
                bound.field.ftype == FieldType::DateTime
            }
            _ => matches!(bound.field.ftype, FieldType::Date | FieldType::DateTime),
        };
        if !fits {
            return Err(self.err(
                path.span,
                MALFORMED_QUERY,
                format!(
                    "field {} does not support date function {}",
                    path.text(),
                    date_function_name(date_function)
                ),
            ));
        }
        Ok(BoundCall::Date(date_function, bound))
    }

    /// `SUM()` and the like: Salesforce points at the closing parenthesis of the call.
    fn missing_argument(&self, call: Span) -> SoqlError {
        let close_paren = Span::new(call.end - 1, call.end);
        self.err(close_paren, MALFORMED_QUERY, "unexpected token: ')'")
    }
}

fn aggregate_function(upper: &str) -> Option<AggregateFunction> {
    Some(match upper {
        "COUNT" => AggregateFunction::Count,
        "COUNT_DISTINCT" => AggregateFunction::CountDistinct,
        "SUM" => AggregateFunction::Sum,
        "AVG" => AggregateFunction::Avg,
        "MIN" => AggregateFunction::Min,
        "MAX" => AggregateFunction::Max,
        _ => return None,
    })
}

fn date_function(upper: &str) -> Option<DateFunction> {
    Some(match upper {
        "CALENDAR_MONTH" => DateFunction::CalendarMonth,
        "CALENDAR_QUARTER" => DateFunction::CalendarQuarter,
        "CALENDAR_YEAR" => DateFunction::CalendarYear,
        "DAY_IN_MONTH" => DateFunction::DayInMonth,
        "DAY_IN_WEEK" => DateFunction::DayInWeek,
        "DAY_IN_YEAR" => DateFunction::DayInYear,
        "DAY_ONLY" => DateFunction::DayOnly,
        "FISCAL_MONTH" => DateFunction::FiscalMonth,
        "FISCAL_QUARTER" => DateFunction::FiscalQuarter,
        "FISCAL_YEAR" => DateFunction::FiscalYear,
        "HOUR_IN_DAY" => DateFunction::HourInDay,
        "WEEK_IN_MONTH" => DateFunction::WeekInMonth,
        "WEEK_IN_YEAR" => DateFunction::WeekInYear,
        _ => return None,
    })
}

fn supports_aggregate(function: AggregateFunction, field: &Field) -> bool {
    if !filterable(field) || field.ftype == FieldType::MultiPicklist {
        return false;
    }
    match function {
        AggregateFunction::Count | AggregateFunction::CountDistinct => true,
        AggregateFunction::Sum | AggregateFunction::Avg => matches!(
            field.ftype,
            FieldType::Int
                | FieldType::Long
                | FieldType::Double
                | FieldType::Currency
                | FieldType::Percent
        ),
        AggregateFunction::Min | AggregateFunction::Max => field.ftype != FieldType::Boolean,
    }
}
