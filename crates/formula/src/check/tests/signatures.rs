//! Every function's signature: a valid call of each, and each count and type error with its position.

use super::*;

/// A valid call of every function, with the type it gives.
const EVERY_FUNCTION: [(&str, FType); 45] = [
    ("IF(Active__c, 1, 2)", FType::Number),
    ("CASE(AnnualRevenue, 1, 'a', 2, 'b', 'c')", FType::Text),
    ("AND(TRUE, Active__c, 1 < 2)", FType::Boolean),
    ("OR(FALSE)", FType::Boolean),
    ("NOT(Active__c)", FType::Boolean),
    ("ISBLANK(Founded__c)", FType::Boolean),
    ("ISNULL(AnnualRevenue)", FType::Boolean),
    ("BLANKVALUE(Name, 'x')", FType::Text),
    ("NULLVALUE(AnnualRevenue, 0)", FType::Number),
    ("ISPICKVAL(Industry, 'Energy')", FType::Boolean),
    ("TEXT(AnnualRevenue)", FType::Text),
    ("VALUE('12')", FType::Number),
    ("LEN(Name)", FType::Number),
    ("LEFT(Name, 2)", FType::Text),
    ("RIGHT(Name, 2)", FType::Text),
    ("MID(Name, 2, 3)", FType::Text),
    ("UPPER(Name)", FType::Text),
    ("LOWER(Name, 'en_US')", FType::Text),
    ("TRIM(Name)", FType::Text),
    ("CONTAINS(Name, 'a')", FType::Boolean),
    ("BEGINS(Name, 'a')", FType::Boolean),
    ("FIND('a', Name, 2)", FType::Number),
    ("SUBSTITUTE(Name, 'a', 'b')", FType::Text),
    ("REGEX(Name, '[a-z]+')", FType::Boolean),
    ("ISNUMBER(Name)", FType::Boolean),
    ("INCLUDES(Tags__c, 'x')", FType::Boolean),
    ("DATE(2024, 2, 29)", FType::Date),
    ("DATEVALUE(LastSeen__c)", FType::Date),
    ("DATETIMEVALUE('2024-01-01 10:00:00')", FType::DateTime),
    ("TODAY()", FType::Date),
    ("NOW()", FType::DateTime),
    ("YEAR(Founded__c)", FType::Number),
    ("MONTH(TODAY())", FType::Number),
    ("DAY(Founded__c)", FType::Number),
    ("ADDMONTHS(LastSeen__c, 2)", FType::DateTime),
    ("ABS(-1)", FType::Number),
    ("ROUND(AnnualRevenue, 2)", FType::Number),
    ("FLOOR(1.5)", FType::Number),
    ("CEILING(1.5)", FType::Number),
    ("MOD(7, 2)", FType::Number),
    ("MAX(1, AnnualRevenue, 3)", FType::Number),
    ("MIN(1)", FType::Number),
    ("ISNEW()", FType::Boolean),
    ("ISCHANGED(Tags__c)", FType::Boolean),
    ("PRIORVALUE(Founded__c)", FType::Date),
];

#[test]
fn every_function_compiles_and_is_typed() {
    let options = CompileOptions {
        allow_prior: true,
        ..any()
    };
    for (src, want) in EVERY_FUNCTION {
        assert_eq!(ok(src, options).return_type, want, "{src}");
    }
    let called: std::collections::HashSet<_> = EVERY_FUNCTION
        .iter()
        .filter_map(|(src, _)| Func::by_name(src.split('(').next().unwrap_or_default()))
        .collect();
    assert_eq!(called.len(), Func::ALL.len());
}

#[test]
fn argument_counts() {
    let cases = [
        ("IF(TRUE, 1)", "IF", 3, 2),
        ("IF(TRUE, 1, 2, 3)", "IF", 3, 4),
        ("CASE(1, 2, 3)", "CASE", 4, 3),
        ("CASE(1, 2, 3, 4, 5)", "CASE", 6, 5),
        ("AND()", "AND", 1, 0),
        ("NOT(TRUE, FALSE)", "NOT", 1, 2),
        ("ISBLANK()", "ISBLANK", 1, 0),
        ("BLANKVALUE(1)", "BLANKVALUE", 2, 1),
        ("ISPICKVAL(Industry)", "ISPICKVAL", 2, 1),
        ("TEXT(1, 2)", "TEXT", 1, 2),
        ("LEFT('a')", "LEFT", 2, 1),
        ("MID('a', 1)", "MID", 3, 2),
        ("UPPER('a', 'b', 'c')", "UPPER", 2, 3),
        ("FIND('a')", "FIND", 2, 1),
        ("FIND('a', 'b', 1, 2)", "FIND", 3, 4),
        ("SUBSTITUTE('a', 'b')", "SUBSTITUTE", 3, 2),
        ("DATE(2024, 1)", "DATE", 3, 2),
        ("TODAY(1)", "TODAY", 0, 1),
        ("NOW(1)", "NOW", 0, 1),
        ("ADDMONTHS(TODAY())", "ADDMONTHS", 2, 1),
        ("ROUND(1)", "ROUND", 2, 1),
        ("MAX()", "MAX", 1, 0),
        ("ISNEW(1)", "ISNEW", 0, 1),
        ("ISCHANGED()", "ISCHANGED", 1, 0),
        ("PRIORVALUE(Name, Name)", "PRIORVALUE", 1, 2),
    ];
    for (src, name, expected, received) in cases {
        let (message, line, column) = err_with(&format!(" {src}"), rule());
        assert_eq!(
            message,
            format!(
                "Incorrect number of parameters for function '{name}()'. Expected {expected}, received {received}"
            ),
            "{src}"
        );
        assert_eq!((line, column), (1, 2), "{src}");
    }
}

