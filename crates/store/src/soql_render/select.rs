//! One SELECT: its columns, parent paths as LEFT JOINs, WHERE, GROUP BY, HAVING, ORDER BY and limits.

use super::formula::{FormulaCache, FormulaEnv};
use super::per_parent::PerParent;
use super::polymorphic::reads_the_name_object;
use super::{Dialect, Param, Rendered};
use crate::{QueryOptions, Result};
use bulkforce_core::schema::{FieldType, Storage};
use bulkforce_soql::bound::{
    AggregateFunction, FieldPath, Hop, Literal, Operand, OrderKey, Query, SelectItem,
};

/// Quotes an identifier. Object and field names are `[A-Za-z0-9_]` (checked when the schema loads).
pub(super) fn quote(name: &str) -> String {
    format!("\"{name}\"")
}

/// Renders one statement, with table aliases `q{depth}_{n}` so subqueries never clash.
pub(crate) struct Renderer<'a> {
    pub(super) options: &'a QueryOptions,
    pub(super) dialect: &'a dyn Dialect,
    params: Vec<Param>,
    pub(super) depth: usize,
    /// Joined parent paths: (relationship names from the root, alias).
    joins: Vec<(Vec<String>, String)>,
    join_sql: String,
    /// What formula fields are rendered with, and the formulas compiled for this render.
    pub(super) env: Option<FormulaEnv<'a>>,
    pub(super) formulas: FormulaCache,
    /// The FROM object of the statement being rendered (a formula field's own object at depth 0).
    object: String,
}

