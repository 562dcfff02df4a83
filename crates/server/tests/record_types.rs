//! Record types over real HTTP, on whichever backend the suite runs: `RecordType` rows created through the
//! API, describe's `recordTypeInfos` (the master record type always), the default record type of an insert,
//! record types refused with Salesforce's row error, picklist values per record type, and
//! `RecordType.DeveloperName` in SOQL and in relationship columns of bulk uploads and REST bodies.

mod common;

use common::*;
use reqwest::Method;
use serde_json::{Value, json};

/// Account gains a restricted picklist whose values depend on the record type: the `Retail` record type
/// (the default) offers Gold and Silver only; other record types offer every value of the field.
const ACCOUNT_RECORD_TYPES: &str = r#"{"name":"Account","fields":[
    {"name":"Tier__c","label":"Tier","type":"picklist","restrictedPicklist":true,"nillable":true,
     "picklistValues":[{"value":"Gold"},{"value":"Silver"},{"value":"Bronze"}]}],
  "recordTypeInfos":[
    {"developerName":"Retail","defaultRecordTypeMapping":true,"picklistsForRecordType":[
        {"picklistName":"Tier__c","picklistValues":[{"value":"Gold"},{"value":"Silver"}]}]},
    {"developerName":"Master","defaultRecordTypeMapping":false}]}"#;

const MASTER: &str = "012000000000000AAA";

/// A server whose schema adds [`ACCOUNT_RECORD_TYPES`], and the folder of that file (kept as long as it).
async fn server() -> (Server, tempfile::TempDir) {
    let schema = tempfile::TempDir::new().unwrap();
    std::fs::write(schema.path().join("account.json"), ACCOUNT_RECORD_TYPES).unwrap();
    let path = schema.path().to_path_buf();
    let server = start_with(move |c| c.schema_dir = Some(path)).await;
    (server, schema)
}

/// The org's record types, created through the REST API as Salesforce allows (`RecordType` supports
/// create()).
struct RecordTypes {
    retail: String,
    wholesale: String,
    retired: String,
    contact_retail: String,
}

async fn create_record_type(server: &Server, body: Value) -> String {
    let reply = server
        .send(
            server
                .request(Method::POST, &server.api("/sobjects/RecordType"))
                .json(&body),
        )
        .await;
    assert_eq!(reply.status, 201, "{}", reply.text());
    reply.json()["id"].as_str().unwrap().to_owned()
}

async fn record_types(server: &Server) -> RecordTypes {
    let make = |object: &str, developer_name: &str, name: &str, active: bool| json!({"SobjectType": object, "DeveloperName": developer_name, "Name": name, "IsActive": active});
    RecordTypes {
        retail: create_record_type(server, make("Account", "Retail", "Retail", true)).await,
        wholesale: create_record_type(server, make("Account", "Wholesale", "Wholesale", true))
            .await,
        retired: create_record_type(server, make("Account", "Retired", "Retired", false)).await,
        contact_retail: create_record_type(server, make("Contact", "Retail", "Retail", true)).await,
    }
}

async fn describe(server: &Server, object: &str) -> Value {
    let reply = server
        .get(&server.api(&format!("/sobjects/{object}/describe")))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    reply.json()
}

fn info(id: &str, developer_name: &str, active: bool, default: bool, master: bool) -> Value {
    json!({
        "active": active,
        "available": active,
        "defaultRecordTypeMapping": default,
        "developerName": developer_name,
        "master": master,
        "name": developer_name,
        "recordTypeId": id,
        "urls": {"layout": format!("/services/data/v62.0/sobjects/Account/describe/layouts/{id}")},
    })
}

