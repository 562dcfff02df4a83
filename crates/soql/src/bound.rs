//! The bound query: SOQL resolved against the schema into a logical query that the store renders to its own
//! SQL dialect. Every name here is canonical (as the schema spells it) and every literal is typed.
//!
//! This is the contract between `bulkforce-soql` (which builds it) and `bulkforce-store` (which runs it).

use bulkforce_core::schema::{Field, SObject};
use chrono::{DateTime, NaiveDate, Utc};
use std::sync::Arc;

/// One hop from a child record to its parent through a lookup: `Contact.Account` is
/// `{ from: Contact, reference_field: "AccountId", to: Account }`.
#[derive(Debug, Clone, PartialEq)]
pub struct Hop {
    pub from: Arc<SObject>,
    pub reference_field: String,
    /// The relationship name as the schema spells it (`Account`, `Owner`, `Parent`).
    pub relationship: String,
    /// The object reached: the target for an ordinary lookup and a TYPEOF `WHEN` branch, the `Name`
    /// object for any other use of a polymorphic relationship (`What.Name`, a TYPEOF `ELSE` field).
    pub to: Arc<SObject>,
    /// Set when the relationship is polymorphic (`What`, `Who`, a Case's `Owner`).
    pub polymorphic: Option<Polymorphic>,
}

impl Hop {
    /// What tells this hop's join apart from the others of a statement: the relationship name, and for a
    /// TYPEOF `WHEN` branch the object it reads (two branches of one relationship join different tables).
    pub fn join_key(&self) -> String {
        match &self.polymorphic {
            Some(Polymorphic {
                branch: Branch::When,
                ..
            }) => format!("{}@{}", self.relationship, self.to.name).to_ascii_lowercase(),
            _ => self.relationship.to_ascii_lowercase(),
        }
    }
}

/// A hop through a polymorphic relationship: the objects its id may be of, and which of them a field
/// read through it answers for.
#[derive(Debug, Clone, PartialEq)]
pub struct Polymorphic {
    /// Every object the reference may point at that the schema knows, in `referenceTo` order; an id's
    /// object is the one whose key prefix it starts with.
    pub targets: Vec<Arc<SObject>>,
    pub branch: Branch,
}

/// Which records a field read through a polymorphic hop answers for.
#[derive(Debug, Clone, PartialEq)]
pub enum Branch {
    /// `What.Name`, `Owner.Type`: a field of the `Name` object, read from whichever target the id is of
    /// (`Type` from the id's key prefix).
    Name,
    /// A field of a TYPEOF `WHEN X THEN …` list: only records whose id is of `X` (the hop's `to`).
    When,
    /// A field of a TYPEOF `ELSE …` list (a `Name` field): only records whose id is of none of the
    /// objects named by the statement's `WHEN`s.
    Else(Vec<String>),
}

/// A field reached from the queried object through zero to five parent hops (`Account.Owner.Name`).
#[derive(Debug, Clone, PartialEq)]
pub struct FieldPath {
    pub hops: Vec<Hop>,
    /// The field on the last object of the path (the queried object when there are no hops).
    pub field: Field,
}

impl FieldPath {
    /// The column header Salesforce writes: relationship names and the field, joined by dots, as the schema
    /// spells them (`Account.Owner.Name`).
    pub fn header(&self) -> String {
        let mut parts: Vec<&str> = self.hops.iter().map(|h| h.relationship.as_str()).collect();
        parts.push(&self.field.name);
        parts.join(".")
    }
}

/// Aggregate functions (REST query only; Bulk query jobs refuse them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AggregateFunction {
    Count,
    CountDistinct,
    Sum,
    Avg,
    Min,
    Max,
}

/// Date functions usable in WHERE, GROUP BY and the SELECT list of aggregate queries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateFunction {
    CalendarMonth,
    CalendarQuarter,
    CalendarYear,
    DayInMonth,
    /// 1 = Sunday … 7 = Saturday.
    DayInWeek,
    DayInYear,
    /// The date part of a dateTime (compared with date literals).
    DayOnly,
    FiscalMonth,
    FiscalQuarter,
    FiscalYear,
    HourInDay,
    WeekInMonth,
    WeekInYear,
}

/// One item of the SELECT list, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum SelectItem {
    Field(FieldPath),
    /// `COUNT()` has no argument; `alias` is the explicit alias or Salesforce's `expr0`, `expr1`, ….
    Aggregate {
        function: AggregateFunction,
        argument: Option<FieldPath>,
        alias: String,
    },
    /// A date function in the SELECT list of a grouped query.
    DateFunction {
        function: DateFunction,
        argument: FieldPath,
        alias: String,
    },
}

/// The left side of a comparison.
#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    Field(FieldPath),
    DateFunction(DateFunction, FieldPath),
    /// `COUNT(Id) > 5` in HAVING.
    Aggregate(AggregateFunction, Option<FieldPath>),
}

