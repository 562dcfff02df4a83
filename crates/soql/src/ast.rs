//! The syntax tree of a SOQL statement, as written: names are not resolved, literals are not typed yet, and
//! every node keeps the span the binder needs to point its errors at (Salesforce reports the column of the
//! offending token).

use crate::dates::RelativeDate;
use crate::lexer::Span;
use chrono::{DateTime, NaiveDate, Utc};

/// A name as written.
#[derive(Debug, Clone, PartialEq)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

/// A dotted field path as written: `Name`, `Account.Owner.Name`, `a.Name` (with a FROM alias).
#[derive(Debug, Clone, PartialEq)]
pub struct Path {
    pub parts: Vec<Ident>,
    pub span: Span,
}

impl Path {
    /// The path as written (`Account.Owner.Name`).
    pub fn text(&self) -> String {
        self.parts
            .iter()
            .map(|p| p.name.as_str())
            .collect::<Vec<_>>()
            .join(".")
    }
}

/// A field or a function over one field: the left side of a condition, a GROUP BY or ORDER BY key, and the
/// SELECT items that are not `FIELDS()`, subqueries or `TYPEOF`.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Field(Path),
    /// `COUNT()`, `SUM(Amount)`, `CALENDAR_YEAR(CreatedDate)`, … (`arg` is `None` only for `COUNT()`).
    Call {
        function: Ident,
        arg: Option<Path>,
        span: Span,
    },
}

impl Expr {
    pub fn span(&self) -> Span {
        match self {
            Expr::Field(path) => path.span,
            Expr::Call { span, .. } => *span,
        }
    }

    /// The expression as written, normalised to no spaces (`CALENDAR_YEAR(CreatedDate)`).
    pub fn text(&self) -> String {
        match self {
            Expr::Field(path) => path.text(),
            Expr::Call { function, arg, .. } => format!(
                "{}({})",
                function.name,
                arg.as_ref().map(Path::text).unwrap_or_default()
            ),
        }
    }
}

/// `FIELDS(STANDARD)`, `FIELDS(CUSTOM)`, `FIELDS(ALL)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldsKind {
    Standard,
    Custom,
    All,
}

/// One item of the SELECT list.
#[derive(Debug, Clone, PartialEq)]
pub enum SelectItem {
    Expr {
        expr: Expr,
        alias: Option<Ident>,
    },
    Fields {
        kind: FieldsKind,
        span: Span,
    },
    /// A parent-to-child subquery `(SELECT … FROM Contacts)`.
    Subquery {
        query: Box<Select>,
        span: Span,
    },
    /// `TYPEOF What WHEN Account THEN Phone, … [ELSE Name, …] END`.
    TypeOf {
        /// The whole expression, from `TYPEOF` to `END`.
        span: Span,
        /// The polymorphic relationship (`What`).
        relationship: Path,
        whens: Vec<TypeOfWhen>,
        /// The `ELSE` list (empty when there is none).
        else_fields: Vec<Path>,
    },
}

/// One `WHEN Account THEN Phone, NumberOfEmployees` of a TYPEOF.
#[derive(Debug, Clone, PartialEq)]
pub struct TypeOfWhen {
    pub object: Ident,
    pub fields: Vec<Path>,
}

/// Comparison operators as written (`!=` and `<>` are both `Ne`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompareOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

/// A literal value as written.
#[derive(Debug, Clone, PartialEq)]
pub struct Literal {
    pub kind: LiteralKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum LiteralKind {
    Null,
    Boolean(bool),
    /// The raw text between the quotes (escapes not decoded; see [`crate::lexer::decode`]).
    String(String),
    /// A number as written (`-3.5`, `1E3`).
    Number(String),
    Date(NaiveDate),
    DateTime(DateTime<Utc>),
    /// A date literal (`TODAY`, `LAST_N_DAYS:30`).
    Relative(RelativeDate),
}

/// A WHERE or HAVING condition.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    And(Vec<Condition>),
    Or(Vec<Condition>),
    Not(Box<Condition>),
    Compare {
        left: Expr,
        op: CompareOp,
        right: Literal,
    },
    Like {
        left: Expr,
        pattern: Literal,
    },
    In {
        left: Expr,
        negated: bool,
        values: Vec<Literal>,
    },
    /// `Id IN (SELECT AccountId FROM Contact …)`; `span` is the parenthesised subquery.
    InSubquery {
        left: Expr,
        negated: bool,
        query: Box<Select>,
        span: Span,
    },
    /// `INCLUDES (…)` or, `negated`, `EXCLUDES (…)`.
    Includes {
        left: Expr,
        negated: bool,
        values: Vec<Literal>,
    },
}

/// One ORDER BY key; `nulls_first` is `None` when not written.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderKey {
    pub expr: Expr,
    pub descending: bool,
    pub nulls_first: Option<bool>,
}

/// A number written after LIMIT or OFFSET.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Count {
    pub value: u64,
    pub span: Span,
}

/// A whole SELECT statement (top level, parent-to-child subquery or semi-join subquery).
#[derive(Debug, Clone, PartialEq)]
pub struct Select {
    pub items: Vec<SelectItem>,
    pub from: Ident,
    pub alias: Option<Ident>,
    pub filter: Option<Condition>,
    pub group_by: Vec<Expr>,
    pub having: Option<Condition>,
    pub order_by: Vec<OrderKey>,
    pub limit: Option<Count>,
    pub offset: Option<Count>,
}
