use super::*;
use crate::{BindContext, Mode, canonical::canonical};
use bulkforce_core::schema::Schema;
use chrono::{TimeZone, Utc};

fn compile(text: &str) -> Result<Query, SoqlError> {
    let ctx = BindContext {
        now: Utc.with_ymd_and_hms(2026, 11, 29, 10, 0, 0).unwrap(),
        fiscal_year_start_month: 1,
    };
    crate::compile(text, &Schema::builtin(), &ctx, Mode::Rest)
}

fn refused(text: &str) -> SoqlError {
    compile(text).expect_err("the statement is refused")
}

fn assert_too_complicated(text: &str) {
    let e = refused(text);
    assert_eq!(e.code, "QUERY_TOO_COMPLICATED");
    assert_eq!(
        e.message,
        "Query is either selecting too many fields or the filter conditions are too complicated."
    );
}

const WHERE: &str = "SELECT Name FROM Account WHERE ";

fn parentheses(depth: usize, inner: &str) -> String {
    format!("{WHERE}{}{inner}{}", "(".repeat(depth), ")".repeat(depth))
}

fn nots(depth: usize, inner: &str) -> String {
    format!(
        "{WHERE}{}{inner}{}",
        "NOT (".repeat(depth),
        ")".repeat(depth)
    )
}

fn chain(n: usize, joiner: &str) -> String {
    let parts: Vec<String> = (0..n).map(|i| format!("NumberOfEmployees = {i}")).collect();
    format!("{WHERE}{}", parts.join(joiner))
}

fn in_list(n: usize, value: &str) -> String {
    format!("{WHERE}CreatedDate IN ({})", vec![value; n].join(", "))
}

// --- statement length -------------------------------------------------------------------------------

#[test]
fn a_statement_of_100000_characters_is_accepted_and_one_more_is_malformed() {
    let base = "SELECT Name FROM Account";
    let exact = format!("{base}{}", " ".repeat(MAX_STATEMENT_CHARS - base.len()));
    assert!(compile(&exact).is_ok());
    let e = refused(&format!("{exact} "));
    assert_eq!(e.code, "MALFORMED_QUERY");
    assert_eq!(
        e.message,
        "SOQL statements can not be longer than 100000 characters"
    );
}

#[test]
fn the_length_is_counted_in_characters_not_bytes() {
    let base = "SELECT Name FROM Account WHERE Name = '";
    let filler = "é".repeat(3_999);
    let statement = format!("{base}{filler}'");
    let padded = format!(
        "{statement}{}",
        " ".repeat(MAX_STATEMENT_CHARS - statement.chars().count())
    );
    assert!(padded.len() > MAX_STATEMENT_CHARS);
    assert!(compile(&padded).is_ok());
}

#[test]
fn the_length_is_checked_before_anything_else() {
    let junk = "x".repeat(MAX_STATEMENT_CHARS + 1);
    let e = refused(&junk);
    assert_eq!(
        e.message,
        "SOQL statements can not be longer than 100000 characters"
    );
}

// --- nesting --------------------------------------------------------------------------------------------

#[test]
fn parentheses_nest_up_to_the_bound() {
    assert!(compile(&parentheses(MAX_NESTING, "Name = 'a'")).is_ok());
    let e = refused(&parentheses(MAX_NESTING + 1, "Name = 'a'"));
    assert_eq!(e.code, "MALFORMED_QUERY");
    let column = WHERE.len() + MAX_NESTING + 1;
    assert!(
        e.message.ends_with(&format!(
            "^\nERROR at Row:1:Column:{column}\nParentheses can not be nested more than 50 levels deep"
        )),
        "{}",
        e.message
    );
}

#[test]
fn not_chains_nest_up_to_the_bound() {
    let q = compile(&nots(MAX_NESTING, "Name = 'a'")).unwrap();
    assert_eq!(query_depth(&q), MAX_NESTING + 1);
    let e = refused(&nots(MAX_NESTING + 1, "Name = 'a'"));
    assert_eq!(e.code, "MALFORMED_QUERY");
    assert!(
        e.message
            .ends_with("Parentheses can not be nested more than 50 levels deep")
    );
}

#[test]
fn hostile_nesting_is_malformed() {
    for text in [
        parentheses(1_440, "Name = 'a'"),
        nots(1_000, "Name = 'a'"),
        parentheses(30_000, "Name = 'a'"),
    ] {
        assert_eq!(refused(&text).code, "MALFORMED_QUERY");
    }
}

