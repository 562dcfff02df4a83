//! The standard objects a new Developer Edition org has, over real HTTP on whichever backend the suite
//! runs: each object's describe carries its key facts (key prefix, field types, lengths, flags, lookups,
//! auto-numbers, compound address fields), `describeGlobal` lists them all, a parent's describe lists the
//! lookups pointing at it with Salesforce's relationship names and delete rules, and a CSV exported from
//! a real org with read-only standard columns (`JigsawCompanyId`) loads as Salesforce loads it.

mod common;

use common::*;
use serde_json::{Value, json};

/// One field's expected describe facts: name, type, length, precision, scale, then the flags
/// (`n` nillable, `c` createable, `u` updateable, `d` `defaultedOnCreate`) and the lookup's targets.
struct Expect {
    name: &'static str,
    ftype: &'static str,
    length: u64,
    precision: u64,
    scale: u64,
    flags: &'static str,
    reference_to: &'static [&'static str],
}

const fn f(name: &'static str, ftype: &'static str, length: u64, flags: &'static str) -> Expect {
    Expect {
        name,
        ftype,
        length,
        precision: 0,
        scale: 0,
        flags,
        reference_to: &[],
    }
}

const fn number(
    name: &'static str,
    ftype: &'static str,
    precision: u64,
    scale: u64,
    flags: &'static str,
) -> Expect {
    Expect {
        name,
        ftype,
        length: 0,
        precision,
        scale,
        flags,
        reference_to: &[],
    }
}

const fn lookup(name: &'static str, flags: &'static str, to: &'static [&'static str]) -> Expect {
    Expect {
        name,
        ftype: "reference",
        length: 18,
        precision: 0,
        scale: 0,
        flags,
        reference_to: to,
    }
}

