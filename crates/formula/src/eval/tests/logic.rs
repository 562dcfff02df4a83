//! IF, CASE, AND, OR, NOT, the blank tests (§3.4, §3.7), picklists (§3.5), prior values and globals.

use super::*;

#[test]
fn if_and_case_evaluate_only_the_branch_taken() {
    // §3.7: IF is lazy and a null condition takes the else branch; CASE compares with `=`.
    let row = Row::new().set("N1", n(2.0)).set("P", s("Cold"));
    check(
        BLANK,
        &row,
        &[
            ("IF(TRUE, 1, 1/0)", n(1.0)),
            ("IF(FALSE, 1/0, 2)", n(2.0)),
            ("IF(N2 > 1, 1, 2)", n(2.0)),
            ("IF(N1 > 1, \"big\", \"small\")", s("big")),
            ("CASE(N1, 1, \"one\", 2, \"two\", \"other\")", s("two")),
            ("CASE(N2, 1, \"one\", 2, \"two\", \"other\")", s("other")),
            ("CASE(P, \"Hot\", 1, \"Cold\", 2, 0)", n(2.0)),
            ("CASE(P, \"Hot\", 1, 0)", n(0.0)),
            ("CASE(1, 1, 1, 1/0)", n(1.0)),
            ("CASE(T1, \"\", \"blank\", \"set\")", s("blank")),
        ],
    );
}

#[test]
fn and_or_not_three_valued() {
    // §3.4: AND is false at the first false or null argument, OR true at the first true one; both stop
    // there (FE gold testShortCircuitingWithNullTerms).
    let row = Row::new().set("T1", s("abc"));
    check(
        BLANK,
        &row,
        &[
            ("AND(TRUE, TRUE)", b(true)),
            ("AND(TRUE, FALSE)", b(false)),
            ("AND(N1 > 0, TRUE)", b(false)),
            ("AND(D1 > DATE(2000, 1, 1), VALUE(T1) > 0)", b(false)),
            ("OR(FALSE, N1 > 0)", b(false)),
            ("OR(N1 > 0, TRUE)", b(true)),
            ("OR(TRUE, VALUE(T1) > 0)", b(true)),
            ("NOT(TRUE)", b(false)),
            ("NOT(N1 = 1)", NULL),
        ],
    );
}

#[test]
fn blank_tests_per_mode() {
    // §3.4's table: number blanks differ by mode; text is never null; dates are never zero.
    let row = Row::new();
    check(
        ZERO,
        &row,
        &[
            ("ISBLANK(N1)", b(false)),
            ("ISNULL(N1)", b(false)),
            ("BLANKVALUE(N1, 10)", n(0.0)),
            ("NULLVALUE(N1, 10)", n(0.0)),
            ("TEXT(N1)", s("0")),
            ("MAX(N1, 24)", n(24.0)),
        ],
    );
    check(
        BLANK,
        &row,
        &[
            ("ISBLANK(N1)", b(true)),
            ("ISNULL(N1)", b(true)),
            ("BLANKVALUE(N1, 10)", n(10.0)),
            ("NULLVALUE(N1, 10)", n(10.0)),
            ("TEXT(N1)", NULL),
            ("MAX(N1, 24)", NULL),
        ],
    );
    for blanks in [ZERO, BLANK] {
        check(
            blanks,
            &Row::new().update().set("N2", n(0.0)).set("T2", s("x")),
            &[
                ("ISBLANK(T1)", b(true)),
                ("ISNULL(T1)", b(false)),
                ("NULLVALUE(T1, \"x\")", NULL),
                ("BLANKVALUE(T1, \"x\")", s("x")),
                ("BLANKVALUE(T2, \"y\")", s("x")),
                ("ISBLANK(T2)", b(false)),
                ("ISBLANK(D1)", b(true)),
                ("ISNULL(D1)", b(true)),
                ("ISBLANK(N2)", b(false)),
                ("BLANKVALUE(D1, DATE(2020, 1, 1))", d(2020, 1, 1)),
                ("ISBLANK(P)", b(true)),
                ("ISBLANK(M)", b(true)),
                ("BLANKVALUE(T2, TEXT(1/0))", s("x")),
            ],
        );
    }
}

