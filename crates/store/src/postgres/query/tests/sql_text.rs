//! The SQL PostgreSQL receives for representative queries: org-qualified tables, typed placeholders,
//! case-insensitive text through `lower(… COLLATE "C")`, byte order for dates, SOQL's null rules.

use crate::QueryOptions;
use bulkforce_core::id::SfId;
use bulkforce_core::schema::Schema;
use bulkforce_soql::{BindContext, Mode};

fn sql(soql: &str) -> (String, usize) {
    let schema = Schema::builtin();
    let context = BindContext {
        now: super::fixture::now(),
        fiscal_year_start_month: 1,
    };
    let query = bulkforce_soql::compile(soql, &schema, &context, Mode::Rest).expect("valid SOQL");
    let org = SfId::parse("00Dxx0000000001").expect("an org id");
    let rendered = super::super::render(&query, org, &QueryOptions::default()).expect("renders");
    (rendered.sql, rendered.params.len())
}

#[test]
fn tables_are_in_the_orgs_schema_and_rows_come_in_id_byte_order() {
    let (text, params) = sql("SELECT Id, Name FROM Account");
    assert_eq!(
        text,
        "SELECT q0_0.\"Id\" AS c0, q0_0.\"Name\" AS c1 FROM \"org_00dxx0000000001eaa\".\"Account\" AS q0_0 \
         WHERE q0_0.\"IsDeleted\" = 0 ORDER BY q0_0.\"Id\" COLLATE \"C\""
    );
    assert_eq!(params, 0);
}

#[test]
fn text_compares_without_case_and_not_equal_keeps_nulls() {
    let (text, params) =
        sql("SELECT Name FROM Account WHERE Industry != 'Banking' ORDER BY Name DESC");
    assert!(
        text.contains(
            "(q0_0.\"Industry\" IS NULL OR lower(q0_0.\"Industry\" COLLATE \"C\") <> lower($1::text COLLATE \"C\"))"
        ),
        "{text}"
    );
    assert!(
        text.ends_with("ORDER BY lower(q0_0.\"Name\" COLLATE \"C\") DESC NULLS LAST"),
        "{text}"
    );
    assert_eq!(params, 1);
}

#[test]
fn not_is_two_valued_and_like_ignores_case() {
    let (text, _) = sql("SELECT Name FROM Account WHERE NOT (Name LIKE 'a\\_%')");
    assert!(
        text.contains(
            "NOT coalesce(((lower(q0_0.\"Name\" COLLATE \"C\") LIKE lower($1::text COLLATE \"C\") ESCAPE '\\')), FALSE)"
        ),
        "{text}"
    );
}

#[test]
fn placeholders_carry_their_types() {
    let (text, params) = sql(
        "SELECT Name FROM Account WHERE NumberOfEmployees IN (1, 2) AND AnnualRevenue > 1.5 \
         AND CreatedDate = TODAY",
    );
    assert!(
        text.contains("q0_0.\"NumberOfEmployees\" IN ($1::bigint, $2::bigint)"),
        "{text}"
    );
    assert!(
        text.contains("q0_0.\"AnnualRevenue\" > $3::double precision"),
        "{text}"
    );
    assert!(
        text.contains(
            "(q0_0.\"CreatedDate\" COLLATE \"C\" >= $4::text AND q0_0.\"CreatedDate\" COLLATE \"C\" < $5::text)"
        ),
        "{text}"
    );
    assert_eq!(params, 5);
}

#[test]
fn parents_are_left_joins_in_the_same_schema_and_anti_joins_ignore_nulls() {
    let (text, _) = sql(
        "SELECT LastName, Account.Owner.Name FROM Contact WHERE Id NOT IN \
         (SELECT ContactId FROM Case) OFFSET 2",
    );
    assert!(
        text.contains(
            "LEFT JOIN \"org_00dxx0000000001eaa\".\"Account\" AS q0_1 ON q0_1.\"Id\" = q0_0.\"AccountId\" \
             LEFT JOIN \"org_00dxx0000000001eaa\".\"User\" AS q0_2 ON q0_2.\"Id\" = q0_1.\"OwnerId\""
        ),
        "{text}"
    );
    assert!(
        text.contains("NOT IN (SELECT c0 FROM (SELECT q1_0.\"ContactId\" AS c0 FROM \"org_00dxx0000000001eaa\".\"Case\" AS q1_0"),
        "{text}"
    );
    assert!(text.contains(") AS q1_in WHERE c0 IS NOT NULL)"), "{text}");
    assert!(text.ends_with(" OFFSET 2"), "{text}");
}

#[test]
fn aggregates_keep_soqls_result_types_and_date_parts_are_integers() {
    let (text, _) = sql(
        "SELECT CALENDAR_YEAR(CreatedDate), SUM(NumberOfEmployees), AVG(AnnualRevenue), MIN(Name) \
         FROM Account GROUP BY CALENDAR_YEAR(CreatedDate)",
    );
    let year = "CAST(EXTRACT(YEAR FROM CAST(q0_0.\"CreatedDate\" AS timestamp)) AS bigint)";
    assert!(text.contains(&format!("SELECT {year} AS c0")), "{text}");
    assert!(
        text.contains("CAST(SUM(q0_0.\"NumberOfEmployees\") AS bigint) AS c1"),
        "{text}"
    );
    assert!(
        text.contains("CAST(AVG(q0_0.\"AnnualRevenue\") AS double precision) AS c2"),
        "{text}"
    );
    assert!(
        text.contains("MIN(q0_0.\"Name\" COLLATE \"C\") AS c3"),
        "{text}"
    );
    assert!(text.ends_with(&format!("GROUP BY {year}")), "{text}");
}