/// Every standard object of the issue with its key prefix and a handful of its fields.
fn table() -> Vec<(&'static str, &'static str, Vec<Expect>)> {
    vec![
        (
            "Account",
            "001",
            vec![
                f("Name", "string", 255, "cu"),
                f("JigsawCompanyId", "string", 20, "n"),
                f("BillingCity", "string", 40, "ncu"),
                f("BillingAddress", "address", 0, "n"),
                number("AnnualRevenue", "currency", 18, 0, "ncu"),
                f("DunsNumber", "string", 9, "ncu"),
                lookup("ParentId", "ncu", &["Account"]),
            ],
        ),
        (
            "Contact",
            "003",
            vec![
                f("LastName", "string", 80, "cu"),
                f("MailingAddress", "address", 0, "n"),
                f("IsEmailBounced", "boolean", 0, "d"),
                lookup("AccountId", "ncu", &["Account"]),
                lookup("OwnerId", "cud", &["User"]),
            ],
        ),
        (
            "Lead",
            "00Q",
            vec![
                f("Company", "string", 255, "cu"),
                f("Address", "address", 0, "n"),
                lookup("OwnerId", "cud", &["Group", "User"]),
                lookup("ConvertedAccountId", "n", &["Account"]),
            ],
        ),
        (
            "Opportunity",
            "006",
            vec![
                f("StageName", "picklist", 255, "cu"),
                number("Amount", "currency", 18, 2, "ncu"),
                f("CloseDate", "date", 0, "cu"),
                lookup("CampaignId", "ncu", &["Campaign"]),
                lookup("Pricebook2Id", "ncu", &["Pricebook2"]),
            ],
        ),
        (
            "OpportunityLineItem",
            "00k",
            vec![
                lookup("OpportunityId", "c", &["Opportunity"]),
                lookup("PricebookEntryId", "nc", &["PricebookEntry"]),
                number("TotalPrice", "currency", 18, 2, "ncu"),
                number("ListPrice", "currency", 18, 2, "n"),
            ],
        ),
        (
            "Product2",
            "01t",
            vec![
                f("Name", "string", 255, "cu"),
                f("ProductCode", "string", 255, "ncu"),
                f("IsActive", "boolean", 0, "cud"),
            ],
        ),
        (
            "Pricebook2",
            "01s",
            vec![
                f("Name", "string", 255, "cu"),
                f("IsStandard", "boolean", 0, "d"),
            ],
        ),
        (
            "PricebookEntry",
            "01u",
            vec![
                number("UnitPrice", "currency", 18, 2, "cu"),
                lookup("Pricebook2Id", "c", &["Pricebook2"]),
                lookup("Product2Id", "c", &["Product2"]),
            ],
        ),
        (
            "Case",
            "500",
            vec![
                f("CaseNumber", "string", 30, "d"),
                lookup("OwnerId", "cud", &["Group", "User"]),
                lookup("AssetId", "ncu", &["Asset"]),
                f("Comments", "textarea", 4000, "nc"),
            ],
        ),
        (
            "Task",
            "00T",
            vec![
                lookup("WhoId", "ncu", &["Contact", "Lead"]),
                lookup("OwnerId", "cud", &["Group", "User"]),
                f("Status", "picklist", 40, "cud"),
                f("Subject", "combobox", 255, "ncu"),
                f("IsClosed", "boolean", 0, "d"),
            ],
        ),
        (
            "Event",
            "00U",
            vec![
                lookup("WhoId", "ncu", &["Contact", "Lead"]),
                f("StartDateTime", "datetime", 0, "ncu"),
                f("DurationInMinutes", "int", 0, "ncu"),
            ],
        ),
        (
            "Campaign",
            "701",
            vec![
                f("Name", "string", 80, "cu"),
                f("NumberOfLeads", "int", 0, ""),
                lookup("ParentId", "ncu", &["Campaign"]),
            ],
        ),
        (
            "CampaignMember",
            "00v",
            vec![
                lookup("CampaignId", "c", &["Campaign"]),
                lookup("LeadId", "nc", &["Lead"]),
                f("Status", "picklist", 40, "ncud"),
            ],
        ),
        (
            "Contract",
            "800",
            vec![
                f("ContractNumber", "string", 30, "d"),
                lookup("AccountId", "cu", &["Account"]),
                f("BillingAddress", "address", 0, "n"),
                f("ContractTerm", "int", 0, "ncu"),
            ],
        ),
        (
            "Order",
            "801",
            vec![
                f("OrderNumber", "string", 30, "d"),
                f("EffectiveDate", "date", 0, "cu"),
                lookup("OwnerId", "cud", &["Group", "User"]),
                f("ShippingAddress", "address", 0, "n"),
            ],
        ),
        (
            "OrderItem",
            "802",
            vec![
                lookup("OrderId", "c", &["Order"]),
                f("OrderItemNumber", "string", 30, "d"),
                number("Quantity", "double", 18, 2, "cu"),
            ],
        ),
        (
            "Asset",
            "02i",
            vec![
                f("Name", "string", 255, "cu"),
                f("SerialNumber", "string", 80, "ncu"),
                lookup("Product2Id", "ncu", &["Product2"]),
            ],
        ),
        (
            "User",
            "005",
            vec![
                f("Username", "string", 80, "cu"),
                f("Address", "address", 0, "n"),
                lookup("UserRoleId", "ncu", &["UserRole"]),
            ],
        ),
        (
            "Group",
            "00G",
            vec![
                f("Name", "string", 40, "cu"),
                f("Type", "picklist", 40, "c"),
            ],
        ),
        (
            "RecordType",
            "012",
            vec![
                f("DeveloperName", "string", 80, "cu"),
                f("SobjectType", "picklist", 40, "c"),
                f("IsActive", "boolean", 0, "cud"),
            ],
        ),
    ]
}

fn describe_field<'a>(describe: &'a Value, name: &str) -> &'a Value {
    describe["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == name)
        .unwrap_or_else(|| panic!("{} has no field {name}", describe["name"]))
}

