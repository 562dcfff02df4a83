//! Formula text through `bulkforce_formula::parse` and `compile` against core's `SchemaResolver` over the
//! built-in schema (an Account, so lookups, picklists, globals and every type are reachable):
//! - never panics and never overflows the stack, whatever the nesting or length;
//! - every refusal has a message and a 1-based line and column inside the text (or just past its end);
//! - what compiles parses, and compiles the same again; its field and global indexes are in range.
//!
//! Input: the first byte picks the options (expected type, prior values allowed, blanks); the rest is the
//! formula (UTF-8).
#![no_main]

use bulkforce_core::org::rules::resolver::SchemaResolver;
use bulkforce_formula::typed::{TExpr, TKind};
use bulkforce_formula::{Blanks, CompileOptions, FType, Formula, FormulaError, compile, parse};
use bulkforce_fuzz::schema;
use libfuzzer_sys::fuzz_target;

const EXPECTED: [Option<FType>; 8] = [
    None,
    Some(FType::Boolean),
    Some(FType::Number),
    Some(FType::Text),
    Some(FType::Date),
    Some(FType::DateTime),
    Some(FType::Picklist),
    Some(FType::Time),
];

fn check_error(text: &str, e: &FormulaError) {
    assert!(
        !e.message.trim().is_empty(),
        "{text:?}: an error without a message"
    );
    let lines = text.split('\n').count();
    assert!(
        e.line >= 1 && (e.line as usize) <= lines,
        "{text:?}: line {} of {lines}",
        e.line
    );
    let width = text
        .split('\n')
        .nth(e.line as usize - 1)
        .map_or(0, |l| l.chars().count());
    assert!(
        e.column >= 1 && (e.column as usize) <= width + 1,
        "{text:?}: column {} on a line of {width}",
        e.column
    );
}

/// Every index in the tree names an entry of the formula's lists.
fn check_indexes(formula: &Formula, e: &TExpr) {
    match &e.kind {
        TKind::Field(i) => assert!(*i < formula.fields.len()),
        TKind::Global(i) => assert!(*i < formula.globals.len()),
        TKind::Unary(_, x) => check_indexes(formula, x),
        TKind::Binary(_, a, b) => {
            check_indexes(formula, a);
            check_indexes(formula, b);
        }
        TKind::Call(_, args) => args.iter().for_each(|a| check_indexes(formula, a)),
        TKind::Literal(_) => {}
    }
}

fuzz_target!(|input: &[u8]| {
    let Some((&selector, rest)) = input.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let options = CompileOptions {
        blanks: if selector & 0x10 == 0 {
            Blanks::AsZero
        } else {
            Blanks::AsBlank
        },
        expected: EXPECTED[usize::from(selector & 0x07)],
        allow_prior: selector & 0x08 != 0,
    };
    let account = schema().object("Account").expect("the built-in Account");
    let resolver = SchemaResolver::new(schema(), account);
    let parsed = parse(text);
    if let Err(e) = &parsed {
        check_error(text, e);
    }
    match compile(text, &resolver, options) {
        Err(e) => check_error(text, &e),
        Ok(formula) => {
            assert!(parsed.is_ok(), "{text:?} compiles but does not parse");
            check_indexes(&formula, &formula.expr);
            let again = compile(text, &resolver, options).expect("compiles twice");
            assert_eq!(again, formula, "{text:?} compiles differently twice");
        }
    }
});
