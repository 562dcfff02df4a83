//! Formula trees rendered in SQLite's dialect and run on a real (in-memory) SQLite database with the
//! store's registered functions, over an Opportunity row: each expected value is Salesforce's
//! (org-metadata §3.4, §3.6, §3.7).

use super::Scope;
use crate::QueryOptions;
use crate::soql_render::FormulaEnv;
use crate::soql_render::select::Renderer;
use crate::sqlite::query::Sqlite;
use bulkforce_core::schema::Schema;
use bulkforce_formula::ast::{BinaryOp, Span};
use bulkforce_formula::func::Func;
use bulkforce_formula::typed::{FieldRef, Formula, TExpr, TKind};
use bulkforce_formula::{Blanks, FType, FValue};
use chrono::{TimeZone, Utc};
use rusqlite::Connection;
use rusqlite::types::Value as Sql;

/// The fields the trees read: `fields[i]` of every formula.
const FIELDS: [(&str, FType); 6] = [
    ("Amount", FType::Number),
    ("Probability", FType::Number),
    ("Name", FType::Text),
    ("CloseDate", FType::Date),
    ("IsPrivate", FType::Boolean),
    ("StageName", FType::Picklist),
];

fn e(kind: TKind, ty: FType) -> TExpr {
    TExpr {
        kind,
        ty,
        span: Span::default(),
    }
}
fn n(v: f64) -> TExpr {
    e(TKind::Literal(FValue::Number(v)), FType::Number)
}
fn t(v: &str) -> TExpr {
    e(TKind::Literal(FValue::Text(v.into())), FType::Text)
}
fn f(name: &str) -> TExpr {
    let (i, (_, ty)) = FIELDS
        .iter()
        .enumerate()
        .find(|(_, (n, _))| *n == name)
        .expect("a test field");
    e(TKind::Field(i), *ty)
}
fn call(func: Func, args: Vec<TExpr>, ty: FType) -> TExpr {
    e(TKind::Call(func, args), ty)
}
fn bin(op: BinaryOp, a: TExpr, b: TExpr, ty: FType) -> TExpr {
    e(TKind::Binary(op, Box::new(a), Box::new(b)), ty)
}

fn formula(expr: TExpr, blanks: Blanks) -> Formula {
    Formula {
        return_type: expr.ty,
        expr,
        fields: FIELDS
            .iter()
            .map(|(name, ty)| FieldRef {
                hops: Vec::new(),
                object: "Opportunity".into(),
                field: (*name).into(),
                ty: *ty,
                is_formula: false,
            })
            .collect(),
        globals: Vec::new(),
        blanks,
        uses_prior: false,
        uses_now: false,
    }
}

/// One Opportunity row: `Amount` 1234.5 (or blank), `Probability` 30 (%), `Name` "Acme Deal", `CloseDate`
/// 2024-01-31, `IsPrivate` true, `StageName` "Prospecting".
fn db(amount: Option<f64>) -> Connection {
    let conn = Connection::open_in_memory().expect("sqlite");
    crate::sqlite::functions::register(&conn).expect("functions");
    conn.execute_batch(
        "CREATE TABLE \"Opportunity\" (\"Amount\" REAL, \"Probability\" REAL, \"Name\" TEXT, \
         \"CloseDate\" TEXT, \"IsPrivate\" INTEGER, \"StageName\" TEXT);",
    )
    .expect("table");
    conn.execute(
        "INSERT INTO \"Opportunity\" VALUES (?1, 30, 'Acme Deal', '2024-01-31', 1, 'Prospecting')",
        [amount],
    )
    .expect("row");
    conn
}

/// The inner SQL value of `expr` on the row.
fn value(expr: TExpr, blanks: Blanks, amount: Option<f64>) -> Sql {
    let schema = Schema::builtin();
    let options = QueryOptions::default();
    let env = FormulaEnv {
        schema: &schema,
        now: Utc.with_ymd_and_hms(2026, 3, 15, 18, 30, 0).unwrap(),
    };
    let mut renderer = Renderer::new(&options, &Sqlite, Some(env));
    let formula = formula(expr, blanks);
    let scope = Scope {
        formula: &formula,
        alias: "q0_0".into(),
        names: Vec::new(),
        depth: 0,
    };
    let sql = renderer.fx(&scope, &formula.expr);
    let conn = db(amount);
    conn.query_row(
        &format!("SELECT {sql} FROM \"Opportunity\" AS q0_0"),
        [],
        |r| r.get::<_, Sql>(0),
    )
    .unwrap_or_else(|err| panic!("{sql}: {err}"))
}

