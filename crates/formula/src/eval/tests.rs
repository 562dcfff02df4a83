//! The evaluator against the semantics of the org-metadata spec §3.3–3.7: formulas compiled from text
//! against a small object, evaluated on rows built per case. Each family has its own file and cites the
//! section its cases come from.

mod dates;
mod logic;
mod math;
mod operators;
mod robust;
mod text;
mod values;

use crate::typed::Hop;
use crate::{
    Blanks, CompileOptions, EvalError, FType, FValue, FieldRef, GlobalRef, ResolvedField, Resolver,
    RowSource, compile,
};
use chrono::{DateTime, NaiveDate, NaiveTime, TimeZone, Utc};
use std::collections::HashMap;

/// The test object's own fields.
const FIELDS: [(&str, FType); 13] = [
    ("N1", FType::Number),
    ("N2", FType::Number),
    ("T1", FType::Text),
    ("T2", FType::Text),
    ("P", FType::Picklist),
    ("M", FType::MultiPicklist),
    ("D1", FType::Date),
    ("D2", FType::Date),
    ("Dt1", FType::DateTime),
    ("Dt2", FType::DateTime),
    ("Tm1", FType::Time),
    ("Tm2", FType::Time),
    ("B", FType::Boolean),
];

/// An object `Obj` with the fields above, `Account.Industry` through the lookup `AccountId`, and the
/// globals `$User.Id` and `$User.Email`.
struct Obj;

impl Resolver for Obj {
    fn field(&self, path: &[String]) -> Option<ResolvedField> {
        match path {
            [name] => FIELDS
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(n, ty)| ResolvedField {
                    hops: vec![],
                    object: "Obj".into(),
                    field: (*n).into(),
                    ty: *ty,
                    is_formula: false,
                }),
            [rel, name]
                if rel.eq_ignore_ascii_case("Account") && name.eq_ignore_ascii_case("Industry") =>
            {
                Some(ResolvedField {
                    hops: vec![Hop {
                        reference_field: "AccountId".into(),
                        object: "Account".into(),
                    }],
                    object: "Account".into(),
                    field: "Industry".into(),
                    ty: FType::Text,
                    is_formula: false,
                })
            }
            _ => None,
        }
    }

    fn global(&self, variable: &str, field: &str) -> Option<(String, String, FType)> {
        if !variable.eq_ignore_ascii_case("User") {
            return None;
        }
        ["Id", "Email"]
            .into_iter()
            .find(|f| f.eq_ignore_ascii_case(field))
            .map(|f| ("User".to_string(), f.to_string(), FType::Text))
    }
}

/// A row: values by field (`Account.Industry` for the parent's), the stored values when it is an update,
/// globals by `Variable.Field`, and the time of the write.
pub(super) struct Row {
    values: HashMap<String, FValue>,
    prior: Option<HashMap<String, FValue>>,
    globals: HashMap<String, FValue>,
    now: DateTime<Utc>,
}

impl Row {
    /// An insert at 2024-03-15 23:59:30 UTC with every field blank.
    pub(super) fn new() -> Row {
        Row {
            values: HashMap::new(),
            prior: None,
            globals: HashMap::new(),
            now: Utc
                .with_ymd_and_hms(2024, 3, 15, 23, 59, 30)
                .single()
                .expect("valid"),
        }
    }

    pub(super) fn set(mut self, field: &str, v: FValue) -> Row {
        self.values.insert(field.into(), v);
        self
    }

    /// Makes the row an update whose stored `field` was `v` (other stored fields blank).
    pub(super) fn was(mut self, field: &str, v: FValue) -> Row {
        self.prior
            .get_or_insert_with(HashMap::new)
            .insert(field.into(), v);
        self
    }

    /// Makes the row an update with nothing stored besides what `was` adds.
    pub(super) fn update(mut self) -> Row {
        self.prior.get_or_insert_with(HashMap::new);
        self
    }

    pub(super) fn global(mut self, name: &str, v: FValue) -> Row {
        self.globals.insert(name.into(), v);
        self
    }
}

