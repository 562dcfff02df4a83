//! Text functions (§3.5, §3.7).

use super::*;

#[test]
fn text_renders_values() {
    // §3.7 TEXT: plain decimals without trailing zeros or exponent; dates, date/times in GMT, times.
    let row = Row::new()
        .set("D1", d(2000, 2, 28))
        .set("Dt1", dt(2020, 1, 1, 2, 3, 4))
        .set("Tm1", tm(0, 0, 29, 245))
        .set("N2", n(0.3));
    check(
        ZERO,
        &row,
        &[
            ("TEXT(1.50)", s("1.5")),
            ("TEXT(1234567890.0)", s("1234567890")),
            ("TEXT(-0.5)", s("-0.5")),
            ("TEXT(0.1 + 0.2)", s("0.3")),
            ("TEXT(1 / 3)", s("0.333333333333333")),
            ("TEXT(0.000012)", s("0.000012")),
            ("TEXT(100000000000000000000)", s("100000000000000000000")),
            ("TEXT(0 - 0)", s("0")),
            ("TEXT(N2)", s("0.3")),
            ("TEXT(D1)", s("2000-02-28")),
            ("TEXT(Dt1)", s("2020-01-01 02:03:04Z")),
            ("TEXT(Tm1)", s("00:00:29.245")),
            ("TEXT(\"as is\")", s("as is")),
            ("TEXT(D2)", NULL),
        ],
    );
}

#[test]
fn value_and_isnumber() {
    // §3.7: optional '-', digits, optional '.' fraction; anything else is a runtime error.
    let row = Row::new().set("T2", s("12"));
    check(
        ZERO,
        &row,
        &[
            ("VALUE(\"-1.234\")", n(-1.234)),
            ("VALUE(\"42\")", n(42.0)),
            ("VALUE(T2) + 1", n(13.0)),
            ("VALUE(T1)", NULL),
            ("ISNUMBER(\"-1.234\")", b(true)),
            ("ISNUMBER(\"7\")", b(true)),
            ("ISNUMBER(\"-\")", b(false)),
            ("ISNUMBER(\"..1\")", b(false)),
            ("ISNUMBER(\"1.\")", b(false)),
            ("ISNUMBER(\"12a\")", b(false)),
            ("ISNUMBER(T1)", b(false)),
        ],
    );
    check_errors(
        ZERO,
        &row,
        &[
            ("VALUE(\"--1\")", "The value '--1' is not a valid number."),
            ("VALUE(\"1-2\")", "The value '1-2' is not a valid number."),
            ("VALUE(\".\")", "is not a valid number"),
            ("VALUE(\"1..1\")", "is not a valid number"),
            ("VALUE(\"abc\")", "is not a valid number"),
        ],
    );
}

#[test]
fn lengths_and_slices() {
    // §3.7: characters, not bytes; LEFT/RIGHT n <= 0 blank; MID 1-based, start < 1 reads as 1.
    let row = Row::new().set("T2", s("héllo wörld"));
    check(
        ZERO,
        &row,
        &[
            ("LEN(\"große\")", n(5.0)),
            ("LEN(T1)", n(0.0)),
            ("LEN(T2)", n(11.0)),
            ("LEFT(\"abcdef\", 3)", s("abc")),
            ("LEFT(\"abc\", 0)", NULL),
            ("LEFT(\"abc\", -2)", NULL),
            ("LEFT(\"abc\", 10)", s("abc")),
            ("LEFT(T2, 2)", s("hé")),
            ("LEFT(T1, 2)", NULL),
            ("RIGHT(\"abcdef\", 2)", s("ef")),
            ("RIGHT(\"abc\", -1)", NULL),
            ("RIGHT(\"abc\", 9)", s("abc")),
            ("RIGHT(T2, 5)", s("wörld")),
            ("MID(\"abcdef\", 2, 3)", s("bcd")),
            ("MID(\"abcdef\", 0, 2)", s("ab")),
            ("MID(\"abcdef\", 5, 10)", s("ef")),
            ("MID(\"abc\", 5, 2)", NULL),
            ("MID(\"abc\", 2, -1)", NULL),
            ("MID(T2, 2, 4)", s("éllo")),
        ],
    );
}

