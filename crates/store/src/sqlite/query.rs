//! Bound SOQL queries rendered to SQLite SQL and run as a row stream.
//!
//! Salesforce semantics kept here: text comparisons and ordering ignore case, `!=` and `NOT IN` include
//! nulls, date literals are ranges, ascending order puts nulls first and descending order last, and soft-
//! deleted rows are hidden unless the query is a `queryAll`.

use super::ddl::quote;
use crate::{QueryOptions, Result, StoreError};
use bulkforce_core::schema::{FieldType, Storage};
use bulkforce_core::value::Value;
use bulkforce_soql::bound::{
    AggregateFunction, ComparisonOp, Condition, DateFunction, DateRange, FieldPath, Literal,
    Operand, Query, SelectItem, Value as BoundValue,
};
use rusqlite::Connection;
use rusqlite::types::{ToSqlOutput, ValueRef};

/// SQL text and its positional parameters.
pub(crate) struct Rendered {
    pub sql: String,
    pub params: Vec<Param>,
}

/// A parameter value.
#[derive(Debug, Clone)]
pub(crate) enum Param {
    Text(String),
    Integer(i64),
    Real(f64),
}

impl rusqlite::ToSql for Param {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self {
            Param::Text(s) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
            Param::Integer(i) => ToSqlOutput::Owned(rusqlite::types::Value::Integer(*i)),
            Param::Real(r) => ToSqlOutput::Owned(rusqlite::types::Value::Real(*r)),
        })
    }
}

/// Renders one SELECT, with table aliases `q{depth}_{n}` so subqueries never clash.
struct Renderer<'a> {
    options: &'a QueryOptions,
    params: Vec<Param>,
    depth: usize,
    /// Joined parent paths: (relationship names from the root, alias).
    joins: Vec<(Vec<String>, String)>,
    join_sql: String,
}

pub(crate) fn render(query: &Query, options: &QueryOptions) -> Result<Rendered> {
    let mut renderer = Renderer {
        options,
        params: Vec::new(),
        depth: 0,
        joins: Vec::new(),
        join_sql: String::new(),
    };
    let sql = renderer.select(query, options.include_deleted)?;
    Ok(Rendered {
        sql,
        params: renderer.params,
    })
}

/// Runs a query, calling `visit` with each row's values in SELECT order until it returns false.
pub(crate) fn run(
    conn: &Connection,
    query: &Query,
    options: &QueryOptions,
    visit: &mut dyn FnMut(&[Value]) -> Result<bool>,
) -> Result<u64> {
    let rendered = render(query, options)?;
    let mut stmt = conn.prepare(&rendered.sql)?;
    let columns = stmt.column_count();
    let mut rows = stmt.query(rusqlite::params_from_iter(rendered.params.iter()))?;
    // One slot per column, reused row after row: a text cell is copied into the String its column held in
    // the previous row, so a large export allocates per column, not per cell.
    let mut values = vec![Value::Null; columns];
    let mut count = 0;
    while let Some(row) = rows.next()? {
        for (i, slot) in values.iter_mut().enumerate() {
            store_cell(slot, row.get_ref(i)?);
        }
        count += 1;
        if !visit(&values)? {
            break;
        }
    }
    Ok(count)
}

/// Puts one cell's value into `slot`, reusing the slot's String for text.
fn store_cell(slot: &mut Value, cell: ValueRef<'_>) {
    match cell {
        ValueRef::Null => *slot = Value::Null,
        ValueRef::Integer(n) => *slot = Value::Integer(n),
        ValueRef::Real(r) => *slot = Value::Real(r),
        ValueRef::Text(t) | ValueRef::Blob(t) => {
            // The strict check is the fast one (`from_utf8_lossy` walks its chunks a byte at a time); stored
            // text is UTF-8, so the lossy pass only runs for a value that is not.
            let text = match std::str::from_utf8(t) {
                Ok(text) => std::borrow::Cow::Borrowed(text),
                Err(_) => String::from_utf8_lossy(t),
            };
            match slot {
                Value::Text(s) => {
                    s.clear();
                    s.push_str(&text);
                }
                _ => *slot = Value::Text(text.into_owned()),
            }
        }
    }
}

