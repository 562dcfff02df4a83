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

/// A custom object, as a describe file brings it, whose `Agency` record type is the default.
const BROKER: &str = r#"{"name":"Broker__c","label":"Broker","labelPlural":"Brokers","custom":true,
  "fields":[{"name":"Region__c","label":"Region","type":"string","length":40,"nillable":true,
             "createable":true,"updateable":true}],
  "recordTypeInfos":[{"developerName":"Agency","defaultRecordTypeMapping":true}]}"#;

/// A server whose schema adds [`ACCOUNT_RECORD_TYPES`] and [`BROKER`], and the folder of those files (kept
/// as long as it).
async fn server() -> (Server, tempfile::TempDir) {
    let schema = tempfile::TempDir::new().unwrap();
    std::fs::write(schema.path().join("account.json"), ACCOUNT_RECORD_TYPES).unwrap();
    std::fs::write(schema.path().join("broker.json"), BROKER).unwrap();
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

async fn post(server: &Server, path: &str, body: &Value) -> Reply {
    server
        .send(server.request(Method::POST, &server.api(path)).json(body))
        .await
}

fn record_type_ids(describe: &Value) -> Vec<&str> {
    describe["recordTypeInfos"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["recordTypeId"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn custom_objects_have_record_types_as_standard_ones_do() {
    let (s, _schema) = server().await;
    let record_type = describe(&s, "RecordType").await;
    let offered: Vec<&Value> = record_type["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "SobjectType")
        .unwrap()["picklistValues"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["value"] == "Broker__c")
        .collect();
    assert_eq!(
        offered.len(),
        1,
        "RecordType.SobjectType offers the custom object"
    );
    assert_eq!(offered[0]["label"], "Broker");

    let make = |developer_name: &str| json!({"SobjectType": "Broker__c", "DeveloperName": developer_name, "Name": developer_name, "IsActive": true});
    let agency = create_record_type(&s, make("Agency")).await;
    let direct = create_record_type(&s, make("Direct")).await;
    let account_retail = create_record_type(
        &s,
        json!({"SobjectType": "Account", "DeveloperName": "Retail", "Name": "Retail", "IsActive": true}),
    )
    .await;

    let broker = describe(&s, "Broker__c").await;
    let field = broker["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "RecordTypeId")
        .expect("a custom object describes RecordTypeId");
    for (key, expected) in [
        ("type", json!("reference")),
        ("referenceTo", json!(["RecordType"])),
        ("relationshipName", json!("RecordType")),
        ("createable", json!(true)),
        ("updateable", json!(true)),
        ("nillable", json!(true)),
        ("custom", json!(false)),
    ] {
        assert_eq!(field[key], expected, "{key}");
    }
    assert_eq!(
        record_type_ids(&broker),
        [agency.as_str(), direct.as_str(), MASTER]
    );
    assert_eq!(
        broker["recordTypeInfos"][0]["defaultRecordTypeMapping"],
        true
    );
    assert_eq!(
        broker["recordTypeInfos"][0]["urls"]["layout"],
        format!("/services/data/v62.0/sobjects/Broker__c/describe/layouts/{agency}")
    );

    let reply = post(
        &s,
        "/sobjects/Broker__c",
        &json!({"Name": "B1", "RecordTypeId": direct}),
    )
    .await;
    assert_eq!(reply.status, 201, "{}", reply.text());
    let named = reply.json()["id"].as_str().unwrap().to_owned();
    assert_eq!(
        s.field("Broker__c", &named, "RecordTypeId")
            .await
            .as_deref(),
        Some(direct.as_str())
    );
    let reply = post(&s, "/sobjects/Broker__c", &json!({"Name": "B2"})).await;
    assert_eq!(reply.status, 201, "{}", reply.text());
    let plain = reply.json()["id"].as_str().unwrap().to_owned();
    assert_eq!(
        s.field("Broker__c", &plain, "RecordTypeId")
            .await
            .as_deref(),
        Some(agency.as_str()),
        "the describe file's default"
    );
    let reply = post(
        &s,
        "/sobjects/Broker__c",
        &json!({"Name": "B3", "RecordTypeId": account_retail}),
    )
    .await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.json()[0]["errorCode"], "INVALID_CROSS_REFERENCE_KEY");

    let (info, results) = s
        .run_complete(
            &json!({"object": "Broker__c", "operation": "insert"}),
            "Name,RecordType.DeveloperName\nB4,Direct\nB5,Retail\n",
        )
        .await;
    assert_eq!(info["numberRecordsFailed"], 1, "{}", results.failed);
    assert_eq!(
        results.failed,
        format!(
            "\"sf__Id\",\"sf__Error\",Name,RecordType.DeveloperName\n{}",
            row_error(&[
                "",
                "INVALID_FIELD:Foreign key external ID: Retail not found for field DeveloperName in entity RecordType:--",
                "B5",
                "Retail"
            ])
        ),
        "Account's Retail is not the broker's"
    );
    let answer = query(
        &s,
        "SELECT Name, RecordType.DeveloperName FROM Broker__c WHERE RecordType.DeveloperName = 'Direct' ORDER BY Name",
    )
    .await;
    let names: Vec<&str> = answer["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["Name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["B1", "B4"]);
}

#[tokio::test]
async fn a_collection_of_200_records_takes_each_ones_record_type() {
    let (s, _schema) = server().await;
    let types = record_types(&s).await;
    let records: Vec<Value> = (0..200)
        .map(|i| {
            let mut record = json!({"attributes": {"type": "Account"}, "Name": format!("A{i:03}")});
            if i == 199 {
                record["RecordTypeId"] = json!(types.retired);
            } else if i % 2 == 0 {
                record["RecordTypeId"] = json!(types.wholesale);
            }
            record
        })
        .collect();
    let reply = post(
        &s,
        "/composite/sobjects",
        &json!({"allOrNone": false, "records": records}),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let results = reply.json();
    let results = results.as_array().unwrap();
    assert_eq!(results.len(), 200);
    assert!(
        results[..199].iter().all(|r| r["success"] == true),
        "{results:?}"
    );
    assert_eq!(
        results[199]["errors"],
        json!([{
            "statusCode": "INVALID_CROSS_REFERENCE_KEY",
            "message": format!("Record Type ID: this ID value isn't valid for the user: {}", types.retired),
            "fields": ["RecordTypeId"],
        }])
    );
    let count = |developer_name: &str| {
        let soql =
            format!("SELECT Id FROM Account WHERE RecordType.DeveloperName = '{developer_name}'");
        let s = &s;
        async move { query(s, &soql).await["totalSize"].clone() }
    };
    assert_eq!(count("Wholesale").await, 100);
    assert_eq!(count("Retail").await, 99, "the default, for the odd ones");
}

#[tokio::test]
async fn a_composite_request_sees_the_record_types_its_own_subrequests_write() {
    let (s, _schema) = server().await;
    let types = record_types(&s).await;
    let sub = |method: &str, path: &str, reference: &str, body: Option<Value>| {
        let mut sub = json!({"method": method, "url": format!("/services/data/v62.0{path}"), "referenceId": reference});
        if let Some(body) = body {
            sub["body"] = body;
        }
        sub
    };
    let partner = json!({"SobjectType": "Account", "DeveloperName": "Partner", "Name": "Partner", "IsActive": true});
    let doomed = json!({"attributes": {"type": "RecordType"}, "SobjectType": "Account", "DeveloperName": "Doomed", "Name": "Doomed", "IsActive": true});
    let reply = post(
        &s,
        "/composite",
        &json!({"allOrNone": false, "compositeRequest": [
            sub("POST", "/sobjects/Account", "before", Some(json!({"Name": "Before"}))),
            sub("POST", "/sobjects/RecordType", "rt", Some(partner)),
            sub("GET", "/sobjects/Account/describe", "describe", None),
            sub("POST", "/sobjects/Account", "after", Some(json!({"Name": "After", "RecordTypeId": "@{rt.id}"}))),
            // A RecordType written and then undone (the collection's allOrNone fails on its nameless
            // Account) is not seen afterwards.
            sub("POST", "/composite/sobjects", "undone", Some(json!({"allOrNone": true, "records": [
                doomed, {"attributes": {"type": "Account"}, "Name": "Doomed", "RecordType": {"DeveloperName": "Doomed"}},
                {"attributes": {"type": "Account"}}]}))),
            sub("POST", "/sobjects/Account", "late", Some(json!({"Name": "Late", "RecordType": {"DeveloperName": "Doomed"}}))),
        ]}),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let replies = reply.json()["compositeResponse"].clone();
    let replies = replies.as_array().unwrap();
    let status: Vec<i64> = replies
        .iter()
        .map(|r| r["httpStatusCode"].as_i64().unwrap())
        .collect();
    let bodies: Vec<&Value> = replies
        .iter()
        .filter(|r| r["referenceId"] != "describe")
        .map(|r| &r["body"])
        .collect();
    assert_eq!(status, [201, 201, 200, 201, 200, 400], "{bodies:?}");
    let rt = replies[1]["body"]["id"].as_str().unwrap();
    let described: Vec<&str> = record_type_ids(&replies[2]["body"]);
    assert!(described.contains(&rt), "{described:?}");
    let id_of = |k: usize| replies[k]["body"]["id"].as_str().unwrap().to_owned();
    assert_eq!(
        s.field("Account", &id_of(0), "RecordTypeId")
            .await
            .as_deref(),
        Some(types.retail.as_str())
    );
    assert_eq!(
        s.field("Account", &id_of(3), "RecordTypeId")
            .await
            .as_deref(),
        Some(rt),
        "the record type an earlier subrequest created"
    );
    assert!(
        replies[4]["body"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["success"] == false),
        "{}",
        replies[4]
    );
    assert_eq!(
        replies[5]["body"],
        json!([{
            "errorCode": "INVALID_FIELD",
            "message": "Foreign key external ID: Doomed not found for field DeveloperName in entity RecordType",
        }]),
        "the record type the collection wrote was undone with it"
    );
    let answer = query(
        &s,
        "SELECT Id FROM RecordType WHERE DeveloperName = 'Doomed'",
    )
    .await;
    assert_eq!(answer["totalSize"], 0);
}

/// A record type can be updated (deactivated) and a group deleted over REST, as Salesforce allows: both
/// objects' rows go through the same write paths as any record (they once answered 500 for a missing
/// `IsDeleted` column).
#[tokio::test]
async fn record_types_update_and_groups_delete_like_any_record() {
    let (server, _schema) = server().await;
    let types = record_types(&server).await;
    let patch = server
        .send(
            server
                .request(
                    Method::PATCH,
                    &server.api(&format!("/sobjects/RecordType/{}", types.wholesale)),
                )
                .json(&json!({"IsActive": false})),
        )
        .await;
    assert_eq!(patch.status, 204, "{}", patch.text());
    let active = query(
        &server,
        &format!(
            "SELECT IsActive FROM RecordType WHERE Id = '{}'",
            types.wholesale
        ),
    )
    .await;
    assert_eq!(active["records"][0]["IsActive"], false, "{active}");

    let group = post(
        &server,
        "/sobjects/Group",
        &json!({"Name": "Support", "DeveloperName": "Support", "Type": "Queue"}),
    )
    .await;
    assert_eq!(group.status, 201, "{}", group.text());
    let id = group.json()["id"].as_str().unwrap().to_owned();
    let deleted = server
        .send(server.request(
            Method::DELETE,
            &server.api(&format!("/sobjects/Group/{id}")),
        ))
        .await;
    assert_eq!(deleted.status, 204, "{}", deleted.text());
    let left = query(&server, &format!("SELECT Id FROM Group WHERE Id = '{id}'")).await;
    assert_eq!(left["totalSize"], 0, "{left}");
}
