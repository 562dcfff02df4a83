//! Formula fields (an sfdx `<formula>`: no column, computed when read) rendered as SQL expressions over
//! their row's table alias, so SELECT, WHERE, ORDER BY and GROUP BY read them like any column on both
//! engines.
//!
//! Each formula field is compiled once per statement render (`bulkforce_formula::compile` against core's
//! `SchemaResolver`) and its typed tree rendered here. Inside the expression every formula type has one SQL
//! form: Number a real number, Text (and picklists) text where blank is NULL or `''`, Boolean an SQL
//! truth value (three-valued, as Salesforce's comparisons with null are), dates, dateTimes and times ISO
//! text as stored. Only the outermost value is converted to what the field's describe type stores
//! ([`Renderer::formula_column`]): a checkbox 0/1, a number rounded to the field's scale (a percent ×100),
//! blank text NULL.
//!
//! Salesforce's semantics kept here: blank number fields read as 0 under `BlankAsZero` (a `COALESCE`),
//! text blank and `""` are one value, `AND`/`OR` treat null as false, a runtime error (division by zero,
//! an impossible date, a text that is no number) gives NULL, never a failed query: every such case is
//! guarded in SQL, and functions of literals that could fail are evaluated here instead, so no engine folds
//! a failing constant while planning. Cross-object references join the parent through the statement's own
//! LEFT JOINs; a formula field read by another formula is rendered inline, [`MAX_DEPTH`] levels deep.

mod functions;
mod literals;
#[cfg(test)]
mod tests;

use super::select::{Renderer, quote};
use bulkforce_core::org::rules::resolver::SchemaResolver;
use bulkforce_core::schema::{Field, FieldType, Schema, Storage};
use bulkforce_formula::ast::{BinaryOp, UnaryOp};
use bulkforce_formula::typed::{FieldRef, Formula, TExpr, TKind};
use bulkforce_formula::{Blanks, CompileOptions, FType};
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::sync::Arc;

/// How deep formula fields may read other formula fields (Salesforce refuses cycles when they are saved;
/// this bound keeps a schema that slipped one in from recursing).
const MAX_DEPTH: usize = 10;

/// What rendering formula fields needs beyond the query: the schema (to resolve the names a formula
/// reads) and the instant the query reads as `NOW()` (`TODAY()` is its UTC date).
#[derive(Clone, Copy)]
pub(crate) struct FormulaEnv<'a> {
    pub schema: &'a Schema,
    pub now: DateTime<Utc>,
}

/// The formulas of one render, each compiled once, and the first compile error (reported when the
/// render ends: the renderer's column functions give SQL text, not results).
#[derive(Default)]
pub(super) struct FormulaCache {
    compiled: HashMap<(String, String), Option<Arc<Formula>>>,
    pub(super) error: Option<String>,
}

/// Where a formula is being rendered: its row's alias and that alias's join path from the statement's root.
struct Scope<'f> {
    formula: &'f Formula,
    alias: String,
    names: Vec<String>,
    depth: usize,
}