#[test]
fn argument_types() {
    let cases = [
        ("IF(1, 2, 3)", "IF", "Boolean", "Number", 4),
        ("IF(TRUE, 1, 'a')", "IF", "Number", "Text", 13),
        ("IF(TRUE, NULL, 'a') & 1", "&", "Text", "Number", 23),
        ("CASE(1, 'a', 2, 3)", "CASE", "Number", "Text", 9),
        ("CASE(1, 2, 'a', 3, 4, 5)", "CASE", "Text", "Number", 20),
        ("AND(TRUE, 'a')", "AND", "Boolean", "Text", 11),
        ("OR(1)", "OR", "Boolean", "Number", 4),
        ("NOT('a')", "NOT", "Boolean", "Text", 5),
        ("BLANKVALUE(Name, 1)", "BLANKVALUE", "Text", "Number", 18),
        ("ISPICKVAL(Industry, 1)", "ISPICKVAL", "Text", "Number", 21),
        (
            "TEXT(TRUE)",
            "TEXT",
            "Number, Date, DateTime, Time, Picklist, Text",
            "Boolean",
            6,
        ),
        ("VALUE(1)", "VALUE", "Text", "Number", 7),
        ("LEN(1)", "LEN", "Text", "Number", 5),
        ("LEFT(Name, 'a')", "LEFT", "Number", "Text", 12),
        ("RIGHT(1, 1)", "RIGHT", "Text", "Number", 7),
        ("MID(Name, 1, TRUE)", "MID", "Number", "Boolean", 14),
        ("UPPER(Founded__c)", "UPPER", "Text", "Date", 7),
        ("TRIM(1)", "TRIM", "Text", "Number", 6),
        ("CONTAINS(Name, 1)", "CONTAINS", "Text", "Number", 16),
        ("BEGINS(1, Name)", "BEGINS", "Text", "Number", 8),
        ("FIND('a', Name, 'b')", "FIND", "Number", "Text", 17),
        (
            "SUBSTITUTE(Name, 'a', 1)",
            "SUBSTITUTE",
            "Text",
            "Number",
            23,
        ),
        ("REGEX(Name, 1)", "REGEX", "Text", "Number", 13),
        ("ISNUMBER(1)", "ISNUMBER", "Text", "Number", 10),
        ("INCLUDES(Tags__c, 1)", "INCLUDES", "Text", "Number", 19),
        ("DATE(2024, 'a', 1)", "DATE", "Number", "Text", 12),
        (
            "DATEVALUE(1)",
            "DATEVALUE",
            "Text, Date, DateTime",
            "Number",
            11,
        ),
        (
            "DATETIMEVALUE(TRUE)",
            "DATETIMEVALUE",
            "Text, Date, DateTime",
            "Boolean",
            15,
        ),
        ("YEAR(LastSeen__c)", "YEAR", "Date", "DateTime", 6),
        ("MONTH('2024-01-01')", "MONTH", "Date", "Text", 7),
        ("DAY(1)", "DAY", "Date", "Number", 5),
        (
            "ADDMONTHS(1, 1)",
            "ADDMONTHS",
            "Date, DateTime",
            "Number",
            11,
        ),
        ("ADDMONTHS(TODAY(), 'a')", "ADDMONTHS", "Number", "Text", 20),
        ("ABS('a')", "ABS", "Number", "Text", 5),
        ("ROUND(1, 'a')", "ROUND", "Number", "Text", 10),
        ("FLOOR(TODAY())", "FLOOR", "Number", "Date", 7),
        ("CEILING(Name)", "CEILING", "Number", "Text", 9),
        ("MOD('a', 1)", "MOD", "Number", "Text", 5),
        ("MAX(1, 'a')", "MAX", "Number", "Text", 8),
        ("MIN(TODAY())", "MIN", "Number", "Date", 5),
    ];
    for (src, name, expected, received, column) in cases {
        let what = if name == "&" {
            format!("operator '{name}'")
        } else {
            format!("function '{name}()'")
        };
        assert_eq!(
            err_with(src, any()),
            (
                format!(
                    "Incorrect parameter type for {what}. Expected {expected}, received {received}"
                ),
                1,
                column
            ),
            "{src}"
        );
    }
}
