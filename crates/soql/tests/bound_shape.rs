//! The parts of the bound query the canonical rendering does not show: hops (reference fields and target
//! objects), headers, literal types, subquery and INCLUDES structure, and the query predicates the store
//! relies on.

mod common;

use bulkforce_soql::Mode;
use bulkforce_soql::bound::*;
use common::compile_in;

fn bulk(soql: &str) -> Query {
    compile_in(soql, Mode::BulkQuery).unwrap_or_else(|e| panic!("{soql}: {e}"))
}

fn rest(soql: &str) -> Query {
    compile_in(soql, Mode::Rest).unwrap_or_else(|e| panic!("{soql}: {e}"))
}

fn field_path(query: &Query, index: usize) -> &FieldPath {
    match &query.select[index] {
        SelectItem::Field(path) => path,
        other => panic!("{other:?}"),
    }
}

/// (from, reference field, relationship, to) of each hop.
fn hops(path: &FieldPath) -> Vec<(String, String, String, String)> {
    path.hops
        .iter()
        .map(|h| {
            (
                h.from.name.clone(),
                h.reference_field.clone(),
                h.relationship.clone(),
                h.to.name.clone(),
            )
        })
        .collect()
}

fn hop(from: &str, field: &str, relationship: &str, to: &str) -> (String, String, String, String) {
    (from.into(), field.into(), relationship.into(), to.into())
}

#[test]
fn hops_name_the_reference_field_and_both_objects() {
    let q = bulk("select account.owner.manager.name from contact");
    let path = field_path(&q, 0);
    assert_eq!(
        hops(path),
        [
            hop("Contact", "AccountId", "Account", "Account"),
            hop("Account", "OwnerId", "Owner", "User"),
            hop("User", "ManagerId", "Manager", "User"),
        ]
    );
    assert_eq!(path.field.name, "Name");
    assert_eq!(path.header(), "Account.Owner.Manager.Name");

    let q = bulk("SELECT Account__r.Owner.Email FROM Project__c");
    assert_eq!(
        hops(field_path(&q, 0)),
        [
            hop("Project__c", "Account__c", "Account__r", "Account"),
            hop("Account", "OwnerId", "Owner", "User"),
        ]
    );

    // A polymorphic lookup reaches the Name object, knowing every target it may be of; a lookup with
    // one target the schema has is an ordinary one.
    let q = bulk("SELECT Partner__r.Name FROM Account");
    assert_eq!(
        hops(field_path(&q, 0)),
        [hop("Account", "Partner__c", "Partner__r", "Name")]
    );
    let polymorphic = field_path(&q, 0).hops[0].polymorphic.as_ref().unwrap();
    let targets: Vec<&str> = polymorphic
        .targets
        .iter()
        .map(|t| t.name.as_str())
        .collect();
    assert_eq!(targets, ["Account", "Contact"]);
    assert_eq!(polymorphic.branch, Branch::Name);
    let q = bulk("SELECT Assignee__r.Name FROM Ticket__c");
    assert_eq!(
        hops(field_path(&q, 0)),
        [hop("Ticket__c", "Assignee__c", "Assignee__r", "User")]
    );
}

#[test]
fn five_hops_is_the_limit() {
    let q = bulk("SELECT Account.Owner.Manager.Manager.Manager.Username FROM Contact");
    assert_eq!(field_path(&q, 0).hops.len(), 5);
    let e = compile_in(
        "SELECT Account.Owner.Manager.Manager.Manager.Manager.Username FROM Contact",
        Mode::BulkQuery,
    )
    .unwrap_err();
    assert_eq!(e.code, "MALFORMED_QUERY");
}

#[test]
fn headers_follow_the_select_list() {
    let q = rest(
        "SELECT Industry, COUNT(Id), SUM(AnnualRevenue) total, CALENDAR_YEAR(CreatedDate) FROM Account GROUP BY Industry, CALENDAR_YEAR(CreatedDate)",
    );
    assert_eq!(q.headers(), ["Industry", "expr0", "total", "expr1"]);
    assert!(q.is_aggregate());
    assert!(!q.is_count_only());

    let q = bulk("SELECT id, account.NAME, Owner.Name FROM contact");
    assert_eq!(q.headers(), ["Id", "Account.Name", "Owner.Name"]);
    assert!(!q.is_aggregate());
    assert_eq!(q.object.name, "Contact");
}

#[test]
fn count_only() {
    let q = rest("SELECT COUNT() FROM Account WHERE Name LIKE 'a%'");
    assert!(q.is_count_only());
    assert!(q.is_aggregate());
    assert_eq!(
        q.select,
        [SelectItem::Aggregate {
            function: AggregateFunction::Count,
            argument: None,
            alias: "expr0".into()
        }]
    );
    assert!(!rest("SELECT COUNT(Id) FROM Account").is_count_only());
}

fn compare_value(soql: &str) -> Value {
    match bulk(soql).filter {
        Some(Condition::Compare { right, .. }) => right,
        other => panic!("{soql}: {other:?}"),
    }
}

