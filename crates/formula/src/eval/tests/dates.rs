//! DATE, DATEVALUE, DATETIMEVALUE, TODAY, NOW, YEAR, MONTH, DAY, ADDMONTHS (§3.6, §3.7).

use super::*;

#[test]
fn building_and_reading_dates() {
    // §3.7: DATE errors on invalid dates; DATEVALUE reads YYYY-M-D (or a date/time's GMT date);
    // DATETIMEVALUE reads GMT.
    let row = Row::new()
        .set("Dt1", dt(2020, 1, 1, 23, 0, 0))
        .set("T2", s("2005-11-15"));
    check(
        ZERO,
        &row,
        &[
            ("DATE(2012, 2, 29)", d(2012, 2, 29)),
            ("DATE(2024, 12, 31)", d(2024, 12, 31)),
            ("DATEVALUE(\"2005-11-15\")", d(2005, 11, 15)),
            ("DATEVALUE(\"2005-1-5\")", d(2005, 1, 5)),
            ("DATEVALUE(\"2005-11-15 17:00:00\")", d(2005, 11, 15)),
            ("DATEVALUE(T2)", d(2005, 11, 15)),
            ("DATEVALUE(Dt1)", d(2020, 1, 1)),
            ("DATEVALUE(T1)", NULL),
            ("DATEVALUE(Dt2)", NULL),
            (
                "DATETIMEVALUE(\"2005-11-15 17:00:00\")",
                dt(2005, 11, 15, 17, 0, 0),
            ),
            (
                "DATETIMEVALUE(\"2005-11-15 7:05:09\")",
                dt(2005, 11, 15, 7, 5, 9),
            ),
            ("DATETIMEVALUE(\"2005-11-15\")", dt(2005, 11, 15, 0, 0, 0)),
            ("DATETIMEVALUE(T1)", NULL),
            ("YEAR(DATE(2024, 3, 15))", n(2024.0)),
            ("MONTH(DATE(2024, 3, 15))", n(3.0)),
            ("DAY(DATE(2024, 3, 15))", n(15.0)),
            ("YEAR(D1)", NULL),
            ("DAY(DATEVALUE(Dt1))", n(1.0)),
        ],
    );
    check_errors(
        ZERO,
        &row,
        &[
            ("DATE(2011, 2, 29)", "not a valid date"),
            ("DATE(2012, 2, 30)", "not a valid date"),
            ("DATE(2012, 13, 1)", "not a valid date"),
            ("DATE(2012, 0, 1)", "not a valid date"),
            (
                "DATEVALUE(\"05-11-15\")",
                "The value '05-11-15' is not a valid date.",
            ),
            ("DATEVALUE(\"2005-02-30\")", "not a valid date"),
            ("DATEVALUE(\"2005-11-15x\")", "not a valid date"),
            (
                "DATETIMEVALUE(\"2005-11-15 25:00:00\")",
                "not a valid date/time",
            ),
            ("DATETIMEVALUE(\"tomorrow\")", "not a valid date/time"),
        ],
    );
}

#[test]
fn today_and_now_come_from_the_row() {
    // §3.6: TODAY() is the write's UTC date (the row's now is 2024-03-15 23:59:30 UTC).
    check(
        ZERO,
        &Row::new(),
        &[
            ("TODAY()", d(2024, 3, 15)),
            ("NOW()", dt(2024, 3, 15, 23, 59, 30)),
            ("TODAY() + 1", d(2024, 3, 16)),
            ("NOW() + 1/48", dt(2024, 3, 16, 0, 29, 30)),
            ("TODAY() - DATE(2024, 1, 1)", n(74.0)),
        ],
    );
}

#[test]
fn add_months_keeps_month_ends() {
    // §3.7: n truncated toward zero; the last day of a month stays the last day; other days clamp.
    let row = Row::new()
        .set("D1", d(2024, 1, 31))
        .set("Dt1", dt(2020, 1, 31, 2, 0, 0));
    check(
        ZERO,
        &row,
        &[
            ("ADDMONTHS(DATE(2022, 12, 31), 2)", d(2023, 2, 28)),
            ("ADDMONTHS(DATE(2023, 12, 31), 2)", d(2024, 2, 29)),
            ("ADDMONTHS(DATE(2024, 2, 29), 1)", d(2024, 3, 31)),
            ("ADDMONTHS(DATE(2024, 1, 30), 1)", d(2024, 2, 29)),
            ("ADDMONTHS(DATE(2024, 1, 15), 1.9)", d(2024, 2, 15)),
            ("ADDMONTHS(DATE(2024, 1, 15), -1.9)", d(2023, 12, 15)),
            ("ADDMONTHS(DATE(2024, 3, 15), -15)", d(2022, 12, 15)),
            ("ADDMONTHS(D1, 1)", d(2024, 2, 29)),
            ("ADDMONTHS(D1, N1)", d(2024, 1, 31)),
            ("ADDMONTHS(Dt1, 1)", dt(2020, 2, 29, 2, 0, 0)),
            ("ADDMONTHS(D2, 1)", NULL),
        ],
    );
    // §3.4: ADDMONTHS(d, m) with m blank is null under BlankAsBlank.
    check(BLANK, &row, &[("ADDMONTHS(D1, N1)", NULL)]);
}
