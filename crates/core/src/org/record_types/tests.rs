use super::*;
use crate::ingest::ParentLookup;
use crate::schema::{Schema, parse_describe};

const THING: &str = r#"{"name":"Thing__c","keyPrefix":"a07","fields":[
    {"name":"Id","type":"id","createable":false,"updateable":false,"nillable":false},
    {"name":"RecordTypeId","type":"reference","referenceTo":["RecordType"],"relationshipName":"RecordType"},
    {"name":"Stage__c","label":"Stage","type":"picklist","restrictedPicklist":true,"picklistValues":[
        {"value":"New"},{"value":"Won"},{"value":"Lost"}]},
    {"name":"Tags__c","label":"Tags","type":"multipicklist","restrictedPicklist":true,"picklistValues":[
        {"value":"a"},{"value":"b"}]},
    {"name":"Note__c","label":"Note","type":"picklist","picklistValues":[{"value":"x"}]}],
  "recordTypeInfos":[
    {"developerName":"Retail","defaultRecordTypeMapping":true,"picklistsForRecordType":[
        {"picklistName":"Stage__c","picklistValues":[{"value":"New"},{"value":"Won","defaultValue":true}]},
        {"picklistName":"Tags__c","picklistValues":[{"value":"a","defaultValue":true}]},
        {"picklistName":"Note__c","picklistValues":[{"value":"x"}]}]},
    {"developerName":"Master","defaultRecordTypeMapping":false}]}"#;

fn thing() -> SObject {
    parse_describe(THING, None).unwrap()
}

fn row(id15: &str, object: &str, developer_name: &str, name: &str, active: bool) -> RecordTypeRow {
    RecordTypeRow {
        id: SfId::parse(id15).unwrap(),
        sobject_type: object.to_owned(),
        developer_name: developer_name.to_owned(),
        name: name.to_owned(),
        active,
    }
}

fn retail() -> RecordTypeRow {
    row("012000000000001", "Thing__c", "Retail", "Retail", true)
}

fn wholesale() -> RecordTypeRow {
    row(
        "012000000000002",
        "Thing__c",
        "Wholesale",
        "Bulk Buyers",
        true,
    )
}

fn retired() -> RecordTypeRow {
    row("012000000000003", "Thing__c", "Retired", "Retired", false)
}

fn other_object() -> RecordTypeRow {
    row("012000000000004", "Account", "Retail", "Retail", true)
}

fn types() -> ObjectRecordTypes {
    ObjectRecordTypes::new(&thing(), [retail(), wholesale(), retired(), other_object()])
}

fn values_with(object: &SObject, cells: &[(&str, &str)]) -> RowValues {
    let mut values = RowValues::default();
    for (name, text) in cells {
        values.set(
            object.field_index(name).unwrap(),
            Value::Text((*text).to_owned()),
        );
    }
    values
}

#[test]
fn the_default_is_the_declared_active_record_type_else_master() {
    assert_eq!(types().default_id(), Some(retail().id));
    let retail_inactive = RecordTypeRow {
        active: false,
        ..retail()
    };
    let without = ObjectRecordTypes::new(&thing(), [retail_inactive, wholesale()]);
    assert_eq!(
        without.default_id(),
        None,
        "an inactive default is no default"
    );
    let builtin = Schema::builtin();
    let account = builtin.object("Account").unwrap();
    assert_eq!(
        ObjectRecordTypes::new(account, [other_object()]).default_id(),
        None
    );
}

#[test]
fn a_named_record_type_must_be_an_active_one_of_the_object() {
    let object = thing();
    let types = types();
    let field = object.field_index("RecordTypeId").unwrap();
    let mut ok = values_with(&object, &[("RecordTypeId", "012000000000002")]);
    types.apply(&object, &mut ok, false).unwrap();
    assert_eq!(
        ok.get(field),
        Some(&Value::Text("012000000000002AAA".into())),
        "stored as the 18-character id"
    );
    let mut master = values_with(&object, &[("RecordTypeId", MASTER_RECORD_TYPE_ID)]);
    types.apply(&object, &mut master, true).unwrap();
    assert_eq!(master.get(field), Some(&Value::Null));
    for refused in ["012000000000003", "012000000000004", "012000000000009"] {
        let mut values = values_with(&object, &[("RecordTypeId", refused)]);
        let error = types.apply(&object, &mut values, true).unwrap_err();
        let id18 = SfId::parse(refused).unwrap();
        assert_eq!(
            error.to_string(),
            format!(
                "INVALID_CROSS_REFERENCE_KEY:Record Type ID: this ID value isn't valid for the user: {}:RecordTypeId --",
                id18.as_str()
            )
        );
    }
}

