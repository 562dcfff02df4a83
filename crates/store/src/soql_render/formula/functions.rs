//! The formula language's functions as SQL, with Salesforce's semantics (org-metadata §3.4, §3.7): what
//! blank gives, where null counts as false, and every runtime error as NULL.

use super::super::select::Renderer;
use super::literals::{date_of, datetime_of, is_number, literal_text, number_of};
use super::{Scope, is_text, text_literal};
use bulkforce_formula::func::Func;
use bulkforce_formula::typed::{TExpr, TKind};
use bulkforce_formula::{FType, FValue};

/// `VALUE`'s and `ISNUMBER`'s accepted text, anchored.
const NUMBER_PATTERN: &str = "^-?[0-9]+([.][0-9]+)?$";
/// The text `DATEVALUE` reads: `YYYY-M-D`.
const DATE_PATTERN: &str = "^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}$";
/// The text `DATETIMEVALUE` reads (of a non-literal): `YYYY-MM-DD HH:MM:SS`.
const DATETIME_PATTERN: &str = "^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}$";

impl Renderer<'_> {
    pub(super) fn call(&mut self, scope: &Scope<'_>, func: Func, args: &[TExpr]) -> String {
        let sql: Vec<String> = args.iter().map(|a| self.fx(scope, a)).collect();
        let a = |i: usize| sql.get(i).cloned().unwrap_or_else(|| "NULL".into());
        let t = |i: usize| args.get(i).map_or(FType::Null, |e| e.ty);
        let lit = |i: usize| match args.get(i).map(|e| &e.kind) {
            Some(TKind::Literal(v)) => Some(v.clone()),
            _ => None,
        };
        let d = self.dialect;
        match func {
            Func::If => format!("(CASE WHEN {} THEN {} ELSE {} END)", a(0), a(1), a(2)),
            Func::Case => self.case(&sql, is_text(t(0))),
            Func::And | Func::Or => {
                let joiner = if func == Func::And { " AND " } else { " OR " };
                let parts: Vec<String> = sql
                    .iter()
                    .map(|s| format!("COALESCE({s}, FALSE)"))
                    .collect();
                if parts.is_empty() {
                    "FALSE".into()
                } else {
                    format!("({})", parts.join(joiner))
                }
            }
            Func::Not => format!("(NOT ({}))", a(0)),
            Func::IsBlank if is_text(t(0)) => format!("(COALESCE({}, '') = '')", a(0)),
            // Text is never null to ISNULL / NULLVALUE.
            Func::IsNull if is_text(t(0)) => "FALSE".into(),
            Func::IsBlank | Func::IsNull => format!("({} IS NULL)", a(0)),
            Func::BlankValue | Func::NullValue if !is_text(t(0)) => {
                format!("COALESCE({}, {})", a(0), a(1))
            }
            Func::BlankValue => format!(
                "(CASE WHEN COALESCE({x}, '') = '' THEN {} ELSE {x} END)",
                a(1),
                x = a(0)
            ),
            Func::IsPickval => format!("(COALESCE({}, '') = COALESCE({}, ''))", a(0), a(1)),
            Func::Text => self.to_text(&a(0), t(0)),
            Func::Value => match lit(0).as_ref().and_then(literal_text) {
                Some(text) => {
                    number_of(text).map_or("NULL".into(), |n| self.literal(&FValue::Number(n)))
                }
                None => format!(
                    "(CASE WHEN {} THEN {} END)",
                    d.regex(&a(0), &text_literal(NUMBER_PATTERN)),
                    d.real(&a(0))
                ),
            },
            Func::IsNumber => match lit(0).as_ref().and_then(literal_text) {
                Some(text) => if is_number(text) { "TRUE" } else { "FALSE" }.into(),
                None => format!(
                    "COALESCE({}, FALSE)",
                    d.regex(&a(0), &text_literal(NUMBER_PATTERN))
                ),
            },
            Func::Date => d.make_date(&a(0), &a(1), &a(2)),
            Func::DateValue => self.date_value(&a(0), t(0), lit(0).as_ref()),
            Func::DateTimeValue => self.datetime_value(&a(0), t(0), lit(0).as_ref()),
            Func::Today => self.now_literal(true),
            Func::Now => self.now_literal(false),
            Func::Year => d.real(&d.date_part(super::super::DatePart::Year, &a(0))),
            Func::Month => d.real(&d.date_part(super::super::DatePart::Month, &a(0))),
            Func::Day => d.real(&d.date_part(super::super::DatePart::DayOfMonth, &a(0))),
            Func::AddMonths => {
                let n = d.to_int(&a(1));
                if t(0) == FType::DateTime {
                    let x = a(0);
                    format!(
                        "({} || substr({x}, 11))",
                        d.add_months(&format!("substr({x}, 1, 10)"), &n)
                    )
                } else {
                    d.add_months(&a(0), &n)
                }
            }
            Func::Abs => format!("abs({})", a(0)),
            Func::Round => d.round(&a(0), &d.to_int(&a(1))),
            // FLOOR and CEILING go toward and away from zero (FLOOR(-2.5) = -2, CEILING(-0.4) = -1).
            Func::Floor => d.trunc(&a(0)),
            Func::Ceiling => format!(
                "(CASE WHEN {x} = {t} THEN {x} WHEN {x} > 0 THEN {t} + 1 ELSE {t} - 1 END)",
                x = a(0),
                t = d.trunc(&a(0))
            ),
            // The remainder takes the sign of the dividend; MOD(x, 0) has no value.
            Func::Mod => {
                let (x, y) = (a(0), a(1));
                format!(
                    "({x} - {y} * {})",
                    d.trunc(&format!("({x} / NULLIF({y}, 0))"))
                )
            }
            Func::Max | Func::Min => self.extreme(&sql, func == Func::Max),
            // Not allowed in formula fields (the compiler refuses them); the values they give on a stored
            // record that is not being saved.
            Func::IsNew | Func::IsChanged => "FALSE".into(),
            // NULLVALUE of text: text is never null.
            Func::NullValue | Func::PriorValue => a(0),
            _ => self.text_function(func, &sql, args),
        }
    }

    /// The text functions (`LEN` … `INCLUDES`); `NULL` for any other.
    fn text_function(&self, func: Func, sql: &[String], args: &[TExpr]) -> String {
        let a = |i: usize| sql.get(i).cloned().unwrap_or_else(|| "NULL".into());
        let lit = |i: usize| match args.get(i).map(|e| &e.kind) {
            Some(TKind::Literal(v)) => Some(v.clone()),
            _ => None,
        };
        let d = self.dialect;
        match func {
            Func::Len => d.real(&format!("COALESCE(length({}), 0)", a(0))),
            Func::Left => format!(
                "(CASE WHEN {n} <= 0 THEN NULL ELSE substr({}, 1, {}) END)",
                a(0),
                d.to_int(&a(1)),
                n = a(1)
            ),
            Func::Right => format!(
                "(CASE WHEN {n} <= 0 THEN NULL WHEN {i} >= length({x}) THEN {x} \
                 ELSE substr({x}, length({x}) - {i} + 1) END)",
                x = a(0),
                n = a(1),
                i = d.to_int(&a(1))
            ),
            Func::Mid => format!(
                "(CASE WHEN {n} < 0 THEN NULL ELSE substr({x}, CASE WHEN {s} < 1 THEN 1 ELSE {si} END, {ni}) END)",
                x = a(0),
                s = a(1),
                si = d.to_int(&a(1)),
                n = a(2),
                ni = d.to_int(&a(2))
            ),
            Func::Upper => format!("upper({})", a(0)),
            Func::Lower => format!("lower({})", a(0)),
            Func::Trim => format!("trim({})", a(0)),
            Func::Contains | Func::Begins => {
                let (x, s) = (a(0), a(1));
                let test = if func == Func::Contains {
                    format!("({} > 0)", d.position(&x, &s))
                } else {
                    format!("(substr({x}, 1, length({s})) = {s})")
                };
                format!(
                    "(CASE WHEN COALESCE({s}, '') = '' THEN TRUE WHEN COALESCE({x}, '') = '' THEN NULL ELSE {test} END)"
                )
            }
            Func::Find => self.find(&a(0), &a(1), sql.get(2).map(String::as_str)),
            Func::Substitute => format!(
                "(CASE WHEN COALESCE({old}, '') = '' THEN NULL ELSE replace({}, {old}, COALESCE({}, '')) END)",
                a(0),
                a(2),
                old = a(1)
            ),
            Func::Regex => self.regex(&a(0), &a(1), lit(1).as_ref().and_then(literal_text)),
            Func::Includes => format!(
                "COALESCE({} > 0, FALSE)",
                d.position(
                    &format!("(';' || {} || ';')", a(0)),
                    &format!("(';' || {} || ';')", a(1))
                )
            ),
            _ => "NULL".into(),
        }
    }

    /// `MAX`/`MIN`: any null argument gives null.
    fn extreme(&self, sql: &[String], max: bool) -> String {
        let nulls: Vec<String> = sql.iter().map(|s| format!("{s} IS NULL")).collect();
        format!(
            "(CASE WHEN {} THEN NULL ELSE {} END)",
            nulls.join(" OR "),
            self.dialect.greatest(sql, max)
        )
    }

    /// `CASE(e, v1, r1, …, else)`: the first value equal to `e` (text blank equal to `""`) picks its result.
    fn case(&self, sql: &[String], text: bool) -> String {
        let Some((e, rest)) = sql.split_first() else {
            return "NULL".into();
        };
        let Some((otherwise, pairs)) = rest.split_last() else {
            return "NULL".into();
        };
        let mut out = String::from("(CASE");
        for pair in pairs.chunks(2) {
            if let [v, r] = pair {
                out.push_str(&format!(" WHEN {} THEN {r}", self.equal(e, v, text)));
            }
        }
        out.push_str(&format!(" ELSE {otherwise} END)"));
        out
    }

    /// `FIND(s, t [, start])`: 1-based, 0 when not found or `t` is blank.
    fn find(&self, s: &str, t: &str, start: Option<&str>) -> String {
        let d = self.dialect;
        match start {
            None => d.real(&format!("COALESCE({}, 0)", d.position(t, s))),
            Some(start) => {
                let from = format!(
                    "(CASE WHEN {start} < 1 THEN 1 ELSE {} END)",
                    d.to_int(start)
                );
                let found = d.position(&format!("substr({t}, {from})"), s);
                d.real(&format!(
                    "(CASE WHEN COALESCE({found}, 0) > 0 THEN {found} + {from} - 1 ELSE 0 END)"
                ))
            }
        }
    }

    /// `REGEX(t, re)`: the whole text must match; a blank pattern never does; an invalid literal pattern has
    /// no value.
    fn regex(&self, text: &str, pattern: &str, literal: Option<&str>) -> String {
        let text = format!("COALESCE({text}, '')");
        match literal {
            Some("") => "FALSE".into(),
            Some(p) if regex::Regex::new(p).is_err() => "NULL".into(),
            Some(p) => self
                .dialect
                .regex(&text, &text_literal(&format!("^(?:{p})$"))),
            None => format!(
                "(CASE WHEN COALESCE({pattern}, '') = '' THEN FALSE ELSE {} END)",
                self.dialect
                    .regex(&text, &format!("('^(?:' || {pattern} || ')$')"))
            ),
        }
    }

    fn date_value(&self, x: &str, ty: FType, literal: Option<&FValue>) -> String {
        match (ty, literal) {
            (FType::Date, _) => x.to_owned(),
            (FType::DateTime, _) => format!("substr({x}, 1, 10)"),
            (_, Some(FValue::Text(text))) => {
                date_of(text).map_or("NULL".into(), |d| self.literal(&FValue::Date(d)))
            }
            _ => {
                let d = self.dialect;
                // YYYY-M-D split at its dashes: the year is four digits, the rest after the second dash.
                let rest = format!("substr({x}, 6)");
                let dash = d.position(&rest, "'-'");
                let month = format!("substr({rest}, 1, {dash} - 1)");
                let day = format!("substr({rest}, {dash} + 1)");
                format!(
                    "(CASE WHEN {} THEN {} END)",
                    d.regex(x, &text_literal(DATE_PATTERN)),
                    d.make_date(
                        &d.real(&format!("substr({x}, 1, 4)")),
                        &d.real(&month),
                        &d.real(&day)
                    )
                )
            }
        }
    }

    fn datetime_value(&self, x: &str, ty: FType, literal: Option<&FValue>) -> String {
        match (ty, literal) {
            (FType::Date, _) => format!("({x} || 'T00:00:00.000Z')"),
            (FType::DateTime, _) => x.to_owned(),
            (_, Some(FValue::Text(text))) => {
                datetime_of(text).map_or("NULL".into(), |t| self.literal(&FValue::DateTime(t)))
            }
            _ => format!(
                "(CASE WHEN {} THEN substr({x}, 1, 10) || 'T' || substr({x}, 12, 8) || '.000Z' END)",
                self.dialect.regex(x, &text_literal(DATETIME_PATTERN))
            ),
        }
    }

    /// `TODAY()` (the UTC date of the query's now) or `NOW()`.
    fn now_literal(&self, date_only: bool) -> String {
        let Some(env) = self.env else {
            return "NULL".into();
        };
        if date_only {
            self.literal(&FValue::Date(env.now.date_naive()))
        } else {
            self.literal(&FValue::DateTime(env.now))
        }
    }
}
