//! A canonical, deterministic text rendering of a [`crate::bound::Query`], for tests and logs.
//!
//! It reads like SOQL with every name canonical and every literal typed, so a table of expected renderings
//! pins both the resolution and the typing: `'x'` is text, `5` an integer, `5.0` a decimal, `TRUE` a
//! boolean, `2024-03-10` a date, `2024-03-10T10:05:00.000Z` a dateTime and `[a, b)` a date-literal range.
//! Every leaf condition is parenthesised, and so is every AND / OR / NOT group:
//!
//! ```text
//! SELECT Account.Owner.Name FROM Contact WHERE (Name LIKE 'a%') ORDER BY Name ASC NULLS FIRST LIMIT 5
//! ```

use crate::bound::*;
use std::fmt::Write;

/// Renders `query` canonically.
pub fn canonical(query: &Query) -> String {
    let mut out = String::from("SELECT ");
    let items: Vec<String> = query.select.iter().map(select_item).collect();
    out.push_str(&items.join(", "));
    let _ = write!(out, " FROM {}", query.object.name);
    if let Some(filter) = &query.filter {
        let _ = write!(out, " WHERE {}", condition(filter));
    }
    if !query.group_by.is_empty() {
        let keys: Vec<String> = query.group_by.iter().map(operand).collect();
        let _ = write!(out, " GROUP BY {}", keys.join(", "));
    }
    if let Some(having) = &query.having {
        let _ = write!(out, " HAVING {}", condition(having));
    }
    if !query.order_by.is_empty() {
        let keys: Vec<String> = query
            .order_by
            .iter()
            .map(|k| {
                format!(
                    "{} {} NULLS {}",
                    operand(&k.operand),
                    if k.descending { "DESC" } else { "ASC" },
                    if k.nulls_first { "FIRST" } else { "LAST" }
                )
            })
            .collect();
        let _ = write!(out, " ORDER BY {}", keys.join(", "));
    }
    if let Some(limit) = query.limit {
        let _ = write!(out, " LIMIT {limit}");
    }
    if let Some(offset) = query.offset {
        let _ = write!(out, " OFFSET {offset}");
    }
    out
}

fn select_item(item: &SelectItem) -> String {
    match item {
        SelectItem::Field(path) => path.header(),
        SelectItem::Aggregate {
            function,
            argument,
            alias,
        } => format!("{} {alias}", aggregate(*function, argument.as_ref())),
        SelectItem::DateFunction {
            function,
            argument,
            alias,
        } => format!(
            "{}({}) {alias}",
            date_function_name(*function),
            argument.header()
        ),
    }
}

fn aggregate(function: AggregateFunction, argument: Option<&FieldPath>) -> String {
    format!(
        "{}({})",
        aggregate_name(function),
        argument.map(FieldPath::header).unwrap_or_default()
    )
}

/// The SOQL name of an aggregate function.
pub fn aggregate_name(function: AggregateFunction) -> &'static str {
    match function {
        AggregateFunction::Count => "COUNT",
        AggregateFunction::CountDistinct => "COUNT_DISTINCT",
        AggregateFunction::Sum => "SUM",
        AggregateFunction::Avg => "AVG",
        AggregateFunction::Min => "MIN",
        AggregateFunction::Max => "MAX",
    }
}

/// The SOQL name of a date function.
pub fn date_function_name(function: DateFunction) -> &'static str {
    match function {
        DateFunction::CalendarMonth => "CALENDAR_MONTH",
        DateFunction::CalendarQuarter => "CALENDAR_QUARTER",
        DateFunction::CalendarYear => "CALENDAR_YEAR",
        DateFunction::DayInMonth => "DAY_IN_MONTH",
        DateFunction::DayInWeek => "DAY_IN_WEEK",
        DateFunction::DayInYear => "DAY_IN_YEAR",
        DateFunction::DayOnly => "DAY_ONLY",
        DateFunction::FiscalMonth => "FISCAL_MONTH",
        DateFunction::FiscalQuarter => "FISCAL_QUARTER",
        DateFunction::FiscalYear => "FISCAL_YEAR",
        DateFunction::HourInDay => "HOUR_IN_DAY",
        DateFunction::WeekInMonth => "WEEK_IN_MONTH",
        DateFunction::WeekInYear => "WEEK_IN_YEAR",
    }
}

