use super::*;
use crate::csv::RecordReader;

fn rows(text: &str) -> (Vec<String>, Vec<Record>) {
    let mut reader = RecordReader::new(text.as_bytes(), b',', 0);
    let mut header = Record::default();
    reader.read(&mut header).unwrap();
    let names = header
        .iter()
        .map(|c| String::from_utf8(c.to_vec()).unwrap())
        .collect();
    let mut out = Vec::new();
    let mut rec = Record::default();
    while reader.read(&mut rec).unwrap() {
        out.push(rec.clone());
    }
    (names, out)
}

fn plan(
    object: &str,
    op: Operation,
    ext: Option<&str>,
    header: &[String],
) -> Result<IngestPlan, String> {
    let mut schema = Schema::builtin();
    schema
        .merge_describe(r#"{"name":"Account","fields":[{"name":"Ext__c","type":"string","length":20,"externalId":true,"nillable":true}]}"#)
        .unwrap();
    let o = schema.object(object).unwrap().clone();
    IngestPlan::new(&schema, o, op, ext, header)
}

#[test]
fn unknown_columns_fail_the_job_with_salesforce_text() {
    let (header, _) = rows("Name,Employees\n");
    let err = plan("Account", Operation::Insert, None, &header).unwrap_err();
    assert_eq!(err, "InvalidBatch : Field name not found : Employees");
    let (header, _) = rows("LastName,Name\n");
    assert!(
        plan("Contact", Operation::Insert, None, &header).is_err(),
        "person Name is not writable"
    );
}

#[test]
fn insert_rows_get_defaults_and_required_checks() {
    let (header, recs) = rows("name,NumberOfEmployees,Rating\nAcme,12,#N/A\n,3,\n");
    let p = plan("Account", Operation::Insert, None, &header).unwrap();
    let RowOp::Insert(values) = p.build_row(&recs[0]).unwrap() else {
        panic!()
    };
    let account = p.object().clone();
    assert_eq!(
        values.get(account.field_index("Name").unwrap()),
        Some(&Value::Text("Acme".into()))
    );
    assert_eq!(
        values.get(account.field_index("Rating").unwrap()),
        Some(&Value::Null)
    );
    let err = p.build_row(&recs[1]).unwrap_err();
    assert_eq!(
        err.error.to_string(),
        "REQUIRED_FIELD_MISSING:Required fields are missing: [Name]:Name --"
    );
}

#[test]
fn update_rows_check_ids_and_writability() {
    let (header, recs) = rows(
        "Id,Name,CreatedDate\n001D000000IqhSL,,\n003D000000IqhSL,x,\nabc,x,\n001D000000IqhSL,x,2020-01-01\n",
    );
    let p = plan("Account", Operation::Update, None, &header).unwrap();
    let RowOp::Update { id, values } = p.build_row(&recs[0]).unwrap() else {
        panic!()
    };
    assert_eq!(id.as_str(), "001D000000IqhSLIAZ");
    assert!(
        values.assignments.is_empty(),
        "empty cells leave fields unchanged"
    );
    assert_eq!(
        p.build_row(&recs[1]).unwrap_err().error.to_string(),
        "MALFORMED_ID:Account ID: id value of incorrect type: 003D000000IqhSL:Id --"
    );
    assert_eq!(
        p.build_row(&recs[2]).unwrap_err().error.to_string(),
        "MALFORMED_ID:malformed id abc:--"
    );
    assert_eq!(
        p.build_row(&recs[3]).unwrap_err().error.code,
        "INVALID_FIELD_FOR_INSERT_UPDATE"
    );
}

#[test]
fn upsert_rows_carry_their_key_and_relationship_columns_resolve() {
    let (header, recs) = rows("Ext__c,Name,Parent.Ext__c\nk1,Acme,p1\n,Acme,\n");
    let p = plan("Account", Operation::Upsert, Some("Ext__c"), &header).unwrap();
    let RowOp::Upsert { key, values } = p.build_row(&recs[0]).unwrap() else {
        panic!()
    };
    assert!(matches!(key, UpsertKey::External { ref text, .. } if text == "k1"));
    assert_eq!(values.lookups[0].parent_field, "Ext__c");
    assert_eq!(
        p.build_row(&recs[1]).unwrap_err().error.code,
        "MISSING_ARGUMENT"
    );
}

#[test]
fn upsert_on_id_without_an_id_column_inserts_every_row() {
    let (header, recs) = rows("Name\nAcme\n");
    for key in ["Id", "id"] {
        let p = plan("Account", Operation::Upsert, Some(key), &header).unwrap();
        let RowOp::Upsert { key, values } = p.build_row(&recs[0]).unwrap() else {
            panic!()
        };
        assert_eq!(key, UpsertKey::Id(None));
        assert_eq!(values.assignments.len(), 1);
    }
    assert_eq!(
        plan("Account", Operation::Upsert, Some("Ext__c"), &header).unwrap_err(),
        "InvalidBatch : The external id field Ext__c is not in the header"
    );
}

#[test]
fn parent_objects_are_the_targets_of_the_lookup_columns_used() {
    let (header, _) = rows("LastName,AccountId,Owner.Username,ReportsToId,Email\n");
    let p = plan("Contact", Operation::Insert, None, &header).unwrap();
    assert_eq!(p.parent_objects(), ["Account", "Contact", "User"]);
    let (header, _) = rows("Name,Parent.Ext__c\n");
    let p = plan("Account", Operation::Insert, None, &header).unwrap();
    assert_eq!(p.parent_objects(), ["Account"]);
    let (header, _) = rows("Name\n");
    let p = plan("Account", Operation::Insert, None, &header).unwrap();
    assert!(p.parent_objects().is_empty());
}

#[test]
fn echo_normalises_doubles_only() {
    let (header, _) = rows("Name,AnnualRevenue\n");
    let p = plan("Account", Operation::Insert, None, &header).unwrap();
    assert_eq!(&*p.echo(1, b"912260031"), b"9.12260031E8");
    assert_eq!(&*p.echo(0, b"912260031"), b"912260031");
}