#[test]
fn a_developer_name_lookup_resolves_among_the_objects_record_types() {
    let object = thing();
    let types = types();
    let field = object.field_index("RecordTypeId").unwrap();
    let lookup = |value: &str| RowValues {
        assignments: Vec::new(),
        lookups: vec![ParentLookup {
            lookup_field: field,
            parent_object: "RecordType".into(),
            parent_field: "DeveloperName".into(),
            value: value.into(),
        }],
    };
    let mut values = lookup("wholesale");
    types.apply(&object, &mut values, true).unwrap();
    assert!(values.lookups.is_empty());
    assert_eq!(
        values.get(field),
        Some(&Value::Text("012000000000002AAA".into()))
    );
    let mut inactive = lookup("Retired");
    assert_eq!(
        types
            .apply(&object, &mut inactive, true)
            .unwrap_err()
            .to_string(),
        "INVALID_CROSS_REFERENCE_KEY:Record Type ID: this ID value isn't valid for the user: 012000000000003AAA:RecordTypeId --"
    );
    let mut unknown = lookup("Nope");
    assert_eq!(
        types
            .apply(&object, &mut unknown, true)
            .unwrap_err()
            .to_string(),
        "INVALID_FIELD:Foreign key external ID: Nope not found for field DeveloperName in entity RecordType:--"
    );
}

#[test]
fn restricted_picklists_offer_only_the_record_types_values() {
    let object = thing();
    let types = types();
    let mut won = values_with(&object, &[("Stage__c", "Won"), ("Tags__c", "a")]);
    types.apply(&object, &mut won, true).unwrap();
    let mut lost = values_with(&object, &[("Stage__c", "Lost")]);
    assert_eq!(
        types
            .apply(&object, &mut lost, true)
            .unwrap_err()
            .to_string(),
        "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST:Stage: bad value for restricted picklist field: Lost:Stage__c --"
    );
    let mut tags = values_with(&object, &[("Tags__c", "a;b")]);
    assert_eq!(
        types.apply(&object, &mut tags, true).unwrap_err().code,
        "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"
    );
    let mut update = values_with(&object, &[("Stage__c", "Lost")]);
    types.apply(&object, &mut update, false).unwrap();
    let mut wholesale = values_with(
        &object,
        &[("Stage__c", "Lost"), ("RecordTypeId", "012000000000002")],
    );
    types.apply(&object, &mut wholesale, true).unwrap();
    let mut unrestricted = values_with(&object, &[("Note__c", "free text")]);
    types.apply(&object, &mut unrestricted, true).unwrap();
}

#[test]
fn an_insert_gets_its_record_types_picklist_defaults_for_what_it_leaves_out() {
    let object = thing();
    let types = types();
    let stage = object.field_index("Stage__c").unwrap();
    let tags = object.field_index("Tags__c").unwrap();
    let mut unnamed = RowValues::default();
    types.fill_picklist_defaults(&object, &mut unnamed);
    assert_eq!(
        (unnamed.get(stage), unnamed.get(tags)),
        (
            Some(&Value::Text("Won".into())),
            Some(&Value::Text("a".into()))
        ),
        "the default record type's defaults"
    );
    let mut given = values_with(&object, &[("Stage__c", "New")]);
    types.fill_picklist_defaults(&object, &mut given);
    assert_eq!(
        given.get(stage),
        Some(&Value::Text("New".into())),
        "a value given wins"
    );
    let mut wholesale = values_with(&object, &[("RecordTypeId", "012000000000002")]);
    types.fill_picklist_defaults(&object, &mut wholesale);
    assert_eq!(wholesale.get(stage), None, "Wholesale declares no defaults");
    let mut master = RowValues::default();
    master.set(object.field_index("RecordTypeId").unwrap(), Value::Null);
    types.fill_picklist_defaults(&object, &mut master);
    assert_eq!(
        master.get(stage),
        None,
        "the master record type declares none"
    );
}

