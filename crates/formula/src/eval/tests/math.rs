//! ABS, ROUND, FLOOR, CEILING, MOD, MAX, MIN (§3.7), blanks per §3.4.

use super::*;

#[test]
fn rounding() {
    // §3.7: ROUND half away from zero on the decimal, negative digits round left of the point; FLOOR
    // toward zero, CEILING away from zero.
    check(
        ZERO,
        &Row::new(),
        &[
            ("ABS(-2.5)", n(2.5)),
            ("ABS(3)", n(3.0)),
            ("ROUND(20.12345, 4)", n(20.1235)),
            ("ROUND(-4.47, 1)", n(-4.5)),
            ("ROUND(4.47, -1)", n(0.0)),
            ("ROUND(5, -1)", n(10.0)),
            ("ROUND(1234.5678, -2)", n(1200.0)),
            ("ROUND(2.5, 0)", n(3.0)),
            ("ROUND(-2.5, 0)", n(-3.0)),
            ("ROUND(1.005, 2)", n(1.01)),
            ("ROUND(0.0004, 3)", n(0.0)),
            ("ROUND(0.0005, 3)", n(0.001)),
            ("ROUND(123.456, 10)", n(123.456)),
            ("FLOOR(-2.5)", n(-2.0)),
            ("FLOOR(-0.4)", n(0.0)),
            ("FLOOR(2.7)", n(2.0)),
            ("CEILING(-0.4)", n(-1.0)),
            ("CEILING(-1.4)", n(-2.0)),
            ("CEILING(1.2)", n(2.0)),
            ("CEILING(3)", n(3.0)),
        ],
    );
}

#[test]
fn modulo_and_extremes() {
    // §3.7: MOD takes the sign of the dividend; MOD by 0 is an error; MAX/MIN are n-ary.
    check(
        ZERO,
        &Row::new().set("N2", n(4.0)),
        &[
            ("MOD(-1, 2)", n(-1.0)),
            ("MOD(46, -456)", n(46.0)),
            ("MOD(7, 3)", n(1.0)),
            ("MOD(5.5, 2)", n(1.5)),
            ("MAX(1, 5, 3)", n(5.0)),
            ("MIN(4, -2, 8)", n(-2.0)),
            ("MAX(N2, 2)", n(4.0)),
            ("MIN(N2)", n(4.0)),
        ],
    );
    check_errors(ZERO, &Row::new(), &[("MOD(1, 0)", "Division by zero")]);
}

#[test]
fn blanks_in_math() {
    // §3.4's table: with n blank, 0-based results under BlankAsZero, null under BlankAsBlank.
    let row = Row::new();
    check(
        ZERO,
        &row,
        &[
            ("MOD(N1, 16)", n(0.0)),
            ("CEILING(N1)", n(0.0)),
            ("ROUND(N1, 2)", n(0.0)),
            ("ABS(N1)", n(0.0)),
            ("MIN(N1, 5)", n(0.0)),
        ],
    );
    check(
        BLANK,
        &row,
        &[
            ("MOD(N1, 16)", NULL),
            ("CEILING(N1)", NULL),
            ("FLOOR(N1)", NULL),
            ("ROUND(N1, 2)", NULL),
            ("ROUND(2.5, N1)", NULL),
            ("ABS(N1)", NULL),
            ("MAX(N1, 24)", NULL),
            ("MIN(1, N1, 5)", NULL),
        ],
    );
}
