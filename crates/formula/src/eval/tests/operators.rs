//! Operators (§3.3), blank propagation through them (§3.4), text comparison (§3.5), date/time arithmetic
//! (§3.6).

use super::*;

#[test]
fn arithmetic_and_precedence() {
    // §3.3: `^` sits below `*` and `/` in Salesforce's grammar, so `2*3^2` is `(2*3)^2`.
    check(
        ZERO,
        &Row::new().set("N1", n(5.0)),
        &[
            ("1 + 2", n(3.0)),
            ("7 / 2", n(3.5)),
            ("10 - 4 - 3", n(3.0)),
            ("2 * 3 ^ 2", n(36.0)),
            ("2 ^ 3 * 2", n(64.0)),
            ("2 ^ 10", n(1024.0)),
            ("2 ^ -1", n(0.5)),
            ("-N1", n(-5.0)),
            ("+N1", n(5.0)),
            ("-N1 * 2", n(-10.0)),
        ],
    );
    // §3.7: division by zero, a non-integer exponent and overflow are runtime errors.
    check_errors(
        ZERO,
        &Row::new(),
        &[
            ("1 / 0", "Division by zero"),
            ("1.1111 ^ 1.1111", "whole number"),
            ("10 ^ 400", "out of range"),
        ],
    );
}

#[test]
fn blanks_in_arithmetic() {
    // §3.4: BlankAsZero reads a blank number as 0; BlankAsBlank lets null propagate.
    let row = Row::new();
    check(
        ZERO,
        &row,
        &[
            ("N1 + 2", n(2.0)),
            ("-(N1)", n(0.0)),
            ("N1 ^ 2", n(0.0)),
            ("N1 = N2", b(true)),
            ("N1 = 10.24", b(false)),
        ],
    );
    check_errors(ZERO, &row, &[("(N1 / N2) * 3", "Division by zero")]);
    check(
        BLANK,
        &row,
        &[
            ("N1 + 2", NULL),
            ("-(N1)", NULL),
            ("N1 ^ 2", NULL),
            ("N1 = N2", NULL),
            ("N1 = 10.24", NULL),
            ("N1 <> 10.24", NULL),
            ("(N1 / N2) * 3", NULL),
            ("IF(N1 = N2, 1, 2)", n(2.0)),
        ],
    );
}

#[test]
fn text_operators_and_comparison() {
    // §3.3: `&` and `+` concatenate text; §3.4: blank text is "" and equals ""; §3.5: case-sensitive,
    // code-point order.
    for blanks in [ZERO, BLANK] {
        check(
            blanks,
            &Row::new().set("T2", s("x")),
            &[
                ("\"a\" & \"b\"", s("ab")),
                ("\"a\" + \"b\"", s("ab")),
                ("T1 & \"x\"", s("x")),
                ("T1 & T1", NULL),
                ("T2 & T1 & T2", s("xx")),
                ("T1 = T1", b(true)),
                ("T1 = \"\"", b(true)),
                ("T1 = NULL", b(true)),
                ("T1 <> T2", b(true)),
                ("\"abc\" = \"ABC\"", b(false)),
                ("\"FOO\" < \"foo\"", b(true)),
                ("\"b\" > \"abc\"", b(true)),
                ("\"a\" <= \"a\"", b(true)),
                ("T1 < \"a\"", b(true)),
            ],
        );
    }
}

#[test]
fn comparisons_and_logic_operators() {
    // §3.4: comparisons with a null non-text operand are null; && and || short-circuit, null is false.
    let row = Row::new()
        .set("T1", s("abc"))
        .set("N2", n(3.0))
        .set("B", b(true));
    check(
        BLANK,
        &row,
        &[
            ("1 < 2", b(true)),
            ("2 <= 2", b(true)),
            ("3 > 4", b(false)),
            ("3 >= 4", b(false)),
            ("1 == 1", b(true)),
            ("1 != 1", b(false)),
            ("0.1 + 0.2 = 0.3", b(true)),
            ("N1 < 3", NULL),
            ("D1 < D2", NULL),
            ("D1 = D1", NULL),
            ("B = TRUE", b(true)),
            ("NOT(N1 > 0)", NULL),
            ("!B", b(false)),
            ("N1 > 0 && VALUE(T1) > 0", b(false)),
            ("N2 > 0 || VALUE(T1) > 0", b(true)),
            ("N1 > 0 || N2 > 2", b(true)),
            ("N1 > 0 || N2 > 5", b(false)),
            ("TRUE && N1 > 0", b(false)),
            ("DATE(2020, 1, 2) > DATE(2020, 1, 1)", b(true)),
        ],
    );
    check_errors(
        BLANK,
        &row,
        &[("N2 > 0 && VALUE(T1) > 0", "not a valid number")],
    );
}

#[test]
fn date_and_time_arithmetic() {
    // §3.6, FE gold.
    let row = Row::new()
        .set("D1", d(2000, 2, 28))
        .set("Dt1", dt(2020, 1, 1, 2, 0, 0))
        .set("Dt2", dt(2020, 1, 2, 11, 0, 0))
        .set("Tm1", tm(0, 0, 29, 245))
        .set("Tm2", tm(0, 0, 29, 345));
    check(
        ZERO,
        &row,
        &[
            ("D1 + 3.6", d(2000, 3, 2)),
            ("3 + D1", d(2000, 3, 2)),
            ("D1 - 1", d(2000, 2, 27)),
            ("D1 - 0.5", d(2000, 2, 28)),
            ("DATE(2004, 2, 28) - DATE(2005, 2, 28)", n(-366.0)),
            ("D1 - DATE(2000, 1, 1)", n(58.0)),
            ("Dt2 - Dt1", n(1.375)),
            ("Dt1 + 0.5", dt(2020, 1, 1, 14, 0, 0)),
            ("Dt1 + 0.1", dt(2020, 1, 1, 4, 24, 0)),
            ("Dt1 - 1", dt(2019, 12, 31, 2, 0, 0)),
            ("Tm1 - Tm2", n(86_399_900.0)),
            ("Tm2 - Tm1", n(100.0)),
            ("Tm1 + 1000", tm(0, 0, 30, 245)),
            ("Tm1 + 3600000", tm(1, 0, 29, 245)),
            ("D2 + 1", NULL),
            ("Dt1 > Dt2", b(false)),
        ],
    );
    // §3.6: a time crossing midnight is a runtime error; a date out of range too.
    check_errors(
        ZERO,
        &row,
        &[
            ("Tm1 - 30000", "Time out of range"),
            ("Tm1 + 86400000", "Time out of range"),
            ("D1 + 100000000000", "Date out of range"),
        ],
    );
}
