//! What the project decides about records beyond rules and formulas: per-record-type picklist values,
//! auto-numbers, default values on insert, and deletes per `deleteConstraint` (master-detail cascade,
//! SetNull, Restrict).

use super::common::Server;
use super::*;
use reqwest::{Method, StatusCode};
use std::collections::HashMap;

/// The ids of Invoice__c's record types by developer name: the server creates the `RecordType` rows the
/// project declares in every org.
async fn record_types(s: &Server) -> HashMap<String, String> {
    let soql = "SELECT Id, DeveloperName FROM RecordType WHERE SobjectType = 'Invoice__c'";
    query(s, soql)
        .await
        .iter()
        .map(|r| {
            (
                r["DeveloperName"].as_str().unwrap().to_owned(),
                r["Id"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fresh_server_has_the_projects_record_types() {
    let s = serve().await;
    let soql = "SELECT DeveloperName, IsActive FROM RecordType WHERE SobjectType = 'Invoice__c' \
                ORDER BY DeveloperName";
    let rows: Vec<(String, bool)> = query(&s, soql)
        .await
        .iter()
        .map(|r| {
            (
                r["DeveloperName"].as_str().unwrap().to_owned(),
                r["IsActive"].as_bool().unwrap(),
            )
        })
        .collect();
    let expected = [("Domestic", true), ("Export", true), ("Legacy", false)]
        .map(|(name, active)| (name.to_owned(), active));
    assert_eq!(
        rows, expected,
        "one row per record type file, with its active flag"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_record_type_takes_only_its_picklist_values() {
    let s = serve().await;
    let org = org(&s).await;
    let types = record_types(&s).await;
    let (l, export, domestic, legacy) = (
        org.ledger.as_str(),
        types["Export"].as_str(),
        types["Domestic"].as_str(),
        types["Legacy"].as_str(),
    );
    let columns = "Ledger__c,Amount__c,Status__c,Region__c,RecordTypeId";
    let csv = format!(
        "{columns}\n\
         {l},10,Paid,EMEA,{export}\n\
         {l},10,Void,EMEA,{export}\n\
         {l},10,Draft,,{export}\n\
         {l},10,Paid,,{domestic}\n\
         {l},10,Draft,EMEA,{legacy}\n\
         {l},10,Draft,Mars,\n"
    );
    let (info, results) = s
        .run_complete(&json!({"object": "Invoice__c", "operation": "insert"}), csv)
        .await;
    assert_eq!(info["numberRecordsFailed"], 4, "{}", results.failed);
    assert_eq!(
        errors(&results.failed),
        [
            "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST:Status: bad value for restricted picklist field: Void:Status__c --"
                .to_owned(),
            rule_error("Export invoices need a region.", Some("Region__c")),
            format!(
                "INVALID_CROSS_REFERENCE_KEY:Record Type ID: this ID value isn't valid for the user: {legacy}:RecordTypeId --"
            ),
            "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST:Region: bad value for restricted picklist field: Mars:Region__c --"
                .to_owned(),
        ],
        "Export has no Void; $RecordType.DeveloperName is Export; Legacy is inactive; Region__c takes the global value set"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auto_numbers_follow_the_display_format_on_every_path() {
    let s = serve().await;
    let org = org(&s).await;
    s.insert("Invoice__c", &format!("Ledger__c\n{0}\n{0}\n", org.ledger))
        .await;
    let reply = call(
        &s,
        Method::POST,
        "/sobjects/Invoice__c",
        Some(json!({"Ledger__c": org.ledger})),
    )
    .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
    let names: Vec<Value> = query(&s, "SELECT Name FROM Invoice__c ORDER BY Name")
        .await
        .into_iter()
        .map(|r| r["Name"].clone())
        .collect();
    assert_eq!(
        names,
        [json!("INV-0001"), json!("INV-0002"), json!("INV-0003")]
    );
    s.insert("Ledger__c", "Name\nSecond\n").await;
    let numbers: Vec<Value> = query(
        &s,
        "SELECT Ledger_Number__c FROM Ledger__c ORDER BY Ledger_Number__c",
    )
    .await
    .into_iter()
    .map(|r| r["Ledger_Number__c"].clone())
    .collect();
    assert_eq!(
        numbers,
        [json!("L-00100"), json!("L-00101")],
        "an auto-number field starting at 100"
    );
    let name = describe_field(&s, "Invoice__c", "Name").await;
    assert_eq!(
        (&name["autoNumber"], &name["createable"]),
        (&json!(true), &json!(false)),
        "{name}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn defaults_fill_the_fields_an_insert_leaves_out() {
    let s = serve().await;
    let org = org(&s).await;
    let types = record_types(&s).await;
    s.insert("Invoice__c", &format!("Ledger__c\n{}\n", org.ledger))
        .await;
    s.insert(
        "Invoice__c",
        &format!(
            "Ledger__c,Quantity__c,Currency_Code__c\n{},5,USD\n",
            org.ledger
        ),
    )
    .await;
    let reply = call(
        &s,
        Method::POST,
        "/sobjects/Invoice__c",
        Some(
            json!({"Ledger__c": org.ledger, "RecordTypeId": types["Export"], "Region__c": "EMEA"}),
        ),
    )
    .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
    let records = query(
        &s,
        "SELECT Quantity__c, Currency_Code__c, Issue_Date__c, Submitted_By__c, Paid__c, Status__c, Channel__c, \
         CreatedDate, CreatedById FROM Invoice__c ORDER BY Name",
    )
    .await;
    let first = &records[0];
    assert_eq!(number(&first["Quantity__c"]), Some(1.0), "{first}");
    assert_eq!(first["Currency_Code__c"], "EUR");
    let created = first["CreatedDate"].as_str().unwrap();
    assert_eq!(
        first["Issue_Date__c"].as_str(),
        Some(&created[..10]),
        "TODAY() in UTC"
    );
    assert_eq!(first["Submitted_By__c"], first["CreatedById"], "$User.Id");
    assert_eq!(first["Paid__c"], false);
    assert_eq!(first["Status__c"], "Draft", "the picklist's default value");
    assert_eq!(
        first["Channel__c"],
        Value::Null,
        "no default on the master record type"
    );
    let second = &records[1];
    assert_eq!(
        (number(&second["Quantity__c"]), &second["Currency_Code__c"]),
        (Some(5.0), &json!("USD")),
        "a value given wins"
    );
    assert_eq!(
        records[2]["Channel__c"], "Partner & Reseller",
        "the Export record type's default (URL-encoded in its file)"
    );
    let ledger = query(&s, "SELECT Active__c FROM Ledger__c").await;
    assert_eq!(ledger[0]["Active__c"], true);
    let account = query(
        &s,
        "SELECT Credit_Limit__c FROM Account WHERE Name = 'Acme'",
    )
    .await;
    assert_eq!(number(&account[0]["Credit_Limit__c"]), Some(5000.0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deletes_follow_each_relationships_delete_constraint() {
    let s = serve().await;
    let org = org(&s).await;
    s.insert(
        "Invoice__c",
        &format!(
            "Ledger__c,Account__c,Billing_Contact__c\n{0},{1},{2}\n{0},{1},\n",
            org.ledger, org.account, org.contact
        ),
    )
    .await;

    let reply = call(
        &s,
        Method::DELETE,
        &format!("/sobjects/Contact/{}", org.contact),
        None,
    )
    .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.text());
    assert_eq!(
        reply.json(),
        json!([{"errorCode": "DELETE_FAILED", "fields": [], "message":
            "Your attempt to delete Ada Lovelace could not be completed because it is associated with the following invoices.: INV-0001\n"}]),
        "Billing_Contact__c restricts the delete"
    );

    let (info, results) = s
        .run_complete(
            &json!({"object": "Account", "operation": "delete"}),
            format!("Id\n{}\n", org.account),
        )
        .await;
    assert_eq!(info["numberRecordsFailed"], 0, "{}", results.failed);
    let invoices = query(&s, "SELECT Name, Account__c FROM Invoice__c ORDER BY Name").await;
    assert_eq!(
        invoices,
        [
            json!({"Name": "INV-0001", "Account__c": null}),
            json!({"Name": "INV-0002", "Account__c": null})
        ],
        "Account__c is SetNull: the invoices stay, their lookup cleared"
    );

    let reply = call(
        &s,
        Method::DELETE,
        &format!("/sobjects/Ledger__c/{}", org.ledger),
        None,
    )
    .await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT, "{}", reply.text());
    assert_eq!(
        s.count("Invoice__c", false).await,
        0,
        "the master-detail cascades"
    );
    assert_eq!(s.count("Invoice__c", true).await, 2, "to the recycle bin");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn describe_carries_the_projects_relationships_and_value_sets() {
    let s = serve().await;
    let ledger = describe_field(&s, "Invoice__c", "Ledger__c").await;
    assert_eq!(
        json!([
            ledger["type"],
            ledger["referenceTo"],
            ledger["relationshipName"],
            ledger["cascadeDelete"]
        ]),
        json!(["reference", ["Ledger__c"], "Ledger__r", true])
    );
    let contact = describe_field(&s, "Invoice__c", "Billing_Contact__c").await;
    assert_eq!(contact["restrictedDelete"], true, "{contact}");
    let region = describe_field(&s, "Invoice__c", "Region__c").await;
    let values: Vec<(&str, bool)> = region["picklistValues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| (v["value"].as_str().unwrap(), v["active"].as_bool().unwrap()))
        .collect();
    assert_eq!(
        values,
        [
            ("EMEA", true),
            ("AMER", true),
            ("APAC", true),
            ("LATAM", false)
        ],
        "the global value set, its inactive value kept"
    );
    let issue = describe_field(&s, "Invoice__c", "Issue_Date__c").await;
    assert_eq!(issue["defaultValueFormula"], "TODAY()", "{issue}");
    let industry = describe_field(&s, "Account", "Industry").await;
    assert!(
        industry["picklistValues"]
            .as_array()
            .unwrap()
            .iter()
            .any(|v| v["value"] == "Banking"),
        "the Industry overlay keeps the built-in values: {industry}"
    );
    describe_field(&s, "Account", "Tax_Number__c").await;
    let stage = describe_field(&s, "Opportunity", "StageName").await;
    assert!(
        stage["picklistValues"]
            .as_array()
            .unwrap()
            .iter()
            .any(|v| v["value"] == "Signed"),
        "OpportunityStage from standardValueSets: {stage}"
    );
}
