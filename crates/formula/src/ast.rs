//! The syntax tree as written: names are not resolved and nothing is typed yet.

/// Where a node starts in the formula text: byte offset, and 1-based line and column (in characters) as
/// errors report them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Span {
    pub offset: usize,
    pub line: u32,
    pub column: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    /// A number literal (`3`, `2.5`).
    Number(f64),
    /// A text literal, unescaped (`"a\"b"` or `'a'`).
    Text(String),
    /// `TRUE` / `FALSE`.
    Boolean(bool),
    /// `NULL`.
    Null,
    /// A field or a path through lookups, as written: `Name`, `Account.Industry`, `Owner.Profile.Name`
    /// (relationship names, then the field).
    Field(Vec<String>),
    /// A global variable's field: `$User.Id` is `("User", ["Id"])`, `$RecordType.DeveloperName`,
    /// `$Profile.Name`, `$Organization.Name`.
    Global(String, Vec<String>),
    /// `-x`, `+x`, `!x` / `NOT x` written as an operator.
    Unary(UnaryOp, Box<Expr>),
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
    /// A function call: the name as written (matched without case later) and its arguments.
    Call(String, Vec<Expr>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnaryOp {
    Negate,
    Plus,
    Not,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryOp {
    Add,
    Subtract,
    Multiply,
    Divide,
    Power,
    /// `&`: text concatenation.
    Concat,
    /// `=` and `==`.
    Equal,
    /// `!=` and `<>`.
    NotEqual,
    Less,
    LessEqual,
    Greater,
    GreaterEqual,
    And,
    Or,
}

impl BinaryOp {
    /// The operator as written and as error messages name it (`operator '+'`); `=`/`==` and `!=`/`<>` are
    /// named by their first spelling.
    pub fn symbol(self) -> &'static str {
        match self {
            BinaryOp::Add => "+",
            BinaryOp::Subtract => "-",
            BinaryOp::Multiply => "*",
            BinaryOp::Divide => "/",
            BinaryOp::Power => "^",
            BinaryOp::Concat => "&",
            BinaryOp::Equal => "=",
            BinaryOp::NotEqual => "<>",
            BinaryOp::Less => "<",
            BinaryOp::LessEqual => "<=",
            BinaryOp::Greater => ">",
            BinaryOp::GreaterEqual => ">=",
            BinaryOp::And => "&&",
            BinaryOp::Or => "||",
        }
    }
}