#[test]
fn subqueries_count_as_nesting() {
    // A semi-join's parenthesis is one level: the subquery's own filter has one level fewer.
    let semi = |depth: usize| {
        format!(
            "SELECT Name FROM Account WHERE Id IN (SELECT AccountId FROM Contact WHERE {}Name = 'a'{})",
            "(".repeat(depth),
            ")".repeat(depth)
        )
    };
    assert!(compile(&semi(MAX_NESTING - 1)).is_ok());
    assert!(
        refused(&semi(MAX_NESTING))
            .message
            .ends_with(&too_deep_message())
    );
    // So is a parent-to-child subquery's (a parser matter: the binder has its own rules for those).
    let child = |depth: usize| {
        format!(
            "SELECT Name, (SELECT Id FROM Contacts WHERE {}Name = 'a'{}) FROM Account",
            "(".repeat(depth),
            ")".repeat(depth)
        )
    };
    assert!(crate::parser::parse(&child(MAX_NESTING - 1)).is_ok());
    let e = crate::parser::parse(&child(MAX_NESTING)).unwrap_err();
    assert!(e.message.ends_with(&too_deep_message()), "{}", e.message);
}

/// Parsing, binding, rendering and dropping the deepest accepted statements on a 256 KiB stack (an eighth
/// of a Tokio worker's 2 MiB) proves the recursion stays far from the limit, in debug builds too.
#[test]
fn deepest_nesting_fits_a_small_stack() {
    let alternating = {
        let mut text = String::from("Name = 'a'");
        for level in 0..MAX_NESTING {
            let joiner = if level % 2 == 0 { "AND" } else { "OR" };
            text = format!("Name = 'b' {joiner} ({text})");
        }
        format!("{WHERE}{text}")
    };
    let statements = [
        parentheses(MAX_NESTING, "Name = 'a'"),
        nots(MAX_NESTING, "Name = 'a'"),
        alternating,
        // Refusals stop at the bound, whatever the depth.
        parentheses(40_000, "Name = 'a'"),
        nots(15_000, "Name = 'a'"),
    ];
    std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(move || {
            for text in &statements {
                match compile(text) {
                    Ok(query) => {
                        assert!(!canonical(&query).is_empty());
                        assert!(query_depth(&query) <= MAX_FILTER_DEPTH);
                        let copy = query.clone();
                        assert_eq!(copy, query);
                    }
                    Err(e) => assert_eq!(e.code, "MALFORMED_QUERY"),
                }
            }
        })
        .unwrap()
        .join()
        .expect("no stack overflow on a 256 KiB stack");
}

// --- string literals ------------------------------------------------------------------------------------

#[test]
fn string_literals_hold_up_to_4000_characters() {
    let at = |n: usize| format!("{WHERE}Name = '{}'", "a".repeat(n));
    assert!(compile(&at(MAX_STRING_CHARS)).is_ok());
    let e = refused(&at(MAX_STRING_CHARS + 1));
    assert_eq!(e.code, "MALFORMED_QUERY");
    let column = WHERE.len() + "Name = ".len() + 1;
    assert!(
        e.message.ends_with(&format!(
            "^\nERROR at Row:1:Column:{column}\nString literals can not be longer than 4000 characters"
        )),
        "{}",
        e.message
    );
}

#[test]
fn string_literals_are_counted_after_escapes() {
    let escaped = format!("{WHERE}Name LIKE '{}'", "\\'".repeat(MAX_STRING_CHARS));
    assert!(compile(&escaped).is_ok());
    let over = format!(
        "{WHERE}Name IN ('x', '{}')",
        "\\n".repeat(MAX_STRING_CHARS + 1)
    );
    assert_eq!(refused(&over).code, "MALFORMED_QUERY");
}

// --- filter depth ---------------------------------------------------------------------------------------

#[test]
fn chains_are_as_deep_as_a_balanced_tree_of_their_terms() {
    for joiner in [" OR ", " AND "] {
        for (terms, levels) in [
            (1, 0),
            (2, 1),
            (3, 2),
            (4, 2),
            (5, 3),
            (1_000, 10),
            (3_000, 12),
        ] {
            let q = compile(&chain(terms, joiner)).unwrap();
            assert_eq!(
                query_depth(&q),
                1 + levels,
                "{terms} terms joined by{joiner}"
            );
        }
    }
}