/// Counts the rows a query returns (ignoring its OFFSET, honouring its LIMIT).
pub(crate) fn count(conn: &Connection, query: &Query, options: &QueryOptions) -> Result<u64> {
    let mut query = query.clone();
    query.offset = None;
    query.order_by.clear();
    let rendered = render(&query, options)?;
    let sql = format!("SELECT COUNT(*) FROM ({})", rendered.sql);
    Ok(conn.query_row(
        &sql,
        rusqlite::params_from_iter(rendered.params.iter()),
        |r| r.get::<_, i64>(0),
    )? as u64)
}

impl Renderer<'_> {
    fn root_alias(&self) -> String {
        format!("q{}_0", self.depth)
    }

    fn select(&mut self, query: &Query, include_deleted: bool) -> Result<String> {
        let saved_joins = std::mem::take(&mut self.joins);
        let saved_join_sql = std::mem::take(&mut self.join_sql);
        let root = self.root_alias();
        let mut columns = Vec::with_capacity(query.select.len());
        for (i, item) in query.select.iter().enumerate() {
            let expr = match item {
                SelectItem::Field(path) => self.column(path),
                SelectItem::Aggregate {
                    function, argument, ..
                } => self.aggregate(*function, argument.as_ref()),
                SelectItem::DateFunction {
                    function, argument, ..
                } => self.date_function(*function, argument),
            };
            // Columns are named c0, c1, … so a subquery's single column can be filtered by name.
            columns.push(format!("{expr} AS c{i}"));
        }
        let mut wheres = Vec::new();
        if !include_deleted && query.object.field("IsDeleted").is_some() {
            wheres.push(format!("{root}.\"IsDeleted\" = 0"));
        }
        if let Some(filter) = &query.filter {
            wheres.push(self.condition(filter)?);
        }
        let group_by: Vec<String> = query.group_by.iter().map(|g| self.operand(g)).collect();
        let having = match &query.having {
            Some(h) => Some(self.condition(h)?),
            None => None,
        };
        let mut order = Vec::new();
        for key in &query.order_by {
            let mut expr = self.operand(&key.operand);
            if operand_is_text(&key.operand) {
                expr.push_str(" COLLATE NOCASE");
            }
            order.push(format!(
                "{expr} {} NULLS {}",
                if key.descending { "DESC" } else { "ASC" },
                if key.nulls_first { "FIRST" } else { "LAST" }
            ));
        }
        let mut sql = format!(
            "SELECT {} FROM {} AS {root}{}",
            if columns.is_empty() {
                "1".to_owned()
            } else {
                columns.join(", ")
            },
            quote(&query.object.name),
            self.join_sql
        );
        if !wheres.is_empty() {
            sql.push_str(" WHERE ");
            sql.push_str(&wheres.join(" AND "));
        }
        if !group_by.is_empty() {
            sql.push_str(" GROUP BY ");
            sql.push_str(&group_by.join(", "));
        }
        if let Some(having) = having {
            sql.push_str(" HAVING ");
            sql.push_str(&having);
        }
        if !order.is_empty() {
            sql.push_str(" ORDER BY ");
            sql.push_str(&order.join(", "));
        } else if !query.is_aggregate() {
            // A stable order makes paging and locators deterministic.
            sql.push_str(&format!(" ORDER BY {root}.\"Id\""));
        }
        match (query.limit, query.offset) {
            (Some(limit), offset) => {
                sql.push_str(&format!(" LIMIT {limit} OFFSET {}", offset.unwrap_or(0)));
            }
            (None, Some(offset)) => sql.push_str(&format!(" LIMIT -1 OFFSET {offset}")),
            (None, None) => {}
        }
        self.joins = saved_joins;
        self.join_sql = saved_join_sql;
        Ok(sql)
    }

    /// The alias of the table at the end of `path`'s hops, joining parents as needed.
    fn table_of(&mut self, path: &FieldPath) -> String {
        let mut alias = self.root_alias();
        let mut names = Vec::new();
        for hop in &path.hops {
            names.push(hop.relationship.to_ascii_lowercase());
            if let Some((_, existing)) = self.joins.iter().find(|(n, _)| *n == names) {
                alias = existing.clone();
                continue;
            }
            let next = format!("q{}_{}", self.depth, self.joins.len() + 1);
            self.join_sql.push_str(&format!(
                " LEFT JOIN {} AS {next} ON {next}.\"Id\" = {alias}.{}",
                quote(&hop.to.name),
                quote(&hop.reference_field)
            ));
            self.joins.push((names.clone(), next.clone()));
            alias = next;
        }
        alias
    }

    fn column(&mut self, path: &FieldPath) -> String {
        let table = self.table_of(path);
        format!("{table}.{}", quote(&path.field.name))
    }

    fn aggregate(&mut self, function: AggregateFunction, argument: Option<&FieldPath>) -> String {
        let arg = argument.map(|a| self.column(a));
        match (function, arg) {
            (AggregateFunction::Count, Some(a)) => format!("COUNT({a})"),
            (AggregateFunction::CountDistinct, Some(a)) => format!("COUNT(DISTINCT {a})"),
            (AggregateFunction::Sum, Some(a)) => format!("SUM({a})"),
            (AggregateFunction::Avg, Some(a)) => format!("AVG({a})"),
            (AggregateFunction::Min, Some(a)) => format!("MIN({a})"),
            (AggregateFunction::Max, Some(a)) => format!("MAX({a})"),
            // COUNT() without a field, and (never produced by the binder) any other aggregate without one.
            (_, None) => "COUNT(*)".into(),
        }
    }

    fn date_function(&mut self, function: DateFunction, path: &FieldPath) -> String {
        let col = self.column(path);
        let int = |format: &str| format!("CAST(strftime('{format}', {col}) AS INTEGER)");
        let month = int("%m");
        let start = i64::from(self.options.fiscal_year_start_month.clamp(1, 12));
        let fiscal_month = format!("((({month}) - {start} + 12) % 12 + 1)");
        match function {
            DateFunction::CalendarMonth => month,
            DateFunction::CalendarQuarter => format!("((({month}) + 2) / 3)"),
            DateFunction::CalendarYear => int("%Y"),
            DateFunction::DayInMonth => int("%d"),
            DateFunction::DayInWeek => format!("({} + 1)", int("%w")),
            DateFunction::DayInYear => int("%j"),
            DateFunction::DayOnly => format!("date({col})"),
            DateFunction::FiscalMonth => fiscal_month,
            DateFunction::FiscalQuarter => format!("(({fiscal_month} + 2) / 3)"),
            // Salesforce names a fiscal year after the calendar year in which it ends.
            DateFunction::FiscalYear if start == 1 => int("%Y"),
            DateFunction::FiscalYear => format!(
                "({} + CASE WHEN ({month}) >= {start} THEN 1 ELSE 0 END)",
                int("%Y")
            ),
            DateFunction::HourInDay => int("%H"),
            DateFunction::WeekInMonth => format!("((({}) - 1) / 7 + 1)", int("%d")),
            DateFunction::WeekInYear => format!("((({}) - 1) / 7 + 1)", int("%j")),
        }
    }

    fn operand(&mut self, operand: &Operand) -> String {
        match operand {
            Operand::Field(path) => self.column(path),
            Operand::DateFunction(f, path) => self.date_function(*f, path),
            Operand::Aggregate(f, arg) => self.aggregate(*f, arg.as_ref()),
        }
    }

    fn bind(&mut self, literal: &Literal) -> String {
        let param = match literal {
            Literal::Null => return "NULL".into(),
            Literal::Text(s) => Param::Text(s.clone()),
            Literal::Integer(i) => Param::Integer(*i),
            Literal::Decimal(d) => Param::Real(*d),
            Literal::Boolean(b) => Param::Integer(i64::from(*b)),
            Literal::Date(d) => Param::Text(d.format("%Y-%m-%d").to_string()),
            Literal::DateTime(d) => Param::Text(bulkforce_core::value::format_datetime(d)),
        };
        self.params.push(param);
        format!("?{}", self.params.len())
    }

    fn condition(&mut self, condition: &Condition) -> Result<String> {
        match condition {
            Condition::And(parts) => self.join_conditions(parts, " AND "),
            Condition::Or(parts) => self.join_conditions(parts, " OR "),
            // SOQL logic has two values: a comparison with null is false, so NOT of it is true.
            Condition::Not(inner) => Ok(format!("NOT coalesce(({}), 0)", self.condition(inner)?)),
            Condition::Compare { left, op, right } => Ok(self.comparison(left, *op, right)),
            Condition::Like { left, pattern } => Ok(self.like(left, pattern)),
            Condition::In {
                left,
                negated,
                values,
            } => Ok(self.in_list(left, *negated, values)),
            Condition::InSubquery {
                left,
                negated,
                subquery,
            } => self.in_subquery(left, *negated, subquery),
            Condition::Includes {
                left,
                negated,
                sets,
            } => Ok(self.includes(left, *negated, sets)),
        }
    }

    /// `left op value`, where the value is a literal or a date range.
    fn comparison(&mut self, left: &Operand, op: ComparisonOp, right: &BoundValue) -> String {
        let text = operand_is_text(left);
        let expr = self.operand(left);
        match right {
            BoundValue::Literal(literal) => self.compare(&expr, op, literal, text),
            BoundValue::Range(range) => self.compare_range(&expr, op, range),
        }
    }

    /// `LIKE`: SQLite's LIKE already ignores ASCII case, as Salesforce's does.
    fn like(&mut self, left: &FieldPath, pattern: &str) -> String {
        let expr = self.column(left);
        let p = self.bind(&Literal::Text(pattern.to_owned()));
        format!("({expr} LIKE {p} ESCAPE '\\')")
    }

    /// `IN (…)` / `NOT IN (…)` over literals: nulls and date ranges become alternatives of their own, and
    /// `NOT IN` keeps the rows whose value is null.
    fn in_list(&mut self, left: &Operand, negated: bool, values: &[BoundValue]) -> String {
        let text = operand_is_text(left);
        let expr = self.operand(left);
        let mut alternatives = Vec::new();
        let mut literals = Vec::new();
        for value in values {
            match value {
                BoundValue::Literal(Literal::Null) => alternatives.push(format!("{expr} IS NULL")),
                BoundValue::Literal(l) => literals.push(self.bind(l)),
                BoundValue::Range(r) => {
                    alternatives.push(self.compare_range(&expr, ComparisonOp::Eq, r));
                }
            }
        }
        if !literals.is_empty() {
            let collate = if text { " COLLATE NOCASE" } else { "" };
            alternatives.push(format!("{expr}{collate} IN ({})", literals.join(", ")));
        }
        let any = if alternatives.is_empty() {
            "0".to_owned()
        } else {
            alternatives.join(" OR ")
        };
        if negated {
            format!("({expr} IS NULL OR NOT ({any}))")
        } else {
            format!("({any})")
        }
    }

    /// `IN (SELECT …)` / `NOT IN (SELECT …)`: the subquery rendered one level deeper, so its aliases differ.
    fn in_subquery(&mut self, left: &FieldPath, negated: bool, subquery: &Query) -> Result<String> {
        let expr = self.column(left);
        self.depth += 1;
        let inner = self.select(subquery, false);
        self.depth -= 1;
        let inner = inner?;
        Ok(if negated {
            // NOT IN over a set holding NULL is never true in SQL; SOQL ignores the nulls.
            format!(
                "({expr} IS NULL OR {expr} NOT IN (SELECT c0 FROM ({inner}) WHERE c0 IS NOT NULL))"
            )
        } else {
            format!("({expr} IN ({inner}))")
        })
    }

    /// `INCLUDES` / `EXCLUDES` on a multi-select picklist (values joined by `;`): some set has all of its
    /// values in the field.
    fn includes(&mut self, left: &FieldPath, negated: bool, sets: &[Vec<String>]) -> String {
        let expr = self.column(left);
        let mut any = Vec::new();
        for set in sets {
            let mut all = Vec::new();
            for value in set {
                let p = self.bind(&Literal::Text(format!("%;{};%", value.trim())));
                all.push(format!("(';' || {expr} || ';') LIKE {p} ESCAPE '\\'"));
            }
            any.push(format!("({})", all.join(" AND ")));
        }
        let any = if any.is_empty() {
            "0".to_owned()
        } else {
            any.join(" OR ")
        };
        if negated {
            format!("({expr} IS NULL OR NOT ({any}))")
        } else {
            format!("({expr} IS NOT NULL AND ({any}))")
        }
    }

    fn join_conditions(&mut self, parts: &[Condition], separator: &str) -> Result<String> {
        let rendered = parts
            .iter()
            .map(|p| self.condition(p))
            .collect::<Result<Vec<_>>>()?;
        if rendered.is_empty() {
            return Err(StoreError::Invalid("empty condition".into()));
        }
        Ok(format!("({})", rendered.join(separator)))
    }

    fn compare(&mut self, expr: &str, op: ComparisonOp, literal: &Literal, text: bool) -> String {
        if *literal == Literal::Null {
            return match op {
                ComparisonOp::Ne => format!("({expr} IS NOT NULL)"),
                _ => format!("({expr} IS NULL)"),
            };
        }
        let p = self.bind(literal);
        let collate = if text { " COLLATE NOCASE" } else { "" };
        match op {
            ComparisonOp::Eq => format!("({expr}{collate} = {p})"),
            ComparisonOp::Ne => format!("({expr} IS NULL OR {expr}{collate} <> {p})"),
            ComparisonOp::Lt => format!("({expr}{collate} < {p})"),
            ComparisonOp::Le => format!("({expr}{collate} <= {p})"),
            ComparisonOp::Gt => format!("({expr}{collate} > {p})"),
            ComparisonOp::Ge => format!("({expr}{collate} >= {p})"),
        }
    }

    fn compare_range(&mut self, expr: &str, op: ComparisonOp, range: &DateRange) -> String {
        // Bind only the bounds the comparison uses: SQLite counts every numbered parameter.
        match op {
            ComparisonOp::Eq => {
                let (start, end) = (self.bind(&range.start), self.bind(&range.end));
                format!("({expr} >= {start} AND {expr} < {end})")
            }
            ComparisonOp::Ne => {
                let (start, end) = (self.bind(&range.start), self.bind(&range.end));
                format!("({expr} IS NULL OR {expr} < {start} OR {expr} >= {end})")
            }
            ComparisonOp::Lt => format!("({expr} < {})", self.bind(&range.start)),
            ComparisonOp::Le => format!("({expr} < {})", self.bind(&range.end)),
            ComparisonOp::Gt => format!("({expr} >= {})", self.bind(&range.end)),
            ComparisonOp::Ge => format!("({expr} >= {})", self.bind(&range.start)),
        }
    }
}

/// Text comparisons and ordering are case-insensitive in SOQL.
fn operand_is_text(operand: &Operand) -> bool {
    match operand {
        Operand::Field(path) => {
            path.field.ftype.storage() == Storage::Text && !is_temporal(path.field.ftype)
        }
        _ => false,
    }
}

fn is_temporal(ftype: FieldType) -> bool {
    matches!(
        ftype,
        FieldType::Date | FieldType::DateTime | FieldType::Time
    )
}