/// A typed literal, already converted to the type of the field it is compared with.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    Null,
    Text(String),
    Integer(i64),
    Decimal(f64),
    Boolean(bool),
    Date(NaiveDate),
    DateTime(DateTime<Utc>),
}

/// Comparison operators. `=`/`!=` with NULL mean IS NULL / IS NOT NULL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ComparisonOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

/// A date literal (`TODAY`, `LAST_N_DAYS:30`, `THIS_FISCAL_QUARTER`, …) resolved to the half-open range
/// `[start, end)` it stands for, in the compared field's type (both `Literal::Date` or both
/// `Literal::DateTime`). Salesforce's semantics: `= X` is inside the range, `!= X` outside, `< X` before
/// `start`, `<= X` before `end`, `> X` at or after `end`, `>= X` at or after `start`.
#[derive(Debug, Clone, PartialEq)]
pub struct DateRange {
    pub start: Literal,
    pub end: Literal,
}

/// The right side of a comparison.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Literal(Literal),
    Range(DateRange),
}

/// A WHERE (or HAVING) condition.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    And(Vec<Condition>),
    Or(Vec<Condition>),
    Not(Box<Condition>),
    Compare {
        left: Operand,
        op: ComparisonOp,
        right: Value,
    },
    /// `LIKE 'a%b_'`: `%` any run, `_` one character, `\` escapes; case-insensitive as in Salesforce.
    Like {
        left: FieldPath,
        pattern: String,
    },
    /// `IN (…)` / `NOT IN (…)` over literals (dates may be ranges, each matched with `=`).
    In {
        left: Operand,
        negated: bool,
        values: Vec<Value>,
    },
    /// `Id IN (SELECT AccountId FROM Contact WHERE …)`: the subquery selects exactly one field.
    InSubquery {
        left: FieldPath,
        negated: bool,
        subquery: Box<Query>,
    },
    /// `INCLUDES ('a;b', 'c')`: some listed set is contained in the multi-select value
    /// (each inner Vec is one `;`-separated set). `EXCLUDES` is `negated`.
    Includes {
        left: FieldPath,
        negated: bool,
        sets: Vec<Vec<String>>,
    },
}

/// Direction and null placement of one ORDER BY key. Salesforce's default: ASC with NULLS FIRST, DESC with
/// NULLS LAST.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderKey {
    pub operand: Operand,
    pub descending: bool,
    pub nulls_first: bool,
}

/// A bound SOQL statement.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    /// The FROM object.
    pub object: Arc<SObject>,
    pub select: Vec<SelectItem>,
    pub filter: Option<Condition>,
    /// GROUP BY keys (fields or date functions); empty when not grouped.
    pub group_by: Vec<Operand>,
    pub having: Option<Condition>,
    pub order_by: Vec<OrderKey>,
    pub limit: Option<u64>,
    pub offset: Option<u64>,
    /// Parent-to-child subqueries (REST only): each runs apart from this statement, whose SQL ignores them.
    pub children: Vec<ChildQuery>,
    /// Set on a child statement read for a page of parents: its LIMIT and OFFSET count within each value
    /// of this lookup (each parent), not over the whole result, so the store never reads more than a
    /// parent's share. The binder never sets it; see [`ChildQuery`].
    pub per_parent: Option<Field>,
}

/// A parent-to-child subquery `(SELECT LastName FROM Contacts)`: a statement over the child object whose
/// rows nest under their parent's record. Its LIMIT and OFFSET count per parent, as in Salesforce.
#[derive(Debug, Clone, PartialEq)]
pub struct ChildQuery {
    /// The relationship name as the schema spells it (`Contacts`): the key of the nested result.
    pub relationship: String,
    /// The child's lookup field holding the parent's id (`AccountId` for `Contacts`).
    pub parent_field: Field,
    /// The child statement over the child object (with its own nested `children`).
    pub query: Query,
    /// How many of the parent's SELECT items were written before it: where its key goes in a record.
    pub position: usize,
}

impl Query {
    /// Whether the query aggregates (aggregate functions or GROUP BY): REST only.
    pub fn is_aggregate(&self) -> bool {
        !self.group_by.is_empty()
            || self
                .select
                .iter()
                .any(|s| !matches!(s, SelectItem::Field(_)))
    }

    /// Bare `SELECT COUNT() FROM …`: the REST answer is `totalSize` with no records.
    pub fn is_count_only(&self) -> bool {
        matches!(
            self.select.as_slice(),
            [SelectItem::Aggregate {
                function: AggregateFunction::Count,
                argument: None,
                ..
            }]
        )
    }

    /// The column headers of the result, in SELECT order.
    pub fn headers(&self) -> Vec<String> {
        self.select
            .iter()
            .map(|item| match item {
                SelectItem::Field(path) => path.header(),
                SelectItem::Aggregate { alias, .. } | SelectItem::DateFunction { alias, .. } => {
                    alias.clone()
                }
            })
            .collect()
    }
}