impl<'a> Renderer<'a> {
    pub(super) fn new(
        options: &'a QueryOptions,
        dialect: &'a dyn Dialect,
        env: Option<FormulaEnv<'a>>,
    ) -> Renderer<'a> {
        Renderer {
            options,
            dialect,
            params: Vec::new(),
            depth: 0,
            joins: Vec::new(),
            join_sql: String::new(),
            env,
            formulas: FormulaCache::default(),
            object: String::new(),
        }
    }

    pub(super) fn render(mut self, query: &Query) -> Result<Rendered> {
        let sql = self.select(query, self.options.include_deleted)?;
        if let Some(error) = self.formulas.error.take() {
            return Err(crate::StoreError::Invalid(error));
        }
        Ok(Rendered {
            sql,
            params: self.params,
        })
    }

    fn root_alias(&self) -> String {
        format!("q{}_0", self.depth)
    }

    pub(super) fn select(&mut self, query: &Query, include_deleted: bool) -> Result<String> {
        let saved_joins = std::mem::take(&mut self.joins);
        let saved_join_sql = std::mem::take(&mut self.join_sql);
        let saved_object = std::mem::replace(&mut self.object, query.object.name.clone());
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
        let order: Vec<String> = query.order_by.iter().map(|k| self.order_key(k)).collect();
        let per_parent = query.per_parent.as_ref().map(|lookup| {
            let id = self.dialect.exact(&format!("{root}.\"Id\""));
            PerParent::new(&root, &lookup.name, &order, format!("{id} ASC"))
        });
        if let Some(per_parent) = &per_parent {
            columns.extend(per_parent.columns());
        }
        let mut sql = format!(
            "SELECT {} FROM {} AS {root}{}",
            if columns.is_empty() {
                "1".to_owned()
            } else {
                columns.join(", ")
            },
            self.dialect.table(&query.object.name),
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
        if per_parent.is_some() {
            // Order and limits apply per parent, in the window around this statement.
            sql = PerParent::wrap(&sql, query.select.len(), query.limit, query.offset);
        } else if !order.is_empty() {
            sql.push_str(" ORDER BY ");
            sql.push_str(&order.join(", "));
        } else if !query.is_aggregate() {
            // A stable order makes paging and locators deterministic.
            let id = self.dialect.exact(&format!("{root}.\"Id\""));
            sql.push_str(&format!(" ORDER BY {id}"));
        }
        if per_parent.is_none() {
            sql.push_str(&self.dialect.limit_offset(query.limit, query.offset));
        }
        self.joins = saved_joins;
        self.join_sql = saved_join_sql;
        self.object = saved_object;
        Ok(sql)
    }

    fn order_key(&mut self, key: &OrderKey) -> String {
        let expr = self.operand(&key.operand);
        let expr = match text_kind(&key.operand) {
            TextKind::Nocase => self.dialect.nocase(&expr),
            TextKind::Exact => self.dialect.exact(&expr),
            TextKind::NotText => expr,
        };
        format!(
            "{expr} {} NULLS {}",
            if key.descending { "DESC" } else { "ASC" },
            if key.nulls_first { "FIRST" } else { "LAST" }
        )
    }

    /// The alias of the table at the end of `hops`, joining parents as needed, and the join keys of the
    /// hops (what tells the joins of one statement apart).
    pub(super) fn table_of(&mut self, hops: &[Hop]) -> (String, Vec<String>) {
        let mut alias = self.root_alias();
        let mut names = Vec::new();
        for hop in hops {
            names.push(hop.join_key());
            alias = self.join(&names, &hop.to.name, &alias, &hop.reference_field);
        }
        (alias, names)
    }

    /// The alias of `table` LEFT JOINed on its `Id` = `{from}.{reference_field}` under the join key path
    /// `names`, joined once per statement.
    pub(super) fn join(
        &mut self,
        names: &[String],
        table: &str,
        from: &str,
        reference_field: &str,
    ) -> String {
        if let Some((_, existing)) = self.joins.iter().find(|(n, _)| n == names) {
            return existing.clone();
        }
        let next = format!("q{}_{}", self.depth, self.joins.len() + 1);
        self.join_sql.push_str(&format!(
            " LEFT JOIN {} AS {next} ON {next}.\"Id\" = {from}.{}",
            self.dialect.table(table),
            quote(reference_field)
        ));
        self.joins.push((names.to_vec(), next.clone()));
        next
    }

    pub(super) fn column(&mut self, path: &FieldPath) -> String {
        if let Some((last, before)) = path.hops.split_last()
            && reads_the_name_object(last)
        {
            return self.name_field(before, last, &path.field);
        }
        let (table, names) = self.table_of(&path.hops);
        if path.field.traits.formula.is_some() {
            let object = path
                .hops
                .last()
                .map_or(self.object.clone(), |h| h.to.name.clone());
            return self.formula_column(&table, &names, &object, &path.field);
        }
        format!("{table}.{}", quote(&path.field.name))
    }

    fn aggregate(&mut self, function: AggregateFunction, argument: Option<&FieldPath>) -> String {
        let Some(path) = argument else {
            // COUNT() without a field, and (never produced by the binder) any other aggregate without one.
            return "COUNT(*)".into();
        };
        let a = self.column(path);
        let storage = path.field.ftype.storage();
        match function {
            AggregateFunction::Count => format!("COUNT({a})"),
            AggregateFunction::CountDistinct => format!("COUNT(DISTINCT {a})"),
            AggregateFunction::Sum => self.dialect.sum(&a, storage),
            AggregateFunction::Avg => self.dialect.avg(&a),
            // The smallest text is the smallest by its bytes, as ISO dates are.
            AggregateFunction::Min if storage == Storage::Text => {
                format!("MIN({})", self.dialect.exact(&a))
            }
            AggregateFunction::Max if storage == Storage::Text => {
                format!("MAX({})", self.dialect.exact(&a))
            }
            AggregateFunction::Min => format!("MIN({a})"),
            AggregateFunction::Max => format!("MAX({a})"),
        }
    }

    pub(super) fn operand(&mut self, operand: &Operand) -> String {
        match operand {
            Operand::Field(path) => self.column(path),
            Operand::DateFunction(f, path) => self.date_function(*f, path),
            Operand::Aggregate(f, arg) => self.aggregate(*f, arg.as_ref()),
        }
    }

    /// Binds a literal as the next parameter; returns its placeholder (`NULL` binds nothing).
    pub(super) fn bind(&mut self, literal: &Literal) -> String {
        let param = match literal {
            Literal::Null => return "NULL".into(),
            Literal::Text(s) => Param::Text(s.clone()),
            Literal::Integer(i) => Param::Integer(*i),
            Literal::Decimal(d) => Param::Real(*d),
            Literal::Boolean(b) => Param::Integer(i64::from(*b)),
            Literal::Date(d) => Param::Text(d.format("%Y-%m-%d").to_string()),
            Literal::DateTime(d) => Param::Text(bulkforce_core::value::format_datetime(d)),
        };
        let placeholder = self.dialect.placeholder(self.params.len() + 1, &param);
        self.params.push(param);
        placeholder
    }
}

/// How an operand's values compare and sort.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum TextKind {
    /// Text of a field that is not a date or time: compared without case, as in SOQL.
    Nocase,
    /// ISO date and time text (fields, `DAY_ONLY`): compared by its bytes.
    Exact,
    /// Numbers (and aggregates, date parts).
    NotText,
}

pub(super) fn text_kind(operand: &Operand) -> TextKind {
    match operand {
        Operand::Field(path) if path.field.ftype.storage() == Storage::Text => {
            if is_temporal(path.field.ftype) {
                TextKind::Exact
            } else {
                TextKind::Nocase
            }
        }
        Operand::DateFunction(bulkforce_soql::bound::DateFunction::DayOnly, _) => TextKind::Exact,
        _ => TextKind::NotText,
    }
}

fn is_temporal(ftype: FieldType) -> bool {
    matches!(
        ftype,
        FieldType::Date | FieldType::DateTime | FieldType::Time
    )
}