fn number(expr: TExpr) -> Sql {
    value(expr, Blanks::AsZero, Some(1234.5))
}

#[test]
fn arithmetic_reads_percent_as_a_fraction_and_divides_by_zero_to_null() {
    let product = bin(
        BinaryOp::Multiply,
        f("Amount"),
        f("Probability"),
        FType::Number,
    );
    assert_eq!(number(product), Sql::Real(1234.5 * (30.0 / 100.0)));
    let zero = bin(BinaryOp::Divide, f("Amount"), n(0.0), FType::Number);
    assert_eq!(number(zero), Sql::Null);
    let third = bin(BinaryOp::Divide, n(1.0), n(4.0), FType::Number);
    assert_eq!(number(third), Sql::Real(0.25));
}

#[test]
fn blank_numbers_read_as_zero_or_stay_blank_by_the_fields_setting() {
    let plus = || bin(BinaryOp::Add, f("Amount"), n(2.0), FType::Number);
    assert_eq!(value(plus(), Blanks::AsZero, None), Sql::Real(2.0));
    assert_eq!(value(plus(), Blanks::AsBlank, None), Sql::Null);
    let blank = || call(Func::IsBlank, vec![f("Amount")], FType::Boolean);
    assert_eq!(value(blank(), Blanks::AsZero, None), Sql::Integer(0));
    assert_eq!(value(blank(), Blanks::AsBlank, None), Sql::Integer(1));
    let fallback = || call(Func::BlankValue, vec![f("Amount"), n(10.0)], FType::Number);
    assert_eq!(value(fallback(), Blanks::AsZero, None), Sql::Real(0.0));
    assert_eq!(value(fallback(), Blanks::AsBlank, None), Sql::Real(10.0));
}

#[test]
fn text_functions_follow_salesforce() {
    let text = |expr| match number(expr) {
        Sql::Text(s) => s,
        other => panic!("not text: {other:?}"),
    };
    assert_eq!(
        text(call(Func::Left, vec![f("Name"), n(4.0)], FType::Text)),
        "Acme"
    );
    assert_eq!(
        text(call(Func::Right, vec![f("Name"), n(40.0)], FType::Text)),
        "Acme Deal"
    );
    assert_eq!(
        text(call(
            Func::Mid,
            vec![f("Name"), n(-3.0), n(2.0)],
            FType::Text
        )),
        "Ac"
    );
    assert_eq!(
        text(call(Func::Upper, vec![f("Name")], FType::Text)),
        "ACME DEAL"
    );
    assert_eq!(
        text(call(
            Func::Substitute,
            vec![f("Name"), t("Deal"), t("Win")],
            FType::Text
        )),
        "Acme Win"
    );
    assert_eq!(
        text(call(Func::Text, vec![f("Amount")], FType::Text)),
        "1234.5"
    );
    assert_eq!(text(call(Func::Text, vec![n(3.0)], FType::Text)), "3");
    assert_eq!(
        text(call(Func::Text, vec![f("StageName")], FType::Text)),
        "Prospecting"
    );
    let joined = bin(BinaryOp::Concat, f("Name"), t("!"), FType::Text);
    assert_eq!(text(joined), "Acme Deal!");
    assert_eq!(
        number(call(Func::Len, vec![f("Name")], FType::Number)),
        Sql::Real(9.0)
    );
    let found = call(Func::Find, vec![t("Deal"), f("Name")], FType::Number);
    assert_eq!(number(found), Sql::Real(6.0));
    // Case-sensitive, as Salesforce's text comparisons are.
    let contains = call(Func::Contains, vec![f("Name"), t("deal")], FType::Boolean);
    assert_eq!(number(contains), Sql::Integer(0));
    let begins = call(Func::Begins, vec![f("Name"), t("Acme")], FType::Boolean);
    assert_eq!(number(begins), Sql::Integer(1));
}

