//! Salesforce's formula language as validation rules, formula fields and default values use it.
//!
//! Three steps, each pure:
//! 1. [`parse`]: text -> [`ast::Expr`] with the line and column of every node; malformed text is a
//!    [`FormulaError`] naming where. Nesting is bounded before it recurses, so no input overflows the stack.
//! 2. [`compile`]: the tree type-checked against the fields a [`Resolver`] knows (the object's own fields,
//!    lookups' parents such as `Account.Industry`, globals such as `$User.Id`), giving a [`Formula`]: a typed
//!    tree ([`typed::TExpr`]) whose field references are resolved once, so evaluating it looks nothing up by
//!    name. Done once per job (or per query), never per row.
//! 3. [`Formula::eval`]: the typed tree against one row ([`RowSource`]), with Salesforce's blank semantics.
//!
//! The store renders the same typed tree as SQL for formula fields (computed when read); validation rules and
//! default values are evaluated here, in Rust, on the row being written.

pub mod ast;
mod check;
mod error;
mod eval;
pub mod func;
mod lexer;
mod parser;
pub mod typed;
mod types;

pub use check::{Blanks, CompileOptions, ResolvedField, Resolver, compile};
pub use error::{EvalError, FormulaError};
pub use eval::RowSource;
pub use parser::parse;
pub use typed::{FieldRef, Formula, GlobalRef};
pub use types::{FType, FValue};