async fn query(server: &Server, soql: &str) -> Value {
    let url = format!("{}?q={}", server.api("/query"), urlencode(soql));
    let reply = server.get(&url).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    reply.json()
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'_' | b'.' | b'-' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn row_error(cells: &[&str]) -> String {
    let quoted: Vec<String> = cells
        .iter()
        .map(|c| format!("\"{}\"", c.replace('"', "\"\"")))
        .collect();
    format!("{}\n", quoted.join(","))
}

fn refused(id: &str) -> String {
    format!(
        "INVALID_CROSS_REFERENCE_KEY:Record Type ID: this ID value isn't valid for the user: {id}:RecordTypeId --"
    )
}

#[tokio::test]
async fn describe_lists_the_orgs_record_types_and_master_always() {
    let (s, _schema) = server().await;
    let fresh = describe(&s, "Account").await;
    assert_eq!(
        fresh["recordTypeInfos"],
        json!([info(MASTER, "Master", true, true, true)]),
        "a new org has only the master record type, the default"
    );
    let field = fresh["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "RecordTypeId")
        .expect("Account describes RecordTypeId");
    assert_eq!(field["referenceTo"], json!(["RecordType"]));
    assert_eq!(field["relationshipName"], "RecordType");
    assert_eq!(field["idLookup"], false);

    let types = record_types(&s).await;
    let account = describe(&s, "Account").await;
    assert_eq!(
        account["recordTypeInfos"],
        json!([
            info(&types.retail, "Retail", true, true, false),
            info(&types.retired, "Retired", false, false, false),
            info(&types.wholesale, "Wholesale", true, false, false),
            info(MASTER, "Master", true, false, true),
        ])
    );
    let contact = describe(&s, "Contact").await;
    let contact_infos: Vec<&str> = contact["recordTypeInfos"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["recordTypeId"].as_str().unwrap())
        .collect();
    assert_eq!(
        contact_infos,
        [types.contact_retail.as_str(), MASTER],
        "another object's record types are its own; nothing declares a default, so master is"
    );
    assert_eq!(
        contact["recordTypeInfos"][1]["defaultRecordTypeMapping"],
        true
    );
}

#[tokio::test]
async fn bulk_inserts_get_the_default_and_refuse_record_types_not_theirs() {
    let (s, _schema) = server().await;
    let types = record_types(&s).await;
    let csv = format!(
        "Name,RecordTypeId\nPlain,\nWhole,{}\nOld,{}\nPerson,{}\nMaster,{MASTER}\nShort,{}\n",
        types.wholesale,
        types.retired,
        types.contact_retail,
        &types.wholesale[..15],
    );
    let (info, results) = s
        .run_complete(&json!({"object": "Account", "operation": "insert"}), csv)
        .await;
    assert_eq!(info["numberRecordsProcessed"], 6);
    assert_eq!(info["numberRecordsFailed"], 2, "{}", results.failed);
    assert_eq!(
        results.failed,
        format!(
            "\"sf__Id\",\"sf__Error\",Name,RecordTypeId\n{}{}",
            row_error(&["", &refused(&types.retired), "Old", &types.retired]),
            row_error(&[
                "",
                &refused(&types.contact_retail),
                "Person",
                &types.contact_retail
            ]),
        )
    );
    let created = parse_csv(&results.successful, b',');
    let stored = |row: usize| {
        let id = created[row][0].clone();
        let s = &s;
        async move { s.field("Account", &id, "RecordTypeId").await }
    };
    assert_eq!(
        stored(1).await.as_deref(),
        Some(types.retail.as_str()),
        "the default"
    );
    assert_eq!(stored(2).await.as_deref(), Some(types.wholesale.as_str()));
    assert_eq!(
        stored(3).await,
        None,
        "the master record type is stored as null"
    );
    assert_eq!(
        stored(4).await.as_deref(),
        Some(types.wholesale.as_str()),
        "a 15-character id names the same record type"
    );
}

#[tokio::test]
async fn record_type_developer_name_columns_resolve_among_the_objects_record_types() {
    let (s, _schema) = server().await;
    let types = record_types(&s).await;
    let (info, results) = s
        .run_complete(
            &json!({"object": "Contact", "operation": "insert"}),
            "LastName,RecordType.DeveloperName\nOne,retail\nTwo,Wholesale\n",
        )
        .await;
    assert_eq!(info["numberRecordsFailed"], 1);
    assert_eq!(
        results.failed,
        format!(
            "\"sf__Id\",\"sf__Error\",LastName,RecordType.DeveloperName\n{}",
            row_error(&[
                "",
                "INVALID_FIELD:Foreign key external ID: Wholesale not found for field DeveloperName in entity RecordType:--",
                "Two",
                "Wholesale"
            ])
        )
    );
    let id = parse_csv(&results.successful, b',')[1][0].clone();
    assert_eq!(
        s.field("Contact", &id, "RecordTypeId").await.as_deref(),
        Some(types.contact_retail.as_str()),
        "Contact's own Retail, not Account's"
    );
    let (_, results) = s
        .run_complete(
            &json!({"object": "Account", "operation": "insert"}),
            "Name,RecordType.DeveloperName\nA,Wholesale\nB,Retired\n",
        )
        .await;
    assert_eq!(
        results.failed,
        format!(
            "\"sf__Id\",\"sf__Error\",Name,RecordType.DeveloperName\n{}",
            row_error(&["", &refused(&types.retired), "B", "Retired"])
        )
    );
}

#[tokio::test]
async fn restricted_picklists_take_only_the_record_types_values() {
    let (s, _schema) = server().await;
    let types = record_types(&s).await;
    let csv = format!(
        "Name,Tier__c,RecordTypeId\nA,Gold,\nB,Bronze,\nC,Bronze,{}\n",
        types.wholesale
    );
    let (_, results) = s
        .run_complete(&json!({"object": "Account", "operation": "insert"}), csv)
        .await;
    assert_eq!(
        results.failed,
        format!(
            "\"sf__Id\",\"sf__Error\",Name,Tier__c,RecordTypeId\n{}",
            row_error(&[
                "",
                "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST:Tier: bad value for restricted picklist field: Bronze:Tier__c --",
                "B",
                "Bronze",
                ""
            ])
        ),
        "Retail (the default) offers Gold and Silver; Wholesale declares no list, so every value"
    );
}

#[tokio::test]
async fn soql_filters_and_selects_through_the_record_type() {
    let (s, _schema) = server().await;
    let types = record_types(&s).await;
    let csv = format!("Name,RecordTypeId\nW,{}\nR,\n", types.wholesale);
    s.insert("Account", &csv).await;
    let answer = query(
        &s,
        "SELECT Name, RecordType.DeveloperName, RecordType.Name FROM Account \
         WHERE RecordType.DeveloperName = 'Wholesale'",
    )
    .await;
    assert_eq!(answer["totalSize"], 1);
    let record = &answer["records"][0];
    assert_eq!(record["Name"], "W");
    assert_eq!(record["RecordType"]["DeveloperName"], "Wholesale");
    assert_eq!(record["RecordType"]["Name"], "Wholesale");
    let rows = query(
        &s,
        "SELECT DeveloperName FROM RecordType WHERE SobjectType = 'Account' AND IsActive = true ORDER BY DeveloperName",
    )
    .await;
    let names: Vec<&str> = rows["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["DeveloperName"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Retail", "Wholesale"]);
}

#[tokio::test]
async fn rest_writes_follow_the_same_record_type_rules() {
    let (s, _schema) = server().await;
    let types = record_types(&s).await;
    let post = |body: Value| {
        let s = &s;
        async move {
            s.send(
                s.request(Method::POST, &s.api("/sobjects/Account"))
                    .json(&body),
            )
            .await
        }
    };
    let reply = post(json!({"Name": "Old", "RecordTypeId": types.retired})).await;
    assert_eq!(reply.status, 400);
    assert_eq!(
        reply.json(),
        json!([{
            "message": format!("Record Type ID: this ID value isn't valid for the user: {}", types.retired),
            "errorCode": "INVALID_CROSS_REFERENCE_KEY",
            "fields": ["RecordTypeId"],
        }])
    );
    let reply = post(json!({"Name": "Named", "RecordType": {"DeveloperName": "Wholesale"}})).await;
    assert_eq!(reply.status, 201, "{}", reply.text());
    let id = reply.json()["id"].as_str().unwrap().to_owned();
    assert_eq!(
        s.field("Account", &id, "RecordTypeId").await.as_deref(),
        Some(types.wholesale.as_str())
    );
    let reply = post(json!({"Name": "Plain"})).await;
    let id = reply.json()["id"].as_str().unwrap().to_owned();
    assert_eq!(
        s.field("Account", &id, "RecordTypeId").await.as_deref(),
        Some(types.retail.as_str()),
        "the default record type, as a bulk insert gets it"
    );
}
