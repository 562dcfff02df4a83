//! Every SOQL form the renderer knows, run over the same rows on SQLite and PostgreSQL: the answers
//! must be the same, row for row and in the same order. A few answers are also checked against what
//! Salesforce returns, so the two cannot agree on something wrong there.

use super::fixture::{Both, id};
use crate::QueryOptions;
use bulkforce_core::value::Value;

/// Queries whose order is fully determined (ties broken by a unique key), so order must agree too.
const CASES: &[&str] = &[
    // Default order (by Id, whose case matters), nulls first ascending and last descending.
    "SELECT Id, Name FROM Account",
    "SELECT Name FROM Account ORDER BY Name, Id",
    "SELECT Name FROM Account ORDER BY Name DESC, Id",
    "SELECT Name FROM Account ORDER BY Name NULLS LAST, Id",
    "SELECT Name FROM Account ORDER BY Industry, Name, Id",
    "SELECT Name FROM Account ORDER BY Industry DESC NULLS FIRST, Name DESC, Id",
    "SELECT Name, CreatedDate FROM Account ORDER BY CreatedDate DESC, Id",
    "SELECT Name FROM Account ORDER BY NumberOfEmployees DESC NULLS LAST, Id",
    "SELECT Name FROM Account ORDER BY AnnualRevenue, Id",
    "SELECT Name FROM Account ORDER BY Name, Id LIMIT 2 OFFSET 1",
    "SELECT Name FROM Account ORDER BY Name, Id OFFSET 3",
    // Text compares without ASCII case; other letters keep theirs.
    "SELECT Name FROM Account WHERE Name = 'ALPHA'",
    "SELECT Name FROM Account WHERE Name = 'ärger'",
    "SELECT Name FROM Account WHERE Name = 'Ärger'",
    "SELECT Name FROM Account WHERE Name != 'alpha' ORDER BY Name, Id",
    "SELECT Name FROM Account WHERE Name < 'b' ORDER BY Name, Id",
    "SELECT Name FROM Account WHERE Name >= 'BETA' ORDER BY Name, Id",
    "SELECT Name FROM Account WHERE Industry = 'BANKING' ORDER BY Name, Id",
    "SELECT Name FROM Account WHERE Industry != 'banking' ORDER BY Name, Id",
    "SELECT Name FROM Account WHERE Industry = null ORDER BY Name, Id",
    "SELECT Name FROM Account WHERE Industry != null ORDER BY Name, Id",
    "SELECT Name FROM Account WHERE Site = '' ORDER BY Name, Id",
    "SELECT Name FROM Account WHERE Site = 'it\\'s'",
    // LIKE: case-insensitive for ASCII, SOQL's escapes.
    "SELECT Name FROM Account WHERE Name LIKE 'b%' ORDER BY Name, Id",
    "SELECT Name FROM Account WHERE Name LIKE '_eta' ORDER BY Name, Id",
    "SELECT Name FROM Account WHERE Name LIKE '%50\\%' ORDER BY Name, Id",
    "SELECT Name FROM Account WHERE Name LIKE 'under\\_%' ORDER BY Name, Id",
    "SELECT Name FROM Account WHERE Name LIKE 'ä%' ORDER BY Name, Id",
    "SELECT Name FROM Account WHERE NOT Name LIKE '%a%' ORDER BY Name, Id",
    // IN / NOT IN keep nulls as SOQL does.
    "SELECT Name FROM Account WHERE Rating IN ('HOT', 'cold') ORDER BY Name, Id",
    "SELECT Name FROM Account WHERE Rating NOT IN ('hot') ORDER BY Name, Id",
    "SELECT Name FROM Account WHERE Site IN ('x', null) ORDER BY Name, Id",
    "SELECT Name FROM Account WHERE Site NOT IN ('x', null) ORDER BY Name, Id",
    "SELECT Name FROM Account WHERE NumberOfEmployees IN (10, 30, 99) ORDER BY Name, Id",
    "SELECT Name FROM Account WHERE NumberOfEmployees NOT IN (10) ORDER BY Name, Id",
    // Two-valued logic.
    "SELECT Name FROM Account WHERE NOT (Industry = 'Energy') ORDER BY Name, Id",
    "SELECT Name FROM Account WHERE NOT (NumberOfEmployees > 20) ORDER BY Name, Id",
    "SELECT Name FROM Account WHERE NOT (NOT (NumberOfEmployees > 20)) ORDER BY Name, Id",
    "SELECT Name FROM Account WHERE (Rating = 'Hot' OR Rating = 'Warm') AND NumberOfEmployees = null",
    "SELECT Name FROM Account WHERE NumberOfEmployees > 20 OR AnnualRevenue < 10 ORDER BY Name, Id",
    // Numbers, booleans.
    "SELECT Name FROM Account WHERE NumberOfEmployees <= 20 ORDER BY Name, Id",
    "SELECT Name FROM Account WHERE AnnualRevenue >= 99 ORDER BY Name, Id",
    "SELECT Name FROM Account WHERE AnnualRevenue > 7.25 AND AnnualRevenue < 1000.5 ORDER BY Name, Id",
    "SELECT Name, IsDeleted FROM Account WHERE IsDeleted = false ORDER BY Name, Id",
    // Dates and dateTimes: literals, ranges, functions.
    "SELECT Name FROM Account WHERE CreatedDate = TODAY ORDER BY Name, Id",
    "SELECT Name FROM Account WHERE CreatedDate != TODAY ORDER BY Name, Id",
    "SELECT Name FROM Account WHERE CreatedDate < THIS_YEAR ORDER BY Name, Id",
    "SELECT Name FROM Account WHERE CreatedDate <= LAST_MONTH ORDER BY Name, Id",
    "SELECT Name FROM Account WHERE CreatedDate > THIS_MONTH ORDER BY Name, Id",
    "SELECT Name FROM Account WHERE CreatedDate >= LAST_N_DAYS:30 ORDER BY Name, Id",
    "SELECT Name FROM Account WHERE CreatedDate IN (TODAY, YESTERDAY, null) ORDER BY Name, Id",
    "SELECT Name FROM Account WHERE CreatedDate > 2024-01-01T00:00:00Z ORDER BY Name, Id",
    "SELECT Name FROM Account WHERE CreatedDate = THIS_FISCAL_QUARTER ORDER BY Name, Id",
    "SELECT Name FROM Account WHERE CALENDAR_YEAR(CreatedDate) = 2024 ORDER BY Name, Id",
    "SELECT Name FROM Account WHERE CALENDAR_MONTH(CreatedDate) = 3 ORDER BY Name, Id",
    "SELECT Name FROM Account WHERE CALENDAR_QUARTER(CreatedDate) = 1 ORDER BY Name, Id",
    "SELECT Name FROM Account WHERE DAY_IN_WEEK(CreatedDate) = 6 ORDER BY Name, Id",
    "SELECT Name FROM Account WHERE DAY_IN_MONTH(CreatedDate) = 29 ORDER BY Name, Id",
    "SELECT Name FROM Account WHERE DAY_IN_YEAR(CreatedDate) > 60 ORDER BY Name, Id",
    "SELECT Name FROM Account WHERE HOUR_IN_DAY(CreatedDate) > 10 ORDER BY Name, Id",
    "SELECT Name FROM Account WHERE WEEK_IN_MONTH(CreatedDate) = 1 ORDER BY Name, Id",
    "SELECT Name FROM Account WHERE WEEK_IN_YEAR(CreatedDate) = 9 ORDER BY Name, Id",
    "SELECT Name FROM Account WHERE DAY_ONLY(CreatedDate) = 2024-03-15 ORDER BY Name, Id",
    "SELECT Name FROM Account WHERE DAY_ONLY(CreatedDate) < TODAY ORDER BY Name, Id",
    "SELECT Name FROM Account WHERE FISCAL_YEAR(CreatedDate) = 2024 ORDER BY Name, Id",
    "SELECT Name FROM Account WHERE FISCAL_QUARTER(CreatedDate) = 4 ORDER BY Name, Id",
    "SELECT Name FROM Account WHERE FISCAL_MONTH(CreatedDate) = 12 ORDER BY Name, Id",
    "SELECT LastName FROM Contact WHERE Birthdate = TODAY",
    "SELECT LastName FROM Contact WHERE Birthdate = LAST_N_DAYS:30 ORDER BY LastName",
    "SELECT LastName FROM Contact WHERE Birthdate < LAST_N_DAYS:30",
    "SELECT LastName FROM Contact WHERE Birthdate > 2024-01-01 ORDER BY LastName",
    "SELECT LastName FROM Contact ORDER BY Birthdate DESC, LastName",
    // Multi-select picklists.
    "SELECT Name FROM Account WHERE Regions__c INCLUDES ('east') ORDER BY Name, Id",
    "SELECT Name FROM Account WHERE Regions__c INCLUDES ('North;South', 'West') ORDER BY Name, Id",
    "SELECT Name FROM Account WHERE Regions__c EXCLUDES ('East') ORDER BY Name, Id",
    // Parents, semi-joins and anti-joins (deleted children do not count).
    "SELECT LastName, Name, Account.Name, Account.Industry FROM Contact ORDER BY LastName",
    "SELECT LastName FROM Contact WHERE Account.Industry = 'energy' ORDER BY LastName",
    "SELECT LastName FROM Contact ORDER BY Account.Name DESC, LastName",
    "SELECT Name FROM Account WHERE Id IN (SELECT AccountId FROM Contact) ORDER BY Name, Id",
    "SELECT Name FROM Account WHERE Id NOT IN (SELECT AccountId FROM Contact) ORDER BY Name, Id",
    "SELECT Name FROM Account WHERE Id IN (SELECT AccountId FROM Contact WHERE LastName LIKE 't%') \
     AND Id NOT IN (SELECT AccountId FROM Contact WHERE Birthdate = TODAY) ORDER BY Name, Id",
    // Aggregates.
    "SELECT COUNT() FROM Account",
    "SELECT COUNT(Id), COUNT(Industry), COUNT_DISTINCT(Industry) FROM Account",
    "SELECT SUM(NumberOfEmployees), AVG(NumberOfEmployees), SUM(AnnualRevenue), AVG(AnnualRevenue) \
     FROM Account",
    "SELECT MIN(Name), MAX(Name), MIN(CreatedDate), MAX(CreatedDate), MIN(NumberOfEmployees) FROM Account",
    "SELECT Industry, COUNT(Id) FROM Account GROUP BY Industry ORDER BY Industry",
    "SELECT Industry, SUM(NumberOfEmployees) total FROM Account GROUP BY Industry \
     HAVING COUNT(Id) > 1 ORDER BY Industry DESC",
    "SELECT CALENDAR_MONTH(CreatedDate), COUNT(Id) FROM Account GROUP BY CALENDAR_MONTH(CreatedDate) \
     ORDER BY CALENDAR_MONTH(CreatedDate)",
    "SELECT FISCAL_YEAR(CreatedDate), MAX(NumberOfEmployees) FROM Account \
     GROUP BY FISCAL_YEAR(CreatedDate) ORDER BY FISCAL_YEAR(CreatedDate) DESC",
    "SELECT Account.Industry, COUNT(Id) FROM Contact GROUP BY Account.Industry ORDER BY Account.Industry",
];