#[test]
fn literals_take_the_type_of_the_field() {
    use Literal::*;
    let cases: [(&str, Literal); 9] = [
        (
            "SELECT Id FROM Account WHERE NumberOfEmployees = 10",
            Integer(10),
        ),
        (
            "SELECT Id FROM Account WHERE NumberOfEmployees = 1e1",
            Integer(10),
        ),
        (
            "SELECT Id FROM Account WHERE AnnualRevenue = 10",
            Decimal(10.0),
        ),
        (
            "SELECT Id FROM Opportunity WHERE Probability = 12.5",
            Decimal(12.5),
        ),
        (
            "SELECT Id FROM Account WHERE IsDeleted = true",
            Boolean(true),
        ),
        ("SELECT Id FROM Account WHERE Name = 'x'", Text("x".into())),
        (
            "SELECT Id FROM Account WHERE OwnerId = '0050g000000001b'",
            Text("0050g000000001bAAA".into()),
        ),
        (
            "SELECT Id FROM Opportunity WHERE CloseDate = 2024-02-29",
            Date(chrono::NaiveDate::from_ymd_opt(2024, 2, 29).unwrap()),
        ),
        ("SELECT Id FROM Account WHERE Name = NULL", Null),
    ];
    for (soql, literal) in cases {
        assert_eq!(compare_value(soql), Value::Literal(literal), "{soql}");
    }
    let Value::Literal(DateTime(at)) =
        compare_value("SELECT Id FROM Account WHERE CreatedDate = 2024-03-10T10:05:00+01:00")
    else {
        panic!()
    };
    assert_eq!(at.to_rfc3339(), "2024-03-10T09:05:00+00:00");
}

#[test]
fn operands_and_operators() {
    let q = bulk("SELECT Id FROM Account WHERE DAY_ONLY(CreatedDate) <= 2024-01-31");
    let Some(Condition::Compare { left, op, .. }) = q.filter else {
        panic!()
    };
    assert_eq!(op, ComparisonOp::Le);
    let Operand::DateFunction(DateFunction::DayOnly, path) = left else {
        panic!("{left:?}")
    };
    assert_eq!(path.field.name, "CreatedDate");

    let q = rest("SELECT Industry FROM Account GROUP BY Industry HAVING COUNT_DISTINCT(Type) > 1");
    let Some(Condition::Compare { left, right, .. }) = q.having else {
        panic!()
    };
    assert!(matches!(
        left,
        Operand::Aggregate(AggregateFunction::CountDistinct, Some(_))
    ));
    assert_eq!(right, Value::Literal(Literal::Integer(1)));
}

#[test]
fn semi_join_structure() {
    let q = bulk(
        "SELECT Id FROM Account WHERE Id NOT IN (SELECT AccountId FROM Contact WHERE Email != NULL)",
    );
    let Some(Condition::InSubquery {
        left,
        negated,
        subquery,
    }) = q.filter
    else {
        panic!()
    };
    assert!(negated);
    assert_eq!(left.header(), "Id");
    assert_eq!(subquery.object.name, "Contact");
    assert_eq!(subquery.headers(), ["AccountId"]);
    assert!(subquery.filter.is_some());
}

#[test]
fn includes_sets() {
    let q = bulk("SELECT Id FROM Account WHERE Tags__c INCLUDES ('a;b', 'c', ' d ;e ')");
    let Some(Condition::Includes {
        left,
        negated,
        sets,
    }) = q.filter
    else {
        panic!()
    };
    assert_eq!(left.field.name, "Tags__c");
    assert!(!negated);
    assert_eq!(sets, [vec!["a", "b"], vec!["c"], vec!["d", "e"]]);
}

#[test]
fn like_patterns_keep_their_escapes() {
    let q = bulk(r"SELECT Id FROM Account WHERE Name LIKE '50\% off\_%\\' ");
    let Some(Condition::Like { pattern, .. }) = q.filter else {
        panic!()
    };
    assert_eq!(pattern, r"50\% off\_%\\");
}

#[test]
fn order_keys_default_nulls_by_direction() {
    let q = bulk(
        "SELECT Id FROM Account ORDER BY Name, Industry DESC, Type ASC NULLS LAST, Site DESC NULLS FIRST",
    );
    let keys: Vec<(bool, bool)> = q
        .order_by
        .iter()
        .map(|k| (k.descending, k.nulls_first))
        .collect();
    assert_eq!(
        keys,
        [(false, true), (true, false), (false, false), (true, true)]
    );
}

#[test]
fn fields_standard_is_every_stored_standard_field() {
    let q = bulk("SELECT FIELDS(STANDARD) FROM Contact");
    let headers = q.headers();
    assert!(headers.contains(&"FirstName".to_owned()));
    assert!(headers.contains(&"LastName".to_owned()));
    // The person Name is derived, not stored.
    assert!(!headers.contains(&"Name".to_owned()));

    let q = bulk("SELECT FIELDS(STANDARD) FROM Account");
    let headers = q.headers();
    // Custom fields and compound fields are not standard stored fields.
    assert!(!headers.iter().any(|h| h.ends_with("__c")));
    assert!(!headers.contains(&"BillingAddress".to_owned()));
    assert_eq!(headers.first().map(String::as_str), Some("Id"));
    // The 57 stored standard fields of the built-in Account, and RecordTypeId where the schema gives it.
    assert_eq!(headers.iter().filter(|h| *h != "RecordTypeId").count(), 57);
    assert!(headers.contains(&"JigsawCompanyId".to_owned()));
}

#[test]
fn limit_and_offset() {
    let q = rest("SELECT Id FROM Account LIMIT 7 OFFSET 3");
    assert_eq!((q.limit, q.offset), (Some(7), Some(3)));
    let q = bulk("SELECT Id FROM Account");
    assert_eq!((q.limit, q.offset), (None, None));
}