fn operand(operand: &Operand) -> String {
    match operand {
        Operand::Field(path) => path.header(),
        Operand::DateFunction(function, path) => {
            format!("{}({})", date_function_name(*function), path.header())
        }
        Operand::Aggregate(function, argument) => aggregate(*function, argument.as_ref()),
    }
}

fn condition(condition: &Condition) -> String {
    match condition {
        Condition::And(parts) => group(parts, " AND "),
        Condition::Or(parts) => group(parts, " OR "),
        Condition::Not(inner) => format!("(NOT {})", self::condition(inner)),
        Condition::Compare { left, op, right } => {
            format!("({} {} {})", operand(left), comparison(*op), value(right))
        }
        Condition::Like { left, pattern } => {
            format!("({} LIKE {})", left.header(), quote(pattern))
        }
        Condition::In {
            left,
            negated,
            values,
        } => {
            let values: Vec<String> = values.iter().map(value).collect();
            format!(
                "({} {}IN ({}))",
                operand(left),
                if *negated { "NOT " } else { "" },
                values.join(", ")
            )
        }
        Condition::InSubquery {
            left,
            negated,
            subquery,
        } => format!(
            "({} {}IN ({}))",
            left.header(),
            if *negated { "NOT " } else { "" },
            canonical(subquery)
        ),
        Condition::Includes {
            left,
            negated,
            sets,
        } => {
            let sets: Vec<String> = sets.iter().map(|s| quote(&s.join(";"))).collect();
            format!(
                "({} {} ({}))",
                left.header(),
                if *negated { "EXCLUDES" } else { "INCLUDES" },
                sets.join(", ")
            )
        }
    }
}

fn group(parts: &[Condition], joiner: &str) -> String {
    let parts: Vec<String> = parts.iter().map(condition).collect();
    format!("({})", parts.join(joiner))
}

fn comparison(op: ComparisonOp) -> &'static str {
    match op {
        ComparisonOp::Eq => "=",
        ComparisonOp::Ne => "!=",
        ComparisonOp::Lt => "<",
        ComparisonOp::Le => "<=",
        ComparisonOp::Gt => ">",
        ComparisonOp::Ge => ">=",
    }
}

fn value(value: &Value) -> String {
    match value {
        Value::Literal(l) => literal(l),
        Value::Range(r) => format!("[{}, {})", literal(&r.start), literal(&r.end)),
    }
}

fn literal(literal: &Literal) -> String {
    match literal {
        Literal::Null => "NULL".into(),
        Literal::Text(s) => quote(s),
        Literal::Integer(i) => i.to_string(),
        Literal::Decimal(d) => format!("{d:?}"),
        Literal::Boolean(b) => if *b { "TRUE" } else { "FALSE" }.into(),
        Literal::Date(d) => d.format("%Y-%m-%d").to_string(),
        Literal::DateTime(d) => d.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
    }
}

/// `'…'` with `'` escaped and control characters spelled as SOQL escapes; backslashes are shown as they are
/// (so a `LIKE` pattern reads as the store receives it).
fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('\'');
    for c in text.chars() {
        match c {
            '\'' => out.push_str("\\'"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            _ => out.push(c),
        }
    }
    out.push('\'');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_escapes_quotes_and_control_characters_only() {
        assert_eq!(quote("it's"), r"'it\'s'");
        assert_eq!(quote("a\nb\tc\r\u{8}\u{c}"), r"'a\nb\tc\r\b\f'");
        assert_eq!(quote(r"50\%"), r"'50\%'");
    }

    #[test]
    fn literals_show_their_type() {
        assert_eq!(literal(&Literal::Integer(5)), "5");
        assert_eq!(literal(&Literal::Decimal(5.0)), "5.0");
        assert_eq!(literal(&Literal::Decimal(1e21)), "1e21");
        assert_eq!(literal(&Literal::Boolean(false)), "FALSE");
        assert_eq!(literal(&Literal::Null), "NULL");
    }

    #[test]
    fn function_names_round_trip() {
        assert_eq!(
            aggregate_name(AggregateFunction::CountDistinct),
            "COUNT_DISTINCT"
        );
        assert_eq!(date_function_name(DateFunction::WeekInYear), "WEEK_IN_YEAR");
    }
}