fn key(f: &FieldRef) -> String {
    f.hops
        .iter()
        .map(|h| h.object.as_str())
        .chain([f.field.as_str()])
        .collect::<Vec<_>>()
        .join(".")
}

impl RowSource for Row {
    fn field(&self, _index: usize, field: &FieldRef) -> FValue {
        self.values
            .get(&key(field))
            .cloned()
            .unwrap_or(FValue::Null)
    }
    fn prior(&self, _index: usize, field: &FieldRef) -> Option<FValue> {
        let prior = self.prior.as_ref()?;
        Some(prior.get(&key(field)).cloned().unwrap_or(FValue::Null))
    }
    fn global(&self, _index: usize, global: &GlobalRef) -> FValue {
        let name = format!("{}.{}", global.variable, global.field);
        self.globals.get(&name).cloned().unwrap_or(FValue::Null)
    }
    fn is_new(&self) -> bool {
        self.prior.is_none()
    }
    fn now(&self) -> DateTime<Utc> {
        self.now
    }
}

/// `source` compiled for `Obj` (prior values allowed, any result type) and evaluated on `row`.
pub(super) fn eval(source: &str, blanks: Blanks, row: &Row) -> Result<FValue, EvalError> {
    let options = CompileOptions {
        blanks,
        expected: None,
        allow_prior: true,
    };
    let formula =
        compile(source, &Obj, options).unwrap_or_else(|e| panic!("{source} does not compile: {e}"));
    formula.eval(row)
}

/// Whether two results are the same (numbers within a part in 10^12).
fn same(a: &FValue, b: &FValue) -> bool {
    match (a, b) {
        (FValue::Number(x), FValue::Number(y)) => (x - y).abs() <= 1e-12 * x.abs().max(1.0),
        _ => a == b,
    }
}

/// Evaluates every case on `row` under `blanks` and fails listing each one that differs.
pub(super) fn check(blanks: Blanks, row: &Row, cases: &[(&str, FValue)]) {
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|(source, expected)| match eval(source, blanks, row) {
            Ok(got) if same(&got, expected) => None,
            got => Some(format!("{source}: expected {expected:?}, got {got:?}")),
        })
        .collect();
    assert!(failures.is_empty(), "{blanks:?}:\n{}", failures.join("\n"));
}

/// Fails unless every formula is a runtime error on `row` (the message is checked where given).
pub(super) fn check_errors(blanks: Blanks, row: &Row, cases: &[(&str, &str)]) {
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|(source, message)| match eval(source, blanks, row) {
            Err(e) if e.0.contains(message) => None,
            got => Some(format!(
                "{source}: expected an error with {message:?}, got {got:?}"
            )),
        })
        .collect();
    assert!(failures.is_empty(), "{blanks:?}:\n{}", failures.join("\n"));
}

pub(super) fn n(x: f64) -> FValue {
    FValue::Number(x)
}

pub(super) fn s(t: &str) -> FValue {
    FValue::Text(t.into())
}

pub(super) fn b(v: bool) -> FValue {
    FValue::Boolean(v)
}

pub(super) fn d(y: i32, m: u32, day: u32) -> FValue {
    FValue::Date(NaiveDate::from_ymd_opt(y, m, day).expect("valid date"))
}

pub(super) fn dt(y: i32, m: u32, day: u32, h: u32, mi: u32, sec: u32) -> FValue {
    FValue::DateTime(
        Utc.with_ymd_and_hms(y, m, day, h, mi, sec)
            .single()
            .expect("valid"),
    )
}

pub(super) fn tm(h: u32, m: u32, sec: u32, ms: u32) -> FValue {
    FValue::Time(NaiveTime::from_hms_milli_opt(h, m, sec, ms).expect("valid time"))
}

pub(super) const NULL: FValue = FValue::Null;
pub(super) const ZERO: Blanks = Blanks::AsZero;
pub(super) const BLANK: Blanks = Blanks::AsBlank;
