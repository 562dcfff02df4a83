//! Every SOQL date literal, resolved to its `[start, end)` range against a fixed clock, on date fields (as
//! dates) and dateTime fields (as UTC midnights), with every operator that takes one.

mod common;

use bulkforce_soql::bound::{Condition, DateRange, Literal, Value};
use bulkforce_soql::canonical::canonical;
use bulkforce_soql::{BindContext, Mode, compile};
use chrono::NaiveDate;
use common::{ctx_at, shared_schema};

/// (literal, first day, day after the last) with today = Sunday 2026-11-29 and fiscal years from April.
const SUNDAY_NOVEMBER_29: &[(&str, &str, &str)] = &[
    ("YESTERDAY", "2026-11-28", "2026-11-29"),
    ("TODAY", "2026-11-29", "2026-11-30"),
    ("TOMORROW", "2026-11-30", "2026-12-01"),
    ("LAST_WEEK", "2026-11-22", "2026-11-29"),
    ("THIS_WEEK", "2026-11-29", "2026-12-06"),
    ("NEXT_WEEK", "2026-12-06", "2026-12-13"),
    ("LAST_MONTH", "2026-10-01", "2026-11-01"),
    ("THIS_MONTH", "2026-11-01", "2026-12-01"),
    ("NEXT_MONTH", "2026-12-01", "2027-01-01"),
    ("LAST_90_DAYS", "2026-08-31", "2026-11-30"),
    ("NEXT_90_DAYS", "2026-11-30", "2027-02-28"),
    ("LAST_N_DAYS:0", "2026-11-29", "2026-11-30"),
    ("LAST_N_DAYS:1", "2026-11-28", "2026-11-30"),
    ("LAST_N_DAYS:7", "2026-11-22", "2026-11-30"),
    ("LAST_N_DAYS:365", "2025-11-29", "2026-11-30"),
    ("NEXT_N_DAYS:1", "2026-11-30", "2026-12-01"),
    ("NEXT_N_DAYS:7", "2026-11-30", "2026-12-07"),
    ("N_DAYS_AGO:3", "2026-11-26", "2026-11-27"),
    ("N_DAYS_AGO:0", "2026-11-29", "2026-11-30"),
    ("NEXT_N_WEEKS:2", "2026-12-06", "2026-12-20"),
    ("LAST_N_WEEKS:2", "2026-11-15", "2026-11-29"),
    ("N_WEEKS_AGO:2", "2026-11-15", "2026-11-22"),
    ("NEXT_N_MONTHS:2", "2026-12-01", "2027-02-01"),
    ("LAST_N_MONTHS:2", "2026-09-01", "2026-11-01"),
    ("LAST_N_MONTHS:12", "2025-11-01", "2026-11-01"),
    ("N_MONTHS_AGO:2", "2026-09-01", "2026-10-01"),
    ("THIS_QUARTER", "2026-10-01", "2027-01-01"),
    ("LAST_QUARTER", "2026-07-01", "2026-10-01"),
    ("NEXT_QUARTER", "2027-01-01", "2027-04-01"),
    ("NEXT_N_QUARTERS:2", "2027-01-01", "2027-07-01"),
    ("LAST_N_QUARTERS:2", "2026-04-01", "2026-10-01"),
    ("N_QUARTERS_AGO:2", "2026-04-01", "2026-07-01"),
    ("THIS_YEAR", "2026-01-01", "2027-01-01"),
    ("LAST_YEAR", "2025-01-01", "2026-01-01"),
    ("NEXT_YEAR", "2027-01-01", "2028-01-01"),
    ("NEXT_N_YEARS:2", "2027-01-01", "2029-01-01"),
    ("LAST_N_YEARS:2", "2024-01-01", "2026-01-01"),
    ("N_YEARS_AGO:2", "2024-01-01", "2025-01-01"),
    ("THIS_FISCAL_QUARTER", "2026-10-01", "2027-01-01"),
    ("LAST_FISCAL_QUARTER", "2026-07-01", "2026-10-01"),
    ("NEXT_FISCAL_QUARTER", "2027-01-01", "2027-04-01"),
    ("NEXT_N_FISCAL_QUARTERS:3", "2027-01-01", "2027-10-01"),
    ("LAST_N_FISCAL_QUARTERS:3", "2026-01-01", "2026-10-01"),
    ("N_FISCAL_QUARTERS_AGO:3", "2026-01-01", "2026-04-01"),
    ("THIS_FISCAL_YEAR", "2026-04-01", "2027-04-01"),
    ("LAST_FISCAL_YEAR", "2025-04-01", "2026-04-01"),
    ("NEXT_FISCAL_YEAR", "2027-04-01", "2028-04-01"),
    ("NEXT_N_FISCAL_YEARS:2", "2027-04-01", "2029-04-01"),
    ("LAST_N_FISCAL_YEARS:2", "2024-04-01", "2026-04-01"),
    ("N_FISCAL_YEARS_AGO:2", "2024-04-01", "2025-04-01"),
];