fn check(object: &str, field: &Value, expect: &Expect) {
    let at = format!("{object}.{}", expect.name);
    assert_eq!(field["type"], expect.ftype, "{at} type");
    assert_eq!(field["length"], expect.length, "{at} length");
    assert_eq!(field["precision"], expect.precision, "{at} precision");
    assert_eq!(field["scale"], expect.scale, "{at} scale");
    for (flag, key) in [
        ('n', "nillable"),
        ('c', "createable"),
        ('u', "updateable"),
        ('d', "defaultedOnCreate"),
    ] {
        assert_eq!(field[key], expect.flags.contains(flag), "{at} {key}");
    }
    assert_eq!(
        field["referenceTo"],
        json!(expect.reference_to),
        "{at} referenceTo"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_standard_object_describes_its_key_fields() {
    let s = start().await;
    for (object, prefix, fields) in table() {
        let reply = s.get(&s.api(&format!("/sobjects/{object}/describe"))).await;
        assert_eq!(reply.status, 200, "{object}: {}", reply.text());
        let describe = reply.json();
        assert_eq!(describe["name"], object);
        assert_eq!(describe["keyPrefix"], prefix, "{object} key prefix");
        for expect in &fields {
            check(object, describe_field(&describe, expect.name), expect);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn describe_carries_auto_numbers_compound_parts_and_standard_picklists() {
    let s = start().await;
    let describe = |object: &'static str| {
        let s = &s;
        async move {
            s.get(&s.api(&format!("/sobjects/{object}/describe")))
                .await
                .json()
        }
    };
    for (object, field) in [
        ("Case", "CaseNumber"),
        ("Contract", "ContractNumber"),
        ("Order", "OrderNumber"),
    ] {
        assert_eq!(
            describe_field(&describe(object).await, field)["autoNumber"],
            true,
            "{object}.{field}"
        );
    }
    let account = describe("Account").await;
    for part in [
        "BillingStreet",
        "BillingCity",
        "BillingLatitude",
        "BillingGeocodeAccuracy",
    ] {
        assert_eq!(
            describe_field(&account, part)["compoundFieldName"],
            "BillingAddress",
            "{part}"
        );
    }
    let values = |field: &Value| -> Vec<String> {
        field["picklistValues"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["value"].as_str().unwrap().to_owned())
            .collect()
    };
    let group = describe("Group").await;
    let types = values(describe_field(&group, "Type"));
    assert!(
        types.iter().any(|t| t == "Queue") && types.iter().any(|t| t == "Regular"),
        "{types:?}"
    );
    let task = describe("Task").await;
    assert_eq!(
        values(describe_field(&task, "Status")),
        [
            "Not Started",
            "In Progress",
            "Completed",
            "Waiting on someone else",
            "Deferred"
        ]
    );
    let what = describe_field(&task, "WhatId")["referenceTo"].clone();
    for target in [
        "Account",
        "Asset",
        "Campaign",
        "Case",
        "Contract",
        "Opportunity",
        "Order",
        "Product2",
    ] {
        assert!(
            what.as_array().unwrap().iter().any(|t| t == target),
            "{target} in {what}"
        );
    }
    assert_eq!(
        describe_field(&task, "WhatId")["polymorphicForeignKey"],
        true
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn describe_global_lists_every_standard_object() {
    let s = start().await;
    let reply = s.get(&s.api("/sobjects")).await;
    assert_eq!(reply.status, 200);
    let global = reply.json();
    let listed: Vec<(String, String)> = global["sobjects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["name"].as_str().unwrap().to_owned(),
                o["keyPrefix"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    for (object, prefix, _) in table() {
        assert!(
            listed.contains(&(object.to_owned(), prefix.to_owned())),
            "{object} ({prefix}) not in {listed:?}"
        );
    }
}

/// A custom object with a lookup to Account that Account's describe file does not declare.
const INVOICE: &str = r#"{"name":"Invoice__c","label":"Invoice","fields":[
    {"name":"Account__c","label":"Account","type":"reference","referenceTo":["Account"],
     "relationshipName":"Account__r","nillable":true}]}"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_parent_lists_its_child_relationships_with_their_delete_rules() {
    let schema = tempfile::TempDir::new().unwrap();
    std::fs::write(schema.path().join("invoice.json"), INVOICE).unwrap();
    let path = schema.path().to_path_buf();
    let s = start_with(move |c| c.schema_dir = Some(path)).await;
    let account = s.get(&s.api("/sobjects/Account/describe")).await.json();
    let children = account["childRelationships"].as_array().unwrap();
    let find = |child: &str, field: &str| -> &Value {
        children
            .iter()
            .find(|r| r["childSObject"] == child && r["field"] == field)
            .unwrap_or_else(|| panic!("no {child}.{field} in {children:?}"))
    };
    let expected = [
        ("Contact", "AccountId", json!("Contacts"), true),
        ("Opportunity", "AccountId", json!("Opportunities"), true),
        ("Contract", "AccountId", json!("Contracts"), true),
        ("Order", "AccountId", json!("Orders"), true),
        ("Asset", "AccountId", json!("Assets"), true),
        ("Task", "WhatId", json!("Tasks"), true),
        ("Event", "WhatId", json!("Events"), true),
        ("Account", "ParentId", json!("ChildAccounts"), false),
        ("Asset", "AssetProvidedById", json!("ProvidedAssets"), false),
        ("Invoice__c", "Account__c", json!("Invoices__r"), false),
    ];
    for (child, field, name, cascade) in expected {
        let relationship = find(child, field);
        assert_eq!(
            *relationship,
            json!({"childSObject": child, "field": field, "relationshipName": name,
                   "cascadeDelete": cascade, "restrictedDelete": false}),
        );
    }
    assert_eq!(
        *find("Case", "AccountId"),
        json!({"childSObject": "Case", "field": "AccountId", "relationshipName": "Cases",
               "cascadeDelete": false, "restrictedDelete": true}),
        "an account with cases cannot be deleted"
    );
    let entry = s
        .get(&s.api("/sobjects/PricebookEntry/describe"))
        .await
        .json();
    assert!(
        entry["childRelationships"].as_array().unwrap().contains(
            &json!({"childSObject": "OpportunityLineItem", "field": "PricebookEntryId",
                "relationshipName": "OpportunityLineItems", "cascadeDelete": false,
                "restrictedDelete": true})
        ),
        "{}",
        entry["childRelationships"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_export_with_read_only_standard_columns_loads() {
    let s = start().await;
    // Columns as a real org's Account export has them: read-only ones (JigsawCompanyId, PhotoUrl) are
    // accepted in the header; an empty read-only cell is ignored, a filled one fails its row only.
    let header = "Name,Phone,JigsawCompanyId,PhotoUrl,Tradestyle,YearStarted,CleanStatus";
    let csv = format!("{header}\nAcme,555-0100,,,Acme Trading,1999,Pending\nGlobex,,12345,,,,\n");
    let (info, results) = s
        .run_complete(&json!({"object": "Account", "operation": "insert"}), csv)
        .await;
    assert_eq!(info["numberRecordsProcessed"], 2);
    assert_eq!(info["numberRecordsFailed"], 1);
    assert_eq!(
        results.failed,
        format!(
            "\"sf__Id\",\"sf__Error\",{header}\n\"\",\"INVALID_FIELD_FOR_INSERT_UPDATE:Unable to create/update fields: JigsawCompanyId. Please check the security settings of this field and verify that it is read/write for your profile or permission set.:JigsawCompanyId --\",\"Globex\",\"\",\"12345\",\"\",\"\",\"\",\"\"\n"
        )
    );
    let id = &parse_csv(&results.successful, b',')[1][0];
    assert_eq!(
        s.field("Account", id, "Tradestyle").await.as_deref(),
        Some("Acme Trading")
    );
    assert_eq!(
        s.field("Account", id, "YearStarted").await.as_deref(),
        Some("1999")
    );
    assert_eq!(s.field("Account", id, "JigsawCompanyId").await, None);
}