#[test]
fn depth_adds_up_along_the_deepest_path() {
    let q = compile(&format!(
        "{WHERE}NOT (Name = 'a' OR (Name = 'b' AND Name = 'c' AND (NOT Name = 'd')))"
    ))
    .unwrap();
    // NOT, OR of 2, AND of 3, NOT, comparison.
    assert_eq!(query_depth(&q), 1 + 1 + 2 + 1 + 1);
    // Null and date-literal values of an IN list each become an OR in SQL.
    let q = compile(&format!(
        "{WHERE}CreatedDate IN (TODAY, null, 2024-01-01T00:00:00Z, LAST_WEEK)"
    ))
    .unwrap();
    assert_eq!(query_depth(&q), 1 + 3);
    // A semi-join is as deep as its subquery's filter, plus one; HAVING counts on its own.
    let q = compile(
        "SELECT Name FROM Account WHERE Id IN (SELECT AccountId FROM Contact WHERE Name = 'a' OR Name = 'b')",
    )
    .unwrap();
    assert_eq!(query_depth(&q), 1 + 2);
    let q = compile(
        "SELECT Name, COUNT(Id) FROM Account WHERE Name = 'a' GROUP BY Name HAVING COUNT(Id) > 1 OR COUNT(Id) < 5 OR COUNT(Id) = 3",
    )
    .unwrap();
    assert_eq!(query_depth(&q), 3);
}

#[test]
fn a_wide_having_or_semi_join_is_not_too_complicated() {
    let parts: Vec<String> = (0..=MAX_FILTER_DEPTH)
        .map(|i| format!("COUNT(Id) = {i}"))
        .collect();
    let q = compile(&format!(
        "SELECT Name, COUNT(Id) FROM Account GROUP BY Name HAVING {}",
        parts.join(" OR ")
    ))
    .unwrap();
    assert_eq!(query_depth(&q), 1 + 9);
    let parts: Vec<String> = (0..MAX_FILTER_DEPTH)
        .map(|i| format!("Name = '{i}'"))
        .collect();
    let q = compile(&format!(
        "SELECT Name FROM Account WHERE Id IN (SELECT AccountId FROM Contact WHERE {})",
        parts.join(" OR ")
    ))
    .unwrap();
    assert_eq!(query_depth(&q), 1 + 1 + 9);
}

#[test]
fn date_literals_in_an_in_list_count_towards_the_depth() {
    assert!(compile(&in_list(MAX_FILTER_DEPTH - 1, "TODAY")).is_ok());
    assert_too_complicated(&in_list(MAX_FILTER_DEPTH, "TODAY"));
}

// --- values ---------------------------------------------------------------------------------------------

#[test]
fn in_lists_hold_up_to_the_value_bound() {
    let numbers = |n: usize| format!("{WHERE}NumberOfEmployees IN ({})", vec!["7"; n].join(","));
    let q = compile(&numbers(MAX_FILTER_VALUES)).unwrap();
    assert_eq!(query_values(&q), MAX_FILTER_VALUES);
    assert_eq!(query_depth(&q), 1);
    assert_too_complicated(&numbers(MAX_FILTER_VALUES + 1));
    assert_too_complicated(&numbers(32_767));
}

#[test]
fn values_are_counted_across_the_statement() {
    let q = compile(&format!(
        "{WHERE}Name = 'a' AND Name != null AND Name LIKE 'b%' AND CreatedDate = TODAY \
         AND NumberOfEmployees IN (1, 2, null) AND Id IN (SELECT AccountId FROM Contact WHERE Name = 'c')"
    ))
    .unwrap();
    // 'a', no parameter for null, 'b%', TODAY's two bounds, 1 and 2, and the subquery's 'c'.
    assert_eq!(query_values(&q), 1 + 1 + 2 + 2 + 1);
    let half = MAX_FILTER_VALUES / 2;
    let two_lists = format!(
        "{WHERE}NumberOfEmployees IN ({}) OR NumberOfEmployees NOT IN ({})",
        vec!["1"; half].join(","),
        vec!["2"; half + 1].join(",")
    );
    assert_too_complicated(&two_lists);
}
