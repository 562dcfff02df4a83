//! Type checking: the syntax tree resolved against an object's fields and checked as Salesforce's formula
//! editor checks it, giving a [`Formula`].
//!
//! Names are resolved through a [`Resolver`] once, here: each field or global the formula reads becomes an
//! index into [`Formula::fields`] / [`Formula::globals`] (each listed once). Operators are typed in
//! [`operators`], functions' signatures in [`functions`]; errors use Salesforce's message templates (§3.9 of
//! the org-metadata spec) at the offending node's line and column.

mod functions;
mod operators;

use crate::ast::{Expr, ExprKind, Span, UnaryOp};
use crate::error::FormulaError;
use crate::func::Func;
use crate::parser::parse;
use crate::typed::{FieldRef, Formula, GlobalRef, Hop, TExpr, TKind};
use crate::types::{FType, FValue};

/// How blank number fields read in a formula (`formulaTreatBlanksAs`): as zero (`BlankAsZero`, the default
/// of a new formula field) or as blank (`BlankAsBlank`; validation rules always read blanks as blank... see
/// the field's setting).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Blanks {
    #[default]
    AsZero,
    AsBlank,
}

/// What the formula is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CompileOptions {
    pub blanks: Blanks,
    /// The type the formula must give (validation rules: `Boolean`; a formula field: its return type; a
    /// default value: the field's type). `None`: any.
    pub expected: Option<FType>,
    /// Whether `ISNEW`, `ISCHANGED` and `PRIORVALUE` are allowed (validation rules: yes; formula fields and
    /// default values: no, as in Salesforce).
    pub allow_prior: bool,
}

/// What a resolved field path is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedField {
    pub hops: Vec<Hop>,
    pub object: String,
    pub field: String,
    pub ty: FType,
    pub is_formula: bool,
}

/// The names a formula may use, as the schema knows them (implemented over core's `Schema` by core).
pub trait Resolver {
    /// The field at the end of `path` (relationship names, then a field) from the formula's object;
    /// `None` when any part is unknown.
    fn field(&self, path: &[String]) -> Option<ResolvedField>;
    /// A global variable's field (`$User.Email`): its type, and the names as the resolver spells them;
    /// `None` when unknown.
    fn global(&self, variable: &str, field: &str) -> Option<(String, String, FType)>;
    /// Why `path` does not resolve when the reason is a formula field that refers to itself, directly or
    /// through other formula fields: the chain of fields (`Account.A__c -> Account.B__c -> Account.A__c`),
    /// for Salesforce's message. `None` otherwise (the default: a resolver without formula fields).
    fn self_reference(&self, path: &[String]) -> Option<String> {
        let _ = path;
        None
    }
}

/// Parses and type-checks `source` for an object whose names `resolver` knows.
///
/// A result that does not fit `options.expected` is reported at line 1, column 1 (Salesforce's editor
/// shows that message without a position).
pub fn compile(
    source: &str,
    resolver: &dyn Resolver,
    options: CompileOptions,
) -> Result<Formula, FormulaError> {
    let tree = parse(source)?;
    let mut checker = Checker {
        resolver,
        options,
        fields: Vec::new(),
        field_names: Vec::new(),
        globals: Vec::new(),
        uses_prior: false,
        uses_now: false,
    };
    let expr = checker.expr(&tree)?;
    let return_type = checker.result_type(&expr)?;
    Ok(Formula {
        expr,
        return_type,
        fields: checker.fields,
        globals: checker.globals,
        blanks: options.blanks,
        uses_prior: checker.uses_prior,
        uses_now: checker.uses_now,
    })
}

/// How a parameter type message names a type (`Expected Number, received Text`).
pub(crate) fn type_name(ty: FType) -> &'static str {
    match ty {
        FType::Number => "Number",
        FType::Text => "Text",
        FType::Boolean => "Boolean",
        FType::Date => "Date",
        FType::DateTime => "DateTime",
        FType::Time => "Time",
        FType::Picklist => "Picklist",
        FType::MultiPicklist => "Multi-Select Picklist",
        FType::Null => "Null",
    }
}