#[test]
fn picklists() {
    // §3.5: ISPICKVAL compares the API value; ISPICKVAL(p, "") tests blank; INCLUDES on ';' values.
    let row = Row::new().set("P", s("Hot")).set("M", s("a;b;c"));
    check(
        ZERO,
        &row,
        &[
            ("ISPICKVAL(P, \"Hot\")", b(true)),
            ("ISPICKVAL(P, \"hot\")", b(false)),
            ("ISPICKVAL(P, \"\")", b(false)),
            ("TEXT(P)", s("Hot")),
            ("INCLUDES(M, \"b\")", b(true)),
            ("INCLUDES(M, \"c\")", b(true)),
            ("INCLUDES(M, \"d\")", b(false)),
        ],
    );
    check(
        ZERO,
        &Row::new(),
        &[
            ("ISPICKVAL(P, \"\")", b(true)),
            ("ISPICKVAL(P, \"Hot\")", b(false)),
            ("TEXT(P)", NULL),
            ("INCLUDES(M, \"b\")", b(false)),
        ],
    );
}

#[test]
fn new_changed_and_prior_values() {
    // §3.7 [DOC HELP]: ISCHANGED is false on insert; PRIORVALUE on insert is the current value.
    let insert = Row::new().set("N1", n(2.0)).set("P", s("Hot"));
    check(
        BLANK,
        &insert,
        &[
            ("ISNEW()", b(true)),
            ("ISCHANGED(N1)", b(false)),
            ("PRIORVALUE(N1)", n(2.0)),
            ("ISPICKVAL(PRIORVALUE(P), \"Hot\")", b(true)),
        ],
    );
    let update = Row::new()
        .set("N1", n(2.0))
        .set("N2", n(7.0))
        .set("P", s("Hot"))
        .set("T2", s(""))
        .was("N1", n(1.0))
        .was("N2", n(7.0))
        .was("P", s("Cold"));
    check(
        BLANK,
        &update,
        &[
            ("ISNEW()", b(false)),
            ("ISCHANGED(N1)", b(true)),
            ("ISCHANGED(N2)", b(false)),
            ("ISCHANGED(P)", b(true)),
            ("ISCHANGED(T1)", b(false)),
            ("ISCHANGED(T2)", b(false)),
            ("PRIORVALUE(N1)", n(1.0)),
            ("PRIORVALUE(T1)", NULL),
            ("ISPICKVAL(PRIORVALUE(P), \"Cold\")", b(true)),
            (
                "AND(ISCHANGED(P), ISPICKVAL(PRIORVALUE(P), \"Cold\"))",
                b(true),
            ),
        ],
    );
    // Blank to a value counts as a change.
    let filled = Row::new().update().set("D1", d(2020, 1, 1));
    check(
        BLANK,
        &filled,
        &[("ISCHANGED(D1)", b(true)), ("PRIORVALUE(D1)", NULL)],
    );
    // Under BlankAsZero a blank prior number reads 0 too.
    check(ZERO, &filled, &[("PRIORVALUE(N1)", n(0.0))]);
}

#[test]
fn parent_fields_and_globals() {
    // §3.8: a null parent makes the path null; globals come from the row source.
    let row = Row::new()
        .set("Account.Industry", s("Energy"))
        .global("User.Id", s("005000000000001AAA"));
    check(
        ZERO,
        &row,
        &[
            ("Account.Industry", s("Energy")),
            ("Account.Industry = \"Energy\"", b(true)),
            ("$User.Id", s("005000000000001AAA")),
            ("ISBLANK($User.Email)", b(true)),
        ],
    );
    check(ZERO, &Row::new(), &[("ISBLANK(Account.Industry)", b(true))]);
}