#[test]
fn describe_lists_record_types_by_name_then_master() {
    let infos = types().describe_infos("62.0");
    let names: Vec<&str> = infos
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["developerName"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Wholesale", "Retail", "Retired", "Master"]);
    assert_eq!(
        infos[1],
        json!({"active": true, "available": true, "defaultRecordTypeMapping": true,
            "developerName": "Retail", "master": false, "name": "Retail",
            "recordTypeId": "012000000000001AAA",
            "urls": {"layout": "/services/data/v62.0/sobjects/Thing__c/describe/layouts/012000000000001AAA"}})
    );
    assert_eq!(infos[2]["available"], false);
    assert_eq!(infos[3]["master"], true);
    assert_eq!(infos[3]["defaultRecordTypeMapping"], false);
    let alone = ObjectRecordTypes::new(&thing(), []).describe_infos("62.0");
    assert_eq!(
        alone,
        json!([{"active": true, "available": true, "defaultRecordTypeMapping": true,
            "developerName": "Master", "master": true, "name": "Master",
            "recordTypeId": "012000000000000AAA",
            "urls": {"layout": "/services/data/v62.0/sobjects/Thing__c/describe/layouts/012000000000000AAA"}}])
    );
}

#[test]
fn rows_come_from_query_values() {
    let values = [
        Value::Text("012000000000001AAA".into()),
        Value::Text("Thing__c".into()),
        Value::Text("Retail".into()),
        Value::Text("Retail".into()),
        Value::Integer(1),
    ];
    assert_eq!(RecordTypeRow::from_values(&values), Some(retail()));
    assert_eq!(RecordTypeRow::from_values(&[Value::Null]), None);
    assert_eq!(
        RecordTypeRow::soql_for("Thing__c"),
        "SELECT Id, SobjectType, DeveloperName, Name, IsActive FROM RecordType WHERE SobjectType = 'Thing__c'"
    );
}

#[test]
fn custom_objects_can_have_record_types_in_any_file_order() {
    let sobject_types = |schema: &Schema| -> Vec<(String, Option<String>)> {
        schema
            .object(RECORD_TYPE_OBJECT)
            .unwrap()
            .field(SOBJECT_TYPE_FIELD)
            .unwrap()
            .picklist_values
            .iter()
            .map(|p| (p.value.clone(), p.label.clone()))
            .collect()
    };
    let mut schema = Schema::builtin();
    let standard = sobject_types(&schema).len();
    schema
        .merge_describe(r#"{"name":"Broker__c","label":"Broker","custom":true,"fields":[]}"#)
        .unwrap();
    let types = sobject_types(&schema);
    assert_eq!(types.len(), standard + 1);
    assert!(types.contains(&("Broker__c".to_owned(), Some("Broker".to_owned()))));
    assert!(
        types
            .windows(2)
            .all(|w| w[0].0.to_lowercase() <= w[1].0.to_lowercase()),
        "in name order: {types:?}"
    );
    let broker = schema.object("Broker__c").unwrap();
    assert_eq!(broker.field(RECORD_TYPE_FIELD), Some(&record_type_field()));
    assert!(objects_with_record_types(&schema).contains(&"Broker__c".to_owned()));

    // A RecordType describe file merged after the custom object replaces the picklist; the custom
    // object stays offered. A file merging fields into the custom object keeps its RecordTypeId.
    schema
        .merge_describe(
            r#"{"name":"RecordType","fields":[{"name":"SobjectType","type":"picklist","restrictedPicklist":true,
                "picklistValues":[{"value":"Account"}]}]}"#,
        )
        .unwrap();
    assert_eq!(
        sobject_types(&schema),
        [
            ("Account".to_owned(), None),
            ("Broker__c".to_owned(), Some("Broker".to_owned()))
        ]
    );
    schema
        .merge_describe(r#"{"name":"Broker__c","fields":[{"name":"Region__c","type":"string"}]}"#)
        .unwrap();
    assert!(
        schema
            .object("Broker__c")
            .unwrap()
            .field(RECORD_TYPE_FIELD)
            .is_some()
    );
    assert!(
        schema
            .object("Account")
            .unwrap()
            .field(RECORD_TYPE_FIELD)
            .is_some(),
        "standard objects keep theirs"
    );
    assert!(
        schema
            .object("User")
            .unwrap()
            .field(RECORD_TYPE_FIELD)
            .is_none(),
        "a standard object without record types gains none"
    );
}
