use super::*;
use crate::ingest::UpsertKey;
use crate::value::Value as Stored;
use serde_json::json;

fn schema() -> Schema {
    let mut schema = Schema::builtin();
    schema
        .merge_describe(r#"{"name":"Account","fields":[{"name":"Ext__c","type":"string","length":20,"externalId":true,"nillable":true}]}"#)
        .unwrap();
    schema
}

fn record(body: serde_json::Value) -> JsonRecord {
    JsonRecord::from_json(body.as_object().unwrap())
}

fn build_on(
    object: &str,
    write: RestWrite<'_>,
    body: serde_json::Value,
) -> Result<RestRow, RowFailure> {
    let schema = schema();
    let object = schema.object(object).unwrap().clone();
    build(&schema, &object, write, &record(body))
}

fn error(object: &str, write: RestWrite<'_>, body: serde_json::Value) -> RowError {
    build_on(object, write, body).unwrap_err().error
}

fn field(row: &RestRow, name: &str) -> Option<Stored> {
    let (RowOp::Insert(values) | RowOp::Update { values, .. } | RowOp::Upsert { values, .. }) =
        &row.op
    else {
        panic!("no values")
    };
    values
        .get(row.plan.object().field_index(name).unwrap())
        .cloned()
}

const ACCOUNT_ID: &str = "001D000000IqhSLIAZ";

#[test]
fn attributes_are_dropped_but_their_type_is_kept() {
    let r = record(json!({"attributes": {"type": "Account", "url": "/x"}, "Name": "Acme"}));
    assert_eq!(r.type_name(), Some("Account"));
    assert_eq!(r.names().collect::<Vec<_>>(), ["Name"]);
    assert_eq!(r.get("name"), Some(&json!("Acme")));
}

#[test]
fn a_create_types_values_as_bulk_and_fills_defaults() {
    let row = build_on(
        "Account",
        RestWrite::Create,
        json!({"Name": "Acme", "NumberOfEmployees": 12, "AnnualRevenue": "1.5e3", "Rating": null}),
    )
    .unwrap();
    assert!(matches!(row.op, RowOp::Insert(_)));
    assert_eq!(field(&row, "Name"), Some(Stored::Text("Acme".into())));
    assert_eq!(field(&row, "NumberOfEmployees"), Some(Stored::Integer(12)));
    assert_eq!(field(&row, "AnnualRevenue"), Some(Stored::Real(1500.0)));
    assert_eq!(field(&row, "Rating"), Some(Stored::Null));
    let row = build_on(
        "Contact",
        RestWrite::Create,
        json!({"LastName": "Doe", "DoNotCall": true}),
    )
    .unwrap();
    assert_eq!(field(&row, "DoNotCall"), Some(Stored::Integer(1)));
    assert_eq!(
        field(&row, "HasOptedOutOfFax"),
        Some(Stored::Integer(0)),
        "booleans default to false"
    );
}

#[test]
fn row_rules_give_bulk_codes() {
    let e = error(
        "Account",
        RestWrite::Create,
        json!({"NumberOfEmployees": 3}),
    );
    assert_eq!(
        e.to_string(),
        "REQUIRED_FIELD_MISSING:Required fields are missing: [Name]:Name --"
    );
    let e = error(
        "Account",
        RestWrite::Create,
        json!({"Name": "x".repeat(256)}),
    );
    assert_eq!(e.code, "STRING_TOO_LONG");
    assert_eq!(e.fields, ["Name"]);
    let e = error("Account", RestWrite::Create, json!({"Name": ""}));
    assert_eq!(
        e.code, "REQUIRED_FIELD_MISSING",
        "an empty string clears, as null does"
    );
    let e = error(
        "Contact",
        RestWrite::Create,
        json!({"LastName": "D", "Email": "nope"}),
    );
    assert_eq!(e.code, "INVALID_EMAIL_ADDRESS");
    let e = error(
        "Contact",
        RestWrite::Create,
        json!({"LastName": "D", "AccountId": "003D000000IqhSL"}),
    );
    // An id of the wrong object in a lookup, as Salesforce's REST answers it (jsforce issue #1006).
    assert_eq!(e.code, "FIELD_INTEGRITY_EXCEPTION");
}

#[test]
fn unknown_and_read_only_fields_are_refused_as_rest_does() {
    let e = error(
        "Account",
        RestWrite::Create,
        json!({"Name": "A", "FavoritePet__c": "cat"}),
    );
    assert_eq!(e.code, "INVALID_FIELD");
    assert_eq!(
        e.message,
        "No such column 'FavoritePet__c' on sobject of type Account"
    );
    assert!(e.fields.is_empty());
    let e = error(
        "Account",
        RestWrite::Create,
        json!({"Name": "A", "IsDeleted": true}),
    );
    assert_eq!(e.code, "INVALID_FIELD_FOR_INSERT_UPDATE");
    assert_eq!(e.fields, ["IsDeleted"]);
    assert!(
        e.message
            .starts_with("Unable to create/update fields: IsDeleted. Please check")
    );
    let e = error(
        "Contact",
        RestWrite::Create,
        json!({"LastName": "D", "Name": "Full"}),
    );
    assert_eq!(
        e.code, "INVALID_FIELD_FOR_INSERT_UPDATE",
        "a derived name is read-only"
    );
}

#[test]
fn json_types_a_field_cannot_take_are_parser_errors() {
    let e = error(
        "Account",
        RestWrite::Create,
        json!({"Name": "A", "NumberOfEmployees": "N0100"}),
    );
    assert_eq!(e.code, JSON_PARSER_ERROR);
    assert_eq!(
        e.message,
        "Cannot deserialize instance of int from VALUE_STRING value N0100 or request may be missing a required field"
    );
    let e = error("Account", RestWrite::Create, json!({"Name": {"a": 1}}));
    assert_eq!(e.code, JSON_PARSER_ERROR);
    assert!(
        e.message.contains("instance of string from START_OBJECT"),
        "{}",
        e.message
    );
    let e = error("Account", RestWrite::Create, json!({"Name": ["a"]}));
    assert!(e.message.contains("from START_ARRAY"), "{}", e.message);
    let e = error(
        "Contact",
        RestWrite::Create,
        json!({"LastName": "D", "Birthdate": 5}),
    );
    assert!(
        e.message
            .contains("instance of date from VALUE_NUMBER_INT value 5"),
        "{}",
        e.message
    );
    let e = error(
        "Contact",
        RestWrite::Create,
        json!({"LastName": "D", "DoNotCall": "maybe"}),
    );
    assert_eq!(e.code, JSON_PARSER_ERROR);
}

#[test]
fn strings_convert_to_typed_fields() {
    let row = build_on(
        "Contact",
        RestWrite::Create,
        json!({"LastName": "D", "Birthdate": "1980-02-03", "DoNotCall": "true", "Title": 42}),
    )
    .unwrap();
    assert_eq!(
        field(&row, "Birthdate"),
        Some(Stored::Text("1980-02-03".into()))
    );
    assert_eq!(field(&row, "DoNotCall"), Some(Stored::Integer(1)));
    assert_eq!(
        field(&row, "Title"),
        Some(Stored::Text("42".into())),
        "a number is text for a text field"
    );
}

#[test]
fn an_update_targets_its_id_and_null_clears() {
    let id = SfId::parse(ACCOUNT_ID).unwrap();
    let row = build_on(
        "Account",
        RestWrite::Update(id),
        json!({"Id": "001D000000IqhSL", "Description": null, "Type": "Customer"}),
    )
    .unwrap();
    let RowOp::Update { id: target, values } = &row.op else {
        panic!()
    };
    assert_eq!(*target, id);
    assert_eq!(
        values.assignments.len(),
        2,
        "the body's own Id is the URL's: skipped"
    );
    assert_eq!(field(&row, "Description"), Some(Stored::Null));
    let failure = build_on("Account", RestWrite::Update(id), json!({"Name": null})).unwrap_err();
    assert_eq!(failure.id, Some(id));
    assert_eq!(failure.error.code, "REQUIRED_FIELD_MISSING");
    let e = error(
        "Account",
        RestWrite::Update(id),
        json!({"Id": "001D000000IqhSM"}),
    );
    assert_eq!(e.code, "INVALID_FIELD_FOR_INSERT_UPDATE");
    let e = error(
        "Account",
        RestWrite::Update(id),
        json!({"CreatedDate": "2020-01-01T00:00:00Z"}),
    );
    assert_eq!(e.code, "INVALID_FIELD_FOR_INSERT_UPDATE");
}

#[test]
fn relationship_objects_become_relationship_columns() {
    let row = build_on(
        "Contact",
        RestWrite::Create,
        json!({"LastName": "D", "Account": {"attributes": {"type": "Account"}, "Ext__c": "A-1"}}),
    )
    .unwrap();
    let RowOp::Insert(values) = &row.op else {
        panic!()
    };
    assert_eq!(values.lookups.len(), 1);
    assert_eq!(values.lookups[0].parent_object, "Account");
    assert_eq!(values.lookups[0].parent_field, "Ext__c");
    assert_eq!(values.lookups[0].value, "A-1");
    let row = build_on(
        "Account",
        RestWrite::Create,
        json!({"Name": "A", "Parent": {"Ext__c": 7}}),
    )
    .unwrap();
    let RowOp::Insert(values) = &row.op else {
        panic!()
    };
    assert_eq!(values.lookups[0].value, "7");
    let e = error(
        "Contact",
        RestWrite::Create,
        json!({"LastName": "D", "Buddy": {"Ext__c": "x"}}),
    );
    assert_eq!(
        e.message,
        "No such column 'Buddy' on sobject of type Contact"
    );
    let e = error(
        "Contact",
        RestWrite::Create,
        json!({"LastName": "D", "Account": {"Ext__c": "x", "Name": "y"}}),
    );
    assert_eq!(e.code, "INVALID_FIELD");
    let e = error(
        "Contact",
        RestWrite::Create,
        json!({"LastName": "D", "Account": {"Ext__c": {"x": 1}}}),
    );
    assert_eq!(e.code, JSON_PARSER_ERROR);
}

#[test]
fn upserts_key_on_their_field() {
    let mut r = record(json!({"Name": "Acme"}));
    r.set("ext__c", json!("K-1"));
    let schema = schema();
    let account = schema.object("Account").unwrap().clone();
    let row = build(&schema, &account, RestWrite::Upsert { field: "Ext__c" }, &r).unwrap();
    let RowOp::Upsert {
        key: UpsertKey::External { text, .. },
        ..
    } = &row.op
    else {
        panic!()
    };
    assert_eq!(text, "K-1");
    r.remove("EXT__C");
    let e = build(&schema, &account, RestWrite::Upsert { field: "Ext__c" }, &r).unwrap_err();
    assert_eq!(e.error.code, "MISSING_ARGUMENT", "{:?}", e.error);
    r.set("Ext__c", serde_json::Value::Null);
    let e = build(&schema, &account, RestWrite::Upsert { field: "Ext__c" }, &r).unwrap_err();
    assert_eq!(e.error.code, "MISSING_ARGUMENT");
}

#[test]
fn deletes_and_external_id_fields() {
    let schema = schema();
    let account = schema.object("Account").unwrap().clone();
    let id = SfId::parse(ACCOUNT_ID).unwrap();
    assert_eq!(delete(&schema, &account, id).op, RowOp::Delete { id });
    assert!(external_id_field(&account, "ext__c").is_some());
    assert!(external_id_field(&account, "Id").is_some());
    assert!(external_id_field(&account, "Name").is_none());
    assert!(external_id_field(&account, "Nope").is_none());
}
