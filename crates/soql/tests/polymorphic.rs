//! Polymorphic relationships: `Partner__r` (Account or Contact, in the test schema) reaches the `Name`
//! object, and `TYPEOF` (REST only) reaches each target's own fields, every field marked with the branch it
//! answers for.

mod common;

use bulkforce_soql::Mode;
use bulkforce_soql::bound::*;
use common::*;

fn rest(soql: &str) -> Query {
    compile_in(soql, Mode::Rest).unwrap_or_else(|e| panic!("{soql}: {e}"))
}

/// (header, object reached, branch) of each selected field.
fn shape(query: &Query) -> Vec<(String, String, Option<Branch>)> {
    query
        .select
        .iter()
        .map(|item| match item {
            SelectItem::Field(path) => {
                let poly = path.hops.iter().find(|h| h.polymorphic.is_some());
                (
                    path.header(),
                    poly.map(|h| h.to.name.clone()).unwrap_or_default(),
                    poly.and_then(|h| h.polymorphic.as_ref())
                        .map(|p| p.branch.clone()),
                )
            }
            other => panic!("{other:?}"),
        })
        .collect()
}

#[test]
fn name_fields_filter_and_sort_through_a_polymorphic_relationship() {
    let q = rest(
        "SELECT Id, Partner__r.Name, Partner__r.Type FROM Account \
         WHERE Partner__r.Type IN ('Account', 'Contact') ORDER BY Partner__r.Name",
    );
    assert_eq!(
        shape(&q)[1..],
        [
            ("Partner__r.Name".into(), "Name".into(), Some(Branch::Name)),
            ("Partner__r.Type".into(), "Name".into(), Some(Branch::Name)),
        ]
    );
    assert!(q.filter.is_some());
    // Bulk query jobs take them too (child-to-parent paths), with the same headers.
    let bulk = compile_in("SELECT Partner__r.Type FROM Account", Mode::BulkQuery).unwrap();
    assert_eq!(bulk.headers(), ["Partner__r.Type"]);
}

#[test]
fn typeof_fields_carry_their_branch() {
    let q = rest(
        "SELECT Id, TYPEOF Partner__r WHEN Account THEN Industry, Owner.Name WHEN contact THEN Email \
         ELSE Name, Type END FROM Account",
    );
    let else_branch = Some(Branch::Else(vec!["Account".into(), "Contact".into()]));
    assert_eq!(
        shape(&q)[1..],
        [
            (
                "Partner__r.Industry".into(),
                "Account".into(),
                Some(Branch::When)
            ),
            (
                "Partner__r.Owner.Name".into(),
                "Account".into(),
                Some(Branch::When)
            ),
            (
                "Partner__r.Email".into(),
                "Contact".into(),
                Some(Branch::When)
            ),
            ("Partner__r.Name".into(), "Name".into(), else_branch.clone()),
            ("Partner__r.Type".into(), "Name".into(), else_branch),
        ]
    );
    // The two WHEN branches join different tables; the ELSE shares the relationship's own key.
    let SelectItem::Field(industry) = &q.select[1] else {
        panic!()
    };
    assert_eq!(industry.hops[0].join_key(), "partner__r@account");
    let SelectItem::Field(name) = &q.select[4] else {
        panic!()
    };
    assert_eq!(name.hops[0].join_key(), "partner__r");
}

#[test]
fn polymorphic_refusals() {
    let cases = [
        (
            "SELECT Partner__r.Industry FROM Account",
            "INVALID_FIELD",
            at(
                "SELECT Partner__r.Industry FROM Account",
                8,
                &no_such_column("Industry", "Name"),
            ),
        ),
        (
            "SELECT TYPEOF Partner__r WHEN Account THEN Foo END FROM Account",
            "INVALID_FIELD",
            at_window(
                " Partner__r WHEN Account THEN Foo END FROM Account",
                30,
                1,
                44,
                &no_such_column("Foo", "Account"),
            ),
        ),
        (
            "SELECT TYPEOF Partner__r WHEN Account THEN Name ELSE Industry END FROM Account",
            "INVALID_FIELD",
            at_window(
                "Partner__r WHEN Account THEN Name ELSE Industry END FROM Account",
                39,
                1,
                54,
                &no_such_column("Industry", "Name"),
            ),
        ),
        (
            "SELECT TYPEOF Partner__r WHEN Lead THEN Name END FROM Account",
            "MALFORMED_QUERY",
            at(
                "SELECT TYPEOF Partner__r WHEN Lead THEN Name END FROM Account",
                31,
                "TYPEOF Partner__r: 'Lead' is not a type this relationship can reference",
            ),
        ),
        (
            "SELECT TYPEOF Partner__r WHEN Nothing THEN Name END FROM Account",
            "INVALID_TYPE",
            at(
                "SELECT TYPEOF Partner__r WHEN Nothing THEN Name END FROM Account",
                31,
                "sObject type 'Nothing' is not supported.",
            ),
        ),
    ];
    for (soql, code, message) in cases {
        let e = refusal(soql, Mode::Rest);
        assert_eq!(
            (e.code, e.message.as_str()),
            (code, message.as_str()),
            "{soql}"
        );
    }
    // Bulk query jobs refuse TYPEOF before looking at what it names.
    let e = refusal(
        "SELECT TYPEOF Partner__r WHEN Lead THEN Name END FROM Account",
        Mode::BulkQuery,
    );
    assert_eq!(
        (e.code, e.message.as_str()),
        ("API_ERROR", "TYPEOF not supported in Bulk Query")
    );
}