/// Today = Wednesday 2026-02-18 (late evening UTC), fiscal years from April: mid-week, and in the last
/// fiscal quarter of the fiscal year that started in the previous calendar year.
const WEDNESDAY_FEBRUARY_18: &[(&str, &str, &str)] = &[
    ("TODAY", "2026-02-18", "2026-02-19"),
    ("YESTERDAY", "2026-02-17", "2026-02-18"),
    ("TOMORROW", "2026-02-19", "2026-02-20"),
    ("THIS_WEEK", "2026-02-15", "2026-02-22"),
    ("LAST_WEEK", "2026-02-08", "2026-02-15"),
    ("NEXT_WEEK", "2026-02-22", "2026-03-01"),
    ("LAST_N_WEEKS:1", "2026-02-08", "2026-02-15"),
    ("NEXT_N_WEEKS:1", "2026-02-22", "2026-03-01"),
    ("N_WEEKS_AGO:1", "2026-02-08", "2026-02-15"),
    ("THIS_MONTH", "2026-02-01", "2026-03-01"),
    ("LAST_MONTH", "2026-01-01", "2026-02-01"),
    ("NEXT_MONTH", "2026-03-01", "2026-04-01"),
    ("LAST_90_DAYS", "2025-11-20", "2026-02-19"),
    ("NEXT_90_DAYS", "2026-02-19", "2026-05-20"),
    ("THIS_QUARTER", "2026-01-01", "2026-04-01"),
    ("LAST_QUARTER", "2025-10-01", "2026-01-01"),
    ("THIS_YEAR", "2026-01-01", "2027-01-01"),
    ("THIS_FISCAL_QUARTER", "2026-01-01", "2026-04-01"),
    ("LAST_FISCAL_QUARTER", "2025-10-01", "2026-01-01"),
    ("NEXT_FISCAL_QUARTER", "2026-04-01", "2026-07-01"),
    ("THIS_FISCAL_YEAR", "2025-04-01", "2026-04-01"),
    ("LAST_FISCAL_YEAR", "2024-04-01", "2025-04-01"),
    ("NEXT_FISCAL_YEAR", "2026-04-01", "2027-04-01"),
    ("N_FISCAL_YEARS_AGO:1", "2024-04-01", "2025-04-01"),
    ("LAST_N_FISCAL_QUARTERS:1", "2025-10-01", "2026-01-01"),
    ("NEXT_N_FISCAL_QUARTERS:1", "2026-04-01", "2026-07-01"),
];

/// Fiscal years that start in January are calendar years; in November they are shifted by ten months.
const OTHER_FISCAL_YEARS: &[(u32, &str, &str, &str)] = &[
    (1, "THIS_FISCAL_YEAR", "2026-01-01", "2027-01-01"),
    (1, "THIS_FISCAL_QUARTER", "2026-10-01", "2027-01-01"),
    (1, "NEXT_FISCAL_QUARTER", "2027-01-01", "2027-04-01"),
    (11, "THIS_FISCAL_YEAR", "2026-11-01", "2027-11-01"),
    (11, "THIS_FISCAL_QUARTER", "2026-11-01", "2027-02-01"),
    (11, "LAST_FISCAL_QUARTER", "2026-08-01", "2026-11-01"),
    (12, "THIS_FISCAL_YEAR", "2025-12-01", "2026-12-01"),
    (12, "THIS_FISCAL_QUARTER", "2026-09-01", "2026-12-01"),
];

fn date(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
}

/// The range `CreatedDate = literal` (dateTime) and `CloseDate = literal` (date) bind to.
fn ranges(literal: &str, ctx: &BindContext) -> (DateRange, DateRange) {
    let range = |soql: String| {
        let query = compile(&soql, shared_schema(), ctx, Mode::BulkQuery)
            .unwrap_or_else(|e| panic!("{soql}: {e}"));
        match query.filter {
            Some(Condition::Compare {
                right: Value::Range(range),
                ..
            }) => range,
            other => panic!("{soql}: {other:?}"),
        }
    };
    (
        range(format!(
            "SELECT Id FROM Opportunity WHERE CreatedDate = {literal}"
        )),
        range(format!(
            "SELECT Id FROM Opportunity WHERE CloseDate = {literal}"
        )),
    )
}