#[test]
fn every_form_answers_the_same_on_sqlite_and_postgresql() {
    let mut both = Both::load();
    let mut differences = Vec::new();
    for options in [
        QueryOptions::default(),
        QueryOptions {
            include_deleted: true,
            fiscal_year_start_month: 4,
        },
    ] {
        for soql in CASES {
            let (lite, pg) = both.rows(soql, options);
            if lite != pg {
                differences.push(format!(
                    "{soql} ({options:?})\n  SQLite:     {lite:?}\n  PostgreSQL: {pg:?}"
                ));
            }
        }
    }
    assert!(differences.is_empty(), "{}", differences.join("\n"));
}

fn names(rows: &[Vec<Value>]) -> Vec<String> {
    rows.iter()
        .map(|r| match &r[0] {
            Value::Text(s) => s.clone(),
            other => format!("{other:?}"),
        })
        .collect()
}

/// A few answers checked against Salesforce's rules, on PostgreSQL (SQLite gives the same, above).
#[test]
fn postgresql_keeps_salesforces_rules() {
    let mut both = Both::load();
    let options = QueryOptions::default();
    let mut pg = |soql: &str| names(&both.rows(soql, options).1);
    // Nulls first ascending; case ignored; the default order is the Id's, with its case.
    assert_eq!(
        pg("SELECT Name FROM Account ORDER BY Name, Id"),
        [
            "Null",
            "alpha",
            "Beta",
            "BETA2",
            "Delta 50%",
            "under_score",
            "zeta",
            "Ärger"
        ]
    );
    assert_eq!(
        pg("SELECT Name FROM Account WHERE Industry != 'BANKING' ORDER BY Name, Id"),
        ["BETA2", "Delta 50%", "under_score", "zeta", "Ärger"]
    );
    assert_eq!(
        pg("SELECT Name FROM Account WHERE Rating NOT IN ('hot') ORDER BY Name, Id"),
        ["Null", "Beta", "BETA2", "zeta", "Ärger"]
    );
    assert_eq!(
        pg("SELECT Name FROM Account WHERE Name LIKE '%50\\%'"),
        ["Delta 50%"]
    );
    let ids: Vec<String> = both
        .rows("SELECT Id FROM Account", options)
        .1
        .iter()
        .map(|r| names(std::slice::from_ref(r)).remove(0))
        .collect();
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids, sorted, "by the Id's bytes");
    assert!(ids.contains(&id("001xx00000000Ab")) && ids.contains(&id("001xx00000000aB")));
}

#[test]
fn counts_ignore_the_offset_on_both() {
    let mut both = Both::load();
    for soql in [
        "SELECT Name FROM Account",
        "SELECT Name FROM Account ORDER BY Name LIMIT 3 OFFSET 2",
        "SELECT Name FROM Account WHERE Id IN (SELECT AccountId FROM Contact) OFFSET 1",
        "SELECT COUNT() FROM Account WHERE Industry = 'banking'",
        "SELECT Industry, COUNT(Id) FROM Account GROUP BY Industry",
    ] {
        let (lite, pg) = both.counts(soql);
        assert_eq!(lite, pg, "{soql}");
    }
    assert_eq!(both.counts("SELECT Name FROM Account OFFSET 5"), (8, 8));
}
