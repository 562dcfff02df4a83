//! Default value formulas (`<defaultValue>`, describe `defaultValueFormula`): compiled once per plan and
//! evaluated on insert for the fields a row leaves out (spec §5.3), before required fields and validation
//! rules are checked (spec §4.2).
//!
//! A default that reads nothing of the row, no global and not the clock (`"Open"`, `42`, `TRUE`) is a
//! constant: evaluated once here. The others (`TODAY()`, `$User.Id`) are evaluated per inserted row by the
//! writer, which knows the time of the write and the running user. Default formulas cannot read the record
//! being created (Salesforce refuses field references there), so a writer never fetches anything for them
//! but globals.

use super::convert::to_stored;
use crate::schema::SObject;
use crate::value::Value;
use bulkforce_formula::{
    Blanks, CompileOptions, FValue, FieldRef, Formula, FormulaError, GlobalRef, Resolver,
    RowSource, compile,
};
use chrono::{DateTime, Utc};

/// How default values are compiled: blanks as blanks, no prior values, any result type (converted to the
/// field's type when stored).
pub const DEFAULT_OPTIONS: CompileOptions = CompileOptions {
    blanks: Blanks::AsBlank,
    expected: None,
    allow_prior: false,
};

/// A default evaluated per row.
#[derive(Debug, Clone)]
pub struct DynamicDefault {
    /// The field's index in its object.
    pub field: usize,
    pub formula: Formula,
}

/// An object's default value formulas, compiled.
#[derive(Debug, Clone, Default)]
pub struct DefaultValues {
    /// Constant defaults, already evaluated and converted to the field's stored form.
    pub constants: Vec<(usize, Value)>,
    /// Defaults that depend on the write (the clock, the running user, the org).
    pub dynamic: Vec<DynamicDefault>,
    /// Defaults that did not compile (the project loader reports them; a writer leaves those fields out).
    pub broken: Vec<(String, FormulaError)>,
}

impl DefaultValues {
    /// Compiles the default value formula of every createable field of `object` that has one.
    pub fn compile(object: &SObject, resolver: &dyn Resolver) -> DefaultValues {
        let mut defaults = DefaultValues::default();
        for (index, field) in object.fields().iter().enumerate() {
            let Some(source) = field.traits.default_formula.as_deref() else {
                continue;
            };
            if !field.createable || source.trim().is_empty() {
                continue;
            }
            let formula = match compile(source, resolver, DEFAULT_OPTIONS) {
                Ok(formula) => formula,
                Err(error) => {
                    defaults.broken.push((field.name.clone(), error));
                    continue;
                }
            };
            if formula.fields.is_empty() && formula.globals.is_empty() && !formula.uses_now {
                // Evaluated once; a constant that cannot be evaluated or stored is left out.
                let value = formula.eval(&Constant).ok();
                if let Some(stored) = value.and_then(|v| to_stored(&v, field)) {
                    defaults.constants.push((index, stored));
                }
            } else {
                defaults.dynamic.push(DynamicDefault {
                    field: index,
                    formula,
                });
            }
        }
        defaults
    }

    pub fn is_empty(&self) -> bool {
        self.constants.is_empty() && self.dynamic.is_empty()
    }

    /// Every field that gets a default.
    pub fn fields(&self) -> impl Iterator<Item = usize> + '_ {
        self.constants
            .iter()
            .map(|(f, _)| *f)
            .chain(self.dynamic.iter().map(|d| d.field))
    }

    /// Evaluates `default` against `row` (globals and the clock only), as `object`'s field stores it;
    /// `None` when it cannot be evaluated or stored (the field is then left out, as if it had no default).
    pub fn evaluate(
        default: &DynamicDefault,
        object: &SObject,
        row: &dyn RowSource,
    ) -> Option<Value> {
        let field = object.fields().get(default.field)?;
        let value = default.formula.eval(row).ok()?;
        to_stored(&value, field)
    }
}

/// The row of a constant default: it reads nothing.
struct Constant;

impl RowSource for Constant {
    fn field(&self, _: usize, _: &FieldRef) -> FValue {
        FValue::Null
    }
    fn prior(&self, _: usize, _: &FieldRef) -> Option<FValue> {
        None
    }
    fn global(&self, _: usize, _: &GlobalRef) -> FValue {
        FValue::Null
    }
    fn is_new(&self) -> bool {
        true
    }
    fn now(&self) -> DateTime<Utc> {
        DateTime::<Utc>::UNIX_EPOCH
    }
}