/// How the result type message names a type (`… incompatible with expected data type (true/false).`).
fn result_type_name(ty: FType) -> &'static str {
    match ty {
        FType::Boolean => "true/false",
        FType::DateTime => "Date/Time",
        other => type_name(other),
    }
}

/// One compilation's state: what has been resolved so far.
pub(crate) struct Checker<'r> {
    resolver: &'r dyn Resolver,
    options: CompileOptions,
    fields: Vec<FieldRef>,
    /// `fields[i]` as the formula first wrote it (`Account.Industry`), for messages.
    field_names: Vec<String>,
    globals: Vec<GlobalRef>,
    uses_prior: bool,
    uses_now: bool,
}

impl Checker<'_> {
    fn expr(&mut self, e: &Expr) -> Result<TExpr, FormulaError> {
        let (kind, ty) = match &e.kind {
            ExprKind::Number(n) => (TKind::Literal(FValue::Number(*n)), FType::Number),
            ExprKind::Text(s) => (TKind::Literal(FValue::Text(s.clone())), FType::Text),
            ExprKind::Boolean(b) => (TKind::Literal(FValue::Boolean(*b)), FType::Boolean),
            ExprKind::Null => (TKind::Literal(FValue::Null), FType::Null),
            ExprKind::Field(path) => self.field(path, e.span)?,
            ExprKind::Global(variable, path) => self.global(variable, path, e.span)?,
            ExprKind::Unary(op, operand) => {
                let operand = self.expr(operand)?;
                let (symbol, want) = match op {
                    UnaryOp::Negate => ("-", FType::Number),
                    UnaryOp::Plus => ("+", FType::Number),
                    UnaryOp::Not => ("NOT", FType::Boolean),
                };
                self.expect(&format!("operator '{symbol}'"), &operand, &[want])?;
                (TKind::Unary(*op, Box::new(operand)), want)
            }
            ExprKind::Binary(op, left, right) => {
                let left = self.expr(left)?;
                let right = self.expr(right)?;
                let ty = self.binary_type(*op, &left, &right)?;
                (TKind::Binary(*op, Box::new(left), Box::new(right)), ty)
            }
            ExprKind::Call(name, args) => {
                let Some(func) = Func::by_name(name) else {
                    return Err(FormulaError::at(
                        e.span,
                        format!(
                            "Unknown function {}. Check spelling.",
                            name.to_ascii_uppercase()
                        ),
                    ));
                };
                let args = args
                    .iter()
                    .map(|a| self.expr(a))
                    .collect::<Result<Vec<_>, _>>()?;
                let ty = self.call_type(func, &args, e.span)?;
                (TKind::Call(func, args), ty)
            }
        };
        Ok(TExpr {
            kind,
            ty,
            span: e.span,
        })
    }

    fn field(&mut self, path: &[String], span: Span) -> Result<(TKind, FType), FormulaError> {
        let written = path.join(".");
        let resolved = path
            .iter()
            .all(|p| !p.is_empty())
            .then(|| self.resolver.field(path))
            .flatten()
            .ok_or_else(|| match self.resolver.self_reference(path) {
                Some(chain) => FormulaError::at(
                    span,
                    format!(
                        "Formula cannot use another formula field that directly or indirectly refers \
                         to itself. {chain}"
                    ),
                ),
                None => unknown_field(span, &written),
            })?;
        let field = FieldRef {
            hops: resolved.hops,
            object: resolved.object,
            field: resolved.field,
            ty: resolved.ty,
            is_formula: resolved.is_formula,
        };
        let ty = field.ty;
        let index = if let Some(i) = self.fields.iter().position(|f| *f == field) {
            i
        } else {
            self.fields.push(field);
            self.field_names.push(written);
            self.fields.len() - 1
        };
        Ok((TKind::Field(index), ty))
    }

    fn global(
        &mut self,
        variable: &str,
        path: &[String],
        span: Span,
    ) -> Result<(TKind, FType), FormulaError> {
        let written = std::iter::once(format!("${variable}"))
            .chain(path.iter().cloned())
            .collect::<Vec<_>>()
            .join(".");
        let [name] = path else {
            return Err(unknown_field(span, &written));
        };
        let (variable, field, ty) = self
            .resolver
            .global(variable, name)
            .ok_or_else(|| unknown_field(span, &written))?;
        let global = GlobalRef {
            variable,
            field,
            ty,
        };
        let index = if let Some(i) = self.globals.iter().position(|g| *g == global) {
            i
        } else {
            self.globals.push(global);
            self.globals.len() - 1
        };
        Ok((TKind::Global(index), ty))
    }

    /// Checks that `arg` is one of `accepted` (a `NULL` fits any), for `context` (`function 'LEN()'`,
    /// `operator '+'`); the message lists every accepted type.
    fn expect(&self, context: &str, arg: &TExpr, accepted: &[FType]) -> Result<(), FormulaError> {
        let shown = accepted
            .iter()
            .map(|t| type_name(*t))
            .collect::<Vec<_>>()
            .join(", ");
        self.expect_shown(context, arg, accepted, &shown)
    }

    /// As [`Checker::expect`], naming `shown` as the expected type.
    fn expect_shown(
        &self,
        context: &str,
        arg: &TExpr,
        accepted: &[FType],
        shown: &str,
    ) -> Result<(), FormulaError> {
        if arg.ty == FType::Null || accepted.contains(&arg.ty) {
            return Ok(());
        }
        if let Some(e) = self.picklist_misuse(arg) {
            return Err(e);
        }
        Err(FormulaError::at(
            arg.span,
            format!(
                "Incorrect parameter type for {context}. Expected {shown}, received {}",
                type_name(arg.ty)
            ),
        ))
    }

    /// The picklist (or multi-select picklist) message for `arg` used where only text-like values go.
    fn picklist_misuse(&self, arg: &TExpr) -> Option<FormulaError> {
        let name = self.written_name(arg);
        let message = match arg.ty {
            FType::Picklist => format!(
                "Field {name} is a picklist field. Picklist fields are only supported in certain functions."
            ),
            FType::MultiPicklist => format!(
                "Field {name} is a multi-select picklist field. Multi-select picklist fields are only \
                 supported in certain functions."
            ),
            _ => return None,
        };
        Some(FormulaError::at(arg.span, message))
    }

    /// The field behind a value for messages: the field itself, or the field of `PRIORVALUE(field)`.
    fn written_name(&self, e: &TExpr) -> String {
        match &e.kind {
            TKind::Field(i) => self.field_names.get(*i).cloned().unwrap_or_default(),
            TKind::Call(_, args) if args.len() == 1 => args
                .first()
                .map(|a| self.written_name(a))
                .unwrap_or_default(),
            _ => String::new(),
        }
    }

    /// The type of the whole formula, checked against `options.expected`.
    fn result_type(&self, e: &TExpr) -> Result<FType, FormulaError> {
        let expected = self.options.expected;
        let picklist_expected = matches!(expected, Some(FType::Picklist | FType::MultiPicklist));
        if !picklist_expected && let Some(err) = self.picklist_misuse(e) {
            return Err(err);
        }
        let Some(expected) = expected else {
            return Ok(e.ty);
        };
        let fits = e.ty == expected
            || e.ty == FType::Null
            || (picklist_expected && e.ty == FType::Text)
            || (expected == FType::Null);
        if !fits {
            return Err(FormulaError {
                message: format!(
                    "Formula result is data type ({}), incompatible with expected data type ({}).",
                    result_type_name(e.ty),
                    result_type_name(expected)
                ),
                line: 1,
                column: 1,
            });
        }
        Ok(match (e.ty, expected) {
            (FType::Null, FType::Picklist | FType::MultiPicklist) => FType::Text,
            (FType::Null, expected) => expected,
            (ty, _) => ty,
        })
    }
}

fn unknown_field(span: Span, written: &str) -> FormulaError {
    FormulaError::at(
        span,
        format!("Field {written} does not exist. Check spelling."),
    )
}

#[cfg(test)]
mod tests;