#[test]
fn if_case_and_pickval_choose_as_salesforce_does() {
    let big = bin(BinaryOp::Greater, f("Amount"), n(1000.0), FType::Boolean);
    let tier = call(Func::If, vec![big, t("big"), t("small")], FType::Text);
    assert_eq!(number(tier), Sql::Text("big".into()));
    let stage = call(
        Func::Case,
        vec![
            f("StageName"),
            t("Closed Won"),
            n(1.0),
            t("Prospecting"),
            n(2.0),
            n(0.0),
        ],
        FType::Number,
    );
    assert_eq!(number(stage), Sql::Real(2.0));
    let pick = call(
        Func::IsPickval,
        vec![f("StageName"), t("Prospecting")],
        FType::Boolean,
    );
    assert_eq!(number(pick), Sql::Integer(1));
    // A null condition is false; AND with a null argument is false.
    let null_amount = bin(BinaryOp::Greater, f("Amount"), n(1.0), FType::Boolean);
    let guarded = call(Func::And, vec![f("IsPrivate"), null_amount], FType::Boolean);
    assert_eq!(value(guarded, Blanks::AsBlank, None), Sql::Integer(0));
}

#[test]
fn dates_move_by_days_and_months_as_iso_text() {
    let date = |expr| number(expr);
    let plus = bin(BinaryOp::Add, f("CloseDate"), n(3.6), FType::Date);
    assert_eq!(date(plus), Sql::Text("2024-02-03".into()));
    let months = call(Func::AddMonths, vec![f("CloseDate"), n(1.0)], FType::Date);
    assert_eq!(date(months), Sql::Text("2024-02-29".into()));
    let built = call(Func::Date, vec![n(2012.0), n(2.0), n(29.0)], FType::Date);
    assert_eq!(date(built), Sql::Text("2012-02-29".into()));
    let impossible = call(Func::Date, vec![n(2011.0), n(2.0), n(29.0)], FType::Date);
    assert_eq!(date(impossible), Sql::Null);
    let today = call(Func::Today, vec![], FType::Date);
    let days = bin(BinaryOp::Subtract, today, f("CloseDate"), FType::Number);
    assert_eq!(date(days), Sql::Real(774.0));
    assert_eq!(
        date(call(Func::Month, vec![f("CloseDate")], FType::Number)),
        Sql::Real(1.0)
    );
    let parsed = call(Func::DateValue, vec![t("2024-2-5")], FType::Date);
    assert_eq!(date(parsed), Sql::Text("2024-02-05".into()));
}

#[test]
fn regex_matches_the_whole_text_and_value_guards_bad_numbers() {
    let re = |p: &str| call(Func::Regex, vec![f("Name"), t(p)], FType::Boolean);
    assert_eq!(number(re("Acme")), Sql::Integer(0));
    assert_eq!(number(re("Acme.*")), Sql::Integer(1));
    assert_eq!(number(re("(")), Sql::Null);
    assert_eq!(
        number(call(Func::Value, vec![t("1..1")], FType::Number)),
        Sql::Null
    );
    let name_value = call(Func::Value, vec![f("Name")], FType::Number);
    assert_eq!(number(name_value), Sql::Null);
    assert_eq!(
        number(call(Func::IsNumber, vec![t("-1.5")], FType::Boolean)),
        Sql::Integer(1)
    );
}

#[test]
fn rounding_floor_ceiling_and_mod_follow_salesforce() {
    let round = call(Func::Round, vec![n(-4.47), n(1.0)], FType::Number);
    assert_eq!(number(round), Sql::Real(-4.5));
    let left = call(Func::Round, vec![n(4.47), n(-1.0)], FType::Number);
    assert_eq!(number(left), Sql::Real(0.0));
    assert_eq!(
        number(call(Func::Floor, vec![n(-2.5)], FType::Number)),
        Sql::Real(-2.0)
    );
    assert_eq!(
        number(call(Func::Ceiling, vec![n(-0.4)], FType::Number)),
        Sql::Real(-1.0)
    );
    assert_eq!(
        number(call(Func::Mod, vec![n(-1.0), n(2.0)], FType::Number)),
        Sql::Real(-1.0)
    );
    let max = call(Func::Max, vec![f("Amount"), n(24.0)], FType::Number);
    assert_eq!(value(max, Blanks::AsBlank, None), Sql::Null);
}