fn check(table: &[(&str, &str, &str)], ctx: &BindContext) {
    for (literal, start, end) in table {
        let (datetime, day) = ranges(literal, ctx);
        let midnight = |d: &str| Literal::DateTime(date(d).and_hms_opt(0, 0, 0).unwrap().and_utc());
        assert_eq!(
            day,
            DateRange {
                start: Literal::Date(date(start)),
                end: Literal::Date(date(end))
            },
            "{literal} on a date field"
        );
        assert_eq!(
            datetime,
            DateRange {
                start: midnight(start),
                end: midnight(end)
            },
            "{literal} on a dateTime field"
        );
        // Case does not matter.
        assert_eq!(
            ranges(&literal.to_ascii_lowercase(), ctx).1,
            day,
            "{literal}"
        );
    }
}

#[test]
fn every_literal_on_a_sunday_with_an_april_fiscal_year() {
    check(SUNDAY_NOVEMBER_29, &ctx_at("2026-11-29T10:00:00Z", 4));
}

#[test]
fn every_literal_family_mid_week_before_the_fiscal_year_start() {
    check(WEDNESDAY_FEBRUARY_18, &ctx_at("2026-02-18T23:30:00Z", 4));
}

#[test]
fn other_fiscal_year_starts() {
    for (month, literal, start, end) in OTHER_FISCAL_YEARS {
        check(
            &[(literal, start, end)],
            &ctx_at("2026-11-29T10:00:00Z", *month),
        );
    }
}

#[test]
fn the_clock_is_read_in_utc() {
    // 2026-11-29T23:59:59-05:00 is already the 30th in UTC.
    check(
        &[("TODAY", "2026-11-30", "2026-12-01")],
        &ctx_at("2026-11-29T23:59:59-05:00", 4),
    );
}

#[test]
fn every_literal_name_is_covered() {
    let covered: Vec<&str> = SUNDAY_NOVEMBER_29
        .iter()
        .map(|(l, _, _)| l.split(':').next().unwrap())
        .collect();
    for name in [
        "YESTERDAY",
        "TODAY",
        "TOMORROW",
        "LAST_WEEK",
        "THIS_WEEK",
        "NEXT_WEEK",
        "LAST_MONTH",
        "THIS_MONTH",
        "NEXT_MONTH",
        "LAST_90_DAYS",
        "NEXT_90_DAYS",
        "LAST_N_DAYS",
        "NEXT_N_DAYS",
        "N_DAYS_AGO",
        "NEXT_N_WEEKS",
        "LAST_N_WEEKS",
        "N_WEEKS_AGO",
        "NEXT_N_MONTHS",
        "LAST_N_MONTHS",
        "N_MONTHS_AGO",
        "THIS_QUARTER",
        "LAST_QUARTER",
        "NEXT_QUARTER",
        "NEXT_N_QUARTERS",
        "LAST_N_QUARTERS",
        "N_QUARTERS_AGO",
        "THIS_YEAR",
        "LAST_YEAR",
        "NEXT_YEAR",
        "NEXT_N_YEARS",
        "LAST_N_YEARS",
        "N_YEARS_AGO",
        "THIS_FISCAL_QUARTER",
        "LAST_FISCAL_QUARTER",
        "NEXT_FISCAL_QUARTER",
        "NEXT_N_FISCAL_QUARTERS",
        "LAST_N_FISCAL_QUARTERS",
        "N_FISCAL_QUARTERS_AGO",
        "THIS_FISCAL_YEAR",
        "LAST_FISCAL_YEAR",
        "NEXT_FISCAL_YEAR",
        "NEXT_N_FISCAL_YEARS",
        "LAST_N_FISCAL_YEARS",
        "N_FISCAL_YEARS_AGO",
    ] {
        assert!(covered.contains(&name), "{name}");
    }
}