impl Renderer<'_> {
    /// The SQL of formula field `field` of `object`, on the row aliased `alias` (joined under `names`), as
    /// the field's describe type stores its values.
    pub(super) fn formula_column(
        &mut self,
        alias: &str,
        names: &[String],
        object: &str,
        field: &Field,
    ) -> String {
        let Some(formula) = self.compiled_formula(object, field) else {
            return "NULL".into();
        };
        let scope = Scope {
            formula: &formula,
            alias: alias.to_owned(),
            names: names.to_vec(),
            depth: 0,
        };
        let inner = self.fx(&scope, &formula.expr);
        let value = self.stored_form(&inner, formula.return_type, field);
        if names.is_empty() {
            value
        } else {
            // Read through a lookup: no parent, no value (not the formula of a row of blanks).
            format!("(CASE WHEN {alias}.\"Id\" IS NULL THEN NULL ELSE {value} END)")
        }
    }

    /// `field`'s formula compiled for `object`, from the cache; `None` (and the error noted) when it does
    /// not compile or the render has no schema.
    fn compiled_formula(&mut self, object: &str, field: &Field) -> Option<Arc<Formula>> {
        let key = (object.to_owned(), field.name.clone());
        if let Some(found) = self.formulas.compiled.get(&key) {
            return found.clone();
        }
        let compiled = self.compile_formula(object, field);
        let compiled = match compiled {
            Ok(f) => Some(Arc::new(f)),
            Err(message) => {
                self.formulas.error.get_or_insert(message);
                None
            }
        };
        self.formulas.compiled.insert(key, compiled.clone());
        compiled
    }

    fn compile_formula(&self, object: &str, field: &Field) -> Result<Formula, String> {
        let spec = field
            .traits
            .formula
            .as_ref()
            .ok_or_else(|| format!("{object}.{} has no formula", field.name))?;
        let env = self.env.ok_or_else(|| {
            format!(
                "formula field {object}.{} read without a schema",
                field.name
            )
        })?;
        let sobject = env
            .schema
            .object(object)
            .ok_or_else(|| format!("no object {object} for formula field {}", field.name))?;
        let resolver = SchemaResolver::new(env.schema, sobject);
        let options = CompileOptions {
            blanks: if spec.blanks_as_zero {
                Blanks::AsZero
            } else {
                Blanks::AsBlank
            },
            expected: None,
            allow_prior: false,
        };
        bulkforce_formula::compile(&spec.source, &resolver, options)
            .map_err(|e| format!("formula field {object}.{}: {e}", field.name))
    }

    /// The inner SQL form of `e` (see the module doc).
    fn fx(&mut self, scope: &Scope<'_>, e: &TExpr) -> String {
        match &e.kind {
            TKind::Literal(value) => self.literal(value),
            TKind::Field(i) => match scope.formula.fields.get(*i) {
                Some(r) => self.field_ref(scope, r),
                None => "NULL".into(),
            },
            // Globals ($User, $Organization, …) are not known to a query: blank, as for a missing record.
            TKind::Global(_) => "NULL".into(),
            TKind::Unary(op, x) => {
                let v = self.fx(scope, x);
                match op {
                    UnaryOp::Negate => format!("(-({v}))"),
                    UnaryOp::Plus => v,
                    UnaryOp::Not => format!("(NOT ({v}))"),
                }
            }
            TKind::Binary(op, a, b) => self.binary(scope, *op, a, b),
            TKind::Call(func, args) => self.call(scope, *func, args),
        }
    }

    /// A field the formula reads, through its lookups (LEFT JOINs keyed by reference field and object).
    fn field_ref(&mut self, scope: &Scope<'_>, r: &FieldRef) -> String {
        let mut alias = scope.alias.clone();
        let mut names = scope.names.clone();
        for hop in &r.hops {
            names.push(format!("{}@{}", hop.reference_field, hop.object).to_ascii_lowercase());
            alias = self.join(&names, &hop.object, &alias, &hop.reference_field);
        }
        let Some(field) = self
            .env
            .and_then(|env| env.schema.object(&r.object))
            .and_then(|o| o.field(&r.field))
            .cloned()
        else {
            return "NULL".into();
        };
        let value = if field.traits.formula.is_some() {
            if scope.depth >= MAX_DEPTH {
                return "NULL".into();
            }
            let Some(inner) = self.compiled_formula(&r.object, &field) else {
                return "NULL".into();
            };
            let nested = Scope {
                formula: &inner,
                alias,
                names,
                depth: scope.depth + 1,
            };
            self.fx(&nested, &inner.expr)
        } else {
            self.column_value(&alias, &field)
        };
        if r.ty == FType::Number && scope.formula.blanks == Blanks::AsZero {
            format!("COALESCE({value}, 0.0)")
        } else {
            value
        }
    }

    /// A stored column in its inner form: numbers real (a percent as its fraction), checkboxes truth values.
    fn column_value(&self, alias: &str, field: &Field) -> String {
        let col = format!("{alias}.{}", quote(&field.name));
        match field.ftype {
            FieldType::Percent => format!("({} / 100.0)", self.dialect.real(&col)),
            FieldType::Boolean => format!("({col} <> 0)"),
            _ if field.ftype.storage() != Storage::Text => self.dialect.real(&col),
            _ => col,
        }
    }

    fn binary(&mut self, scope: &Scope<'_>, op: BinaryOp, a: &TExpr, b: &TExpr) -> String {
        let (x, y) = (self.fx(scope, a), self.fx(scope, b));
        let text = is_text(a.ty) || is_text(b.ty);
        let d = self.dialect;
        match op {
            BinaryOp::And => format!("(COALESCE({x}, FALSE) AND COALESCE({y}, FALSE))"),
            BinaryOp::Or => format!("(COALESCE({x}, FALSE) OR COALESCE({y}, FALSE))"),
            BinaryOp::Concat => concat(&x, &y),
            BinaryOp::Add if text => concat(&x, &y),
            BinaryOp::Add => match (a.ty, b.ty) {
                (FType::Date, _) => d.add_days(&x, &d.trunc(&y), false),
                (_, FType::Date) => d.add_days(&y, &d.trunc(&x), false),
                (FType::DateTime, _) => d.add_days(&x, &y, true),
                (_, FType::DateTime) => d.add_days(&y, &x, true),
                // Time arithmetic (milliseconds) is not rendered: blank, as an error reads.
                (FType::Time, _) | (_, FType::Time) => "NULL".into(),
                _ => format!("({x} + {y})"),
            },
            BinaryOp::Subtract => match (a.ty, b.ty) {
                (FType::Date, FType::Date) | (FType::DateTime, FType::DateTime) => {
                    d.days_between(&x, &y)
                }
                (FType::Date, _) => d.add_days(&x, &format!("(-{})", d.trunc(&y)), false),
                (FType::DateTime, _) => d.add_days(&x, &format!("(-({y}))"), true),
                (FType::Time, _) => "NULL".into(),
                _ => format!("({x} - {y})"),
            },
            BinaryOp::Multiply => format!("({x} * {y})"),
            BinaryOp::Divide => format!("({} / NULLIF({y}, 0))", d.real(&x)),
            BinaryOp::Power => d.power(&x, &y),
            BinaryOp::Equal => self.equal(&x, &y, text),
            BinaryOp::NotEqual => format!("(NOT {})", self.equal(&x, &y, text)),
            BinaryOp::Less => self.ordered(&x, "<", &y, a.ty, b.ty),
            BinaryOp::LessEqual => self.ordered(&x, "<=", &y, a.ty, b.ty),
            BinaryOp::Greater => self.ordered(&x, ">", &y, a.ty, b.ty),
            BinaryOp::GreaterEqual => self.ordered(&x, ">=", &y, a.ty, b.ty),
        }
    }

    /// `=`: text blank equals `""` (and another blank); other types compare as SQL does (null is null).
    fn equal(&self, x: &str, y: &str, text: bool) -> String {
        if text {
            format!("(COALESCE({x}, '') = COALESCE({y}, ''))")
        } else {
            format!("({x} = {y})")
        }
    }

    /// `<`, `<=`, `>`, `>=`: text and ISO dates by their bytes (code points), numbers as numbers.
    fn ordered(&self, x: &str, op: &str, y: &str, a: FType, b: FType) -> String {
        let bytes =
            |t: FType| matches!(t, FType::Text | FType::Date | FType::DateTime | FType::Time);
        if bytes(a) || bytes(b) {
            if is_text(a) || is_text(b) {
                let (x, y) = (format!("COALESCE({x}, '')"), format!("COALESCE({y}, '')"));
                format!(
                    "({} {op} {})",
                    self.dialect.exact(&x),
                    self.dialect.exact(&y)
                )
            } else {
                format!("({} {op} {})", self.dialect.exact(x), self.dialect.exact(y))
            }
        } else {
            format!("({x} {op} {y})")
        }
    }

    /// The outermost value as the field's describe type stores it (what reading a stored field gives).
    fn stored_form(&self, inner: &str, ty: FType, field: &Field) -> String {
        let d = self.dialect;
        match field.ftype {
            FieldType::Boolean => format!("(CASE WHEN {inner} THEN 1 ELSE 0 END)"),
            FieldType::Int | FieldType::Long => d.to_int(&d.round(&self.as_number(inner, ty), "0")),
            FieldType::Double | FieldType::Currency | FieldType::Percent => {
                let n = self.as_number(inner, ty);
                let n = if field.ftype == FieldType::Percent {
                    format!("({n} * 100.0)")
                } else {
                    n
                };
                d.real(&d.round(&n, &field.scale.to_string()))
            }
            FieldType::Date | FieldType::DateTime | FieldType::Time => inner.to_owned(),
            _ => format!("NULLIF({}, '')", self.to_text(inner, ty)),
        }
    }

    fn as_number(&self, inner: &str, ty: FType) -> String {
        match ty {
            FType::Boolean => format!("(CASE WHEN {inner} THEN 1.0 ELSE 0.0 END)"),
            _ => self.dialect.real(inner),
        }
    }

    /// `TEXT(x)` of a value of type `ty` (Salesforce's forms: numbers plain, dateTimes `YYYY-MM-DD
    /// HH:MM:SSZ`, times `HH:MM:SS.mmm`).
    pub(super) fn to_text(&self, inner: &str, ty: FType) -> String {
        match ty {
            FType::Number => self.dialect.number_text(inner),
            FType::Boolean => {
                format!("(CASE WHEN {inner} THEN 'true' WHEN NOT {inner} THEN 'false' END)")
            }
            FType::DateTime => {
                format!("(substr({inner}, 1, 10) || ' ' || substr({inner}, 12, 8) || 'Z')")
            }
            FType::Time => format!("substr({inner}, 1, 12)"),
            _ => inner.to_owned(),
        }
    }
}

/// Whether values of `ty` are text to the formula language (blank equals `""`).
fn is_text(ty: FType) -> bool {
    matches!(ty, FType::Text | FType::Picklist | FType::MultiPicklist)
}

/// `&`: blanks concatenate as `""`.
fn concat(x: &str, y: &str) -> String {
    format!("(COALESCE({x}, '') || COALESCE({y}, ''))")
}

/// A text literal, quotes doubled (both engines read backslashes literally); NUL, which PostgreSQL text
/// cannot hold, dropped.
pub(super) fn text_literal(s: &str) -> String {
    format!(
        "CAST('{}' AS TEXT)",
        s.replace('\0', "").replace('\'', "''")
    )
}