#[test]
fn case_trim_and_search() {
    // §3.5: CONTAINS, BEGINS, FIND, SUBSTITUTE are case-sensitive; §3.7 blank rules.
    let row = Row::new().set("T2", s("  a b  "));
    check(
        ZERO,
        &row,
        &[
            ("UPPER(\"große\")", s("GROSSE")),
            ("LOWER(\"ÀB\")", s("àb")),
            ("UPPER(T1)", NULL),
            ("TRIM(T2)", s("a b")),
            ("TRIM(\"   \")", NULL),
            ("TRIM(T1)", NULL),
            ("CONTAINS(\"Hello\", \"ell\")", b(true)),
            ("CONTAINS(\"Hello\", \"ELL\")", b(false)),
            ("CONTAINS(\"Hello\", \"\")", b(true)),
            ("CONTAINS(T1, \"a\")", NULL),
            ("IF(CONTAINS(T1, \"a\"), 1, 2)", n(2.0)),
            ("BEGINS(\"Hello\", \"He\")", b(true)),
            ("BEGINS(\"Hello\", \"he\")", b(false)),
            ("BEGINS(T1, \"\")", b(true)),
            ("FIND(\"c\", \"abcabc\")", n(3.0)),
            ("FIND(\"c\", \"abcabc\", 4)", n(6.0)),
            ("FIND(\"c\", \"abcabc\", 0)", n(3.0)),
            ("FIND(\"c\", \"abc\", 10)", n(0.0)),
            ("FIND(\"z\", \"abc\")", n(0.0)),
            ("FIND(\"C\", \"abc\")", n(0.0)),
            ("FIND(\"a\", T1)", n(0.0)),
            ("FIND(\"ö\", \"wörld\")", n(2.0)),
            ("FIND(\"l\", \"wörld\", 3)", n(4.0)),
            ("SUBSTITUTE(\"a-b-c\", \"-\", \"+\")", s("a+b+c")),
            ("SUBSTITUTE(\"a-b\", \"-\", \"\")", s("ab")),
            ("SUBSTITUTE(\"aaa\", \"a\", \"aa\")", s("aaaaaa")),
            ("SUBSTITUTE(\"abc\", \"x\", \"y\")", s("abc")),
            ("SUBSTITUTE(T1, \"a\", \"b\")", NULL),
        ],
    );
}

#[test]
fn regex_matches_the_whole_text() {
    // §3.7: the pattern must match the whole text; a blank pattern matches only blank text; an invalid
    // pattern is a runtime error.
    let row = Row::new().set("T2", s("AB-1234"));
    check(
        ZERO,
        &row,
        &[
            ("REGEX(\"Text\", \"Te\")", b(false)),
            ("REGEX(\"Text\", \"Te.*\")", b(true)),
            (r#"REGEX("12-34", "\\d{2}-\\d{2}")"#, b(true)),
            (r#"REGEX(T2, "[A-Z]{2}-\\d{4}")"#, b(true)),
            (r#"REGEX(T2, "[A-Z]{2}-\\d{3}")"#, b(false)),
            ("REGEX(\"aaa\", \"a|aaa\")", b(true)),
            ("REGEX(\"xa\", \"a|x\")", b(false)),
            ("REGEX(\"abc\", \"\")", b(false)),
            ("REGEX(T1, \"\")", b(true)),
            ("REGEX(T1, \"a+\")", b(false)),
            ("NOT(REGEX(T2, \"[A-Z]{2}-\\\\d{4}\"))", b(false)),
        ],
    );
    check_errors(
        ZERO,
        &row,
        &[("REGEX(\"a\", \"(\")", "Invalid regular expression")],
    );
}