/// Every operator keeps the range; the store applies Salesforce's meaning (`<` before the start, `<=`
/// before the end, `>` from the end, `>=` from the start, `=` inside, `!=` outside).
#[test]
fn operators_and_other_positions() {
    let ctx = common::ctx();
    let cases = [
        (
            "SELECT Id FROM Opportunity WHERE CloseDate < THIS_MONTH",
            "SELECT Id FROM Opportunity WHERE (CloseDate < [2026-11-01, 2026-12-01))",
        ),
        (
            "SELECT Id FROM Opportunity WHERE CloseDate <= THIS_MONTH",
            "SELECT Id FROM Opportunity WHERE (CloseDate <= [2026-11-01, 2026-12-01))",
        ),
        (
            "SELECT Id FROM Opportunity WHERE CloseDate > THIS_MONTH",
            "SELECT Id FROM Opportunity WHERE (CloseDate > [2026-11-01, 2026-12-01))",
        ),
        (
            "SELECT Id FROM Opportunity WHERE CloseDate >= THIS_MONTH",
            "SELECT Id FROM Opportunity WHERE (CloseDate >= [2026-11-01, 2026-12-01))",
        ),
        (
            "SELECT Id FROM Opportunity WHERE CloseDate != THIS_MONTH",
            "SELECT Id FROM Opportunity WHERE (CloseDate != [2026-11-01, 2026-12-01))",
        ),
        (
            "SELECT Id FROM Opportunity WHERE CloseDate <> TODAY",
            "SELECT Id FROM Opportunity WHERE (CloseDate != [2026-11-29, 2026-11-30))",
        ),
        (
            "SELECT Id FROM Opportunity WHERE CloseDate IN (YESTERDAY, TOMORROW)",
            "SELECT Id FROM Opportunity WHERE (CloseDate IN ([2026-11-28, 2026-11-29), [2026-11-30, 2026-12-01)))",
        ),
        (
            "SELECT Id FROM Opportunity WHERE CloseDate NOT IN (THIS_WEEK)",
            "SELECT Id FROM Opportunity WHERE (CloseDate NOT IN ([2026-11-29, 2026-12-06)))",
        ),
        (
            "SELECT Id FROM Account WHERE CreatedDate >= LAST_N_DAYS:30 AND CreatedDate <= TODAY",
            "SELECT Id FROM Account WHERE ((CreatedDate >= [2026-10-30T00:00:00.000Z, 2026-11-30T00:00:00.000Z)) AND (CreatedDate <= [2026-11-29T00:00:00.000Z, 2026-11-30T00:00:00.000Z)))",
        ),
        (
            "SELECT Id FROM Account WHERE DAY_ONLY(CreatedDate) = LAST_WEEK",
            "SELECT Id FROM Account WHERE (DAY_ONLY(CreatedDate) = [2026-11-22, 2026-11-29))",
        ),
        (
            "SELECT Id FROM Contact WHERE Account.CreatedDate = THIS_FISCAL_YEAR",
            "SELECT Id FROM Contact WHERE (Account.CreatedDate = [2026-04-01T00:00:00.000Z, 2027-04-01T00:00:00.000Z))",
        ),
        (
            "SELECT Id FROM Contact WHERE Birthdate = N_YEARS_AGO:30",
            "SELECT Id FROM Contact WHERE (Birthdate = [1996-01-01, 1997-01-01))",
        ),
        (
            "SELECT Id FROM Lead WHERE ConvertedDate = LAST_N_DAYS:2 OR ConvertedDate = NEXT_N_DAYS:2",
            "SELECT Id FROM Lead WHERE ((ConvertedDate = [2026-11-27, 2026-11-30)) OR (ConvertedDate = [2026-11-30, 2026-12-02)))",
        ),
    ];
    for (soql, expected) in cases {
        let query = compile(soql, shared_schema(), &ctx, Mode::BulkQuery).unwrap();
        assert_eq!(canonical(&query), expected, "{soql}");
    }
}

#[test]
fn date_literals_against_other_types_are_refused() {
    let ctx = common::ctx();
    for (soql, message) in [
        (
            "SELECT Id FROM Account WHERE Name = TODAY",
            "value of filter criterion for field 'Name' must be of type string and should be enclosed in quotes",
        ),
        (
            "SELECT Id FROM Account WHERE NumberOfEmployees > LAST_YEAR",
            "value of filter criterion for field 'NumberOfEmployees' must be of type int and should not be enclosed in quotes",
        ),
        (
            "SELECT Id FROM Account WHERE IsDeleted = TODAY",
            "value of filter criterion for field 'IsDeleted' must be of type boolean and should not be enclosed in quotes",
        ),
        (
            "SELECT Id FROM Account WHERE CALENDAR_YEAR(CreatedDate) = THIS_YEAR",
            "value of filter criterion for field 'CALENDAR_YEAR(CreatedDate)' must be of type int and should not be enclosed in quotes",
        ),
    ] {
        let e = compile(soql, shared_schema(), &ctx, Mode::BulkQuery).unwrap_err();
        assert_eq!(e.code, "INVALID_FIELD", "{soql}");
        assert!(e.message.ends_with(message), "{soql}: {}", e.message);
    }
}

#[test]
fn ranges_beyond_the_calendar_are_refused() {
    let e = compile(
        "SELECT Id FROM Account WHERE CreatedDate = NEXT_N_YEARS:4000000",
        shared_schema(),
        &common::ctx(),
        Mode::BulkQuery,
    )
    .unwrap_err();
    assert_eq!(e.code, "MALFORMED_QUERY");
    assert!(
        e.message
            .ends_with("Invalid date literal: NEXT_N_YEARS:4000000"),
        "{}",
        e.message
    );
}
