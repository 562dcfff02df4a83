//! The checked tree: every node typed, every field and global resolved to an index, functions known.
//! Evaluated by [`Formula::eval`](crate::Formula::eval) and rendered as SQL by the store.

use crate::ast::{BinaryOp, Span, UnaryOp};
use crate::check::Blanks;
use crate::func::Func;
use crate::types::{FType, FValue};

/// A compiled formula: compile once (per job, per query), evaluate per row.
#[derive(Debug, Clone, PartialEq)]
pub struct Formula {
    pub expr: TExpr,
    /// What the formula gives (for a validation rule: `Boolean`).
    pub return_type: FType,
    /// The fields it reads, each once; `TKind::Field(i)` is `fields[i]`.
    pub fields: Vec<FieldRef>,
    /// The globals it reads, each once; `TKind::Global(i)` is `globals[i]`.
    pub globals: Vec<GlobalRef>,
    /// How blank number fields read (the field's `formulaTreatBlanksAs`).
    pub blanks: Blanks,
    /// Whether it calls `ISNEW`, `ISCHANGED` or `PRIORVALUE` (a writer then reads the stored record).
    pub uses_prior: bool,
    /// Whether it calls `TODAY` or `NOW` (its value changes without a write).
    pub uses_now: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TExpr {
    pub kind: TKind,
    pub ty: FType,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum TKind {
    Literal(FValue),
    /// `Formula::fields[i]`.
    Field(usize),
    /// `Formula::globals[i]`.
    Global(usize),
    Unary(UnaryOp, Box<TExpr>),
    Binary(BinaryOp, Box<TExpr>, Box<TExpr>),
    Call(Func, Vec<TExpr>),
}

/// One lookup followed from the formula's object: the reference field on the object reached so far
/// (`AccountId`) and the object it leads to (`Account`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Hop {
    pub reference_field: String,
    pub object: String,
}

/// A field the formula reads: on the formula's own object (`hops` empty) or through lookups.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FieldRef {
    pub hops: Vec<Hop>,
    /// The object that has the field (the formula's object when there are no hops).
    pub object: String,
    /// The field's API name as the schema spells it.
    pub field: String,
    pub ty: FType,
    /// The field's own formula type where the field is itself a formula field (the store renders it as its
    /// formula; the evaluator asks the row source for it like any other field).
    pub is_formula: bool,
}

/// A global variable's field: `$User.Id` is `{ variable: "User", field: "Id" }` (names as the resolver
/// spells them).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct GlobalRef {
    pub variable: String,
    pub field: String,
    pub ty: FType,
}
