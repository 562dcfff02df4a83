//! sObject Tree (`POST /composite/tree/{Obj}`) over real HTTP: nested children by child relationship name
//! with their parent's id filled in, reference ids in breadth-first order, all-or-nothing (a failure leaves
//! nothing behind, read back through `GET /query`), limits and malformed trees.

mod common;

use common::{Reply, Server, start};
use reqwest::Method;
use serde_json::{Value, json};

async fn tree(server: &Server, object: &str, body: &Value) -> Reply {
    let url = server.api(&format!("/composite/tree/{object}"));
    server
        .send(server.request(Method::POST, &url).json(body))
        .await
}

async fn soql(server: &Server, statement: &str) -> Vec<Value> {
    let url = server.api("/query");
    let reply = server
        .send(server.request(Method::GET, &url).query(&[("q", statement)]))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    reply.json()["records"].as_array().unwrap().clone()
}

async fn count(server: &Server, object: &str) -> usize {
    soql(server, &format!("SELECT Id FROM {object}"))
        .await
        .len()
}

fn record(object: &str, reference_id: &str, fields: Value) -> Value {
    let mut record = json!({"attributes": {"type": object, "referenceId": reference_id}});
    for (k, v) in fields.as_object().unwrap() {
        record[k] = v.clone();
    }
    record
}

/// The id each reference id got, from a 201 answer.
fn ids(reply: &Reply) -> Vec<(String, String)> {
    assert_eq!(reply.status, 201, "{}", reply.text());
    let body = reply.json();
    assert_eq!(body["hasErrors"], false);
    body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["referenceId"].as_str().unwrap().to_owned(),
                r["id"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn nested_children_get_their_parents_ids() {
    let server = start().await;
    let body = json!({"records": [
        record("Account", "ref1", json!({
            "name": "SampleAccount1", "phone": "1234567890", "NumberOfEmployees": "100",
            "Contacts": {"records": [
                record("Contact", "ref2", json!({"lastname": "Smith", "Title": "President",
                    "Cases": {"records": [record("Case", "ref5", json!({"Subject": "Broken"}))]}})),
                record("Contact", "ref3", json!({"LastName": "Evans"})),
            ]},
            "ChildAccounts": {"records": [record("Account", "ref6", json!({"Name": "Subsidiary"}))]},
        })),
        record("Account", "ref4", json!({"Name": "SampleAccount2"})),
    ]});
    let created = ids(&tree(&server, "Account", &body).await);
    let order: Vec<&str> = created.iter().map(|(r, _)| r.as_str()).collect();
    // Breadth-first: the roots, then their children in request order, then the grandchildren.
    assert_eq!(order, ["ref1", "ref4", "ref2", "ref3", "ref6", "ref5"]);
    let id_of = |reference: &str| -> String {
        created
            .iter()
            .find(|(r, _)| r == reference)
            .map(|(_, id)| id.clone())
            .unwrap()
    };

    let contacts = soql(
        &server,
        "SELECT LastName, AccountId, Account.Name FROM Contact ORDER BY LastName",
    )
    .await;
    assert_eq!(contacts.len(), 2);
    for contact in &contacts {
        assert_eq!(contact["AccountId"], id_of("ref1").as_str());
        assert_eq!(contact["Account"]["Name"], "SampleAccount1");
    }
    let cases = soql(&server, "SELECT Subject, ContactId FROM Case").await;
    assert_eq!(cases[0]["ContactId"], id_of("ref2").as_str());
    let child = soql(
        &server,
        "SELECT Id, ParentId FROM Account WHERE Name = 'Subsidiary'",
    )
    .await;
    assert_eq!(child[0]["Id"], id_of("ref6").as_str());
    assert_eq!(child[0]["ParentId"], id_of("ref1").as_str());
    let parent = soql(
        &server,
        "SELECT NumberOfEmployees, Phone FROM Account WHERE Name = 'SampleAccount1'",
    )
    .await;
    assert_eq!(parent[0]["NumberOfEmployees"], 100);
    assert_eq!(parent[0]["Phone"], "1234567890");
}

#[tokio::test]
async fn a_failed_record_leaves_nothing_behind() {
    let server = start().await;
    let body = json!({"records": [
        record("Account", "ok1", json!({"Name": "Fine",
            "Contacts": {"records": [
                record("Contact", "c1", json!({"LastName": "Fine"})),
                record("Contact", "c2", json!({"LastName": "Bad", "Email": "123"})),
            ]}})),
        record("Account", "a2", json!({"Phone": "no name"})),
    ]});
    let reply = tree(&server, "Account", &body).await;
    assert_eq!(reply.status, 400, "{}", reply.text());
    assert_eq!(
        reply.json(),
        json!({"hasErrors": true, "results": [
            {"referenceId": "a2", "errors": [{"statusCode": "REQUIRED_FIELD_MISSING",
                "message": "Required fields are missing: [Name]", "fields": ["Name"]}]},
            {"referenceId": "c2", "errors": [{"statusCode": "INVALID_EMAIL_ADDRESS",
                "message": "Email: invalid email address: 123", "fields": ["Email"]}]},
        ]})
    );
    assert_eq!(count(&server, "Account").await, 0);
    assert_eq!(count(&server, "Contact").await, 0);
}

#[tokio::test]
async fn reference_ids_are_required_and_unique() {
    let server = start().await;
    let missing = json!({"records": [{"attributes": {"type": "Account"}, "Name": "A"}]});
    tree(&server, "Account", &missing).await.assert_error(
        400,
        "INVALID_INPUT",
        "Include a reference ID for each record in the request.",
    );

    let duplicate = json!({"records": [
        record("Account", "same", json!({"Name": "A",
            "Contacts": {"records": [record("Contact", "same", json!({"LastName": "B"}))]}})),
        record("Account", "other", json!({"Name": "C"})),
    ]});
    let reply = tree(&server, "Account", &duplicate).await;
    assert_eq!(reply.status, 400);
    assert_eq!(
        reply.json(),
        json!({"hasErrors": true, "results": [{"referenceId": "same", "errors": [
            {"statusCode": "INVALID_INPUT", "message": "Duplicate ReferenceId provided in the request.", "fields": []}
        ]}]})
    );

    let no_type = json!({"records": [{"attributes": {"referenceId": "r1"}, "Name": "A"}]});
    let reply = tree(&server, "Account", &no_type).await;
    assert_eq!(reply.status, 400);
    assert_eq!(
        reply.json()["results"][0]["errors"][0]["message"],
        "Include an entity type for each record in the request."
    );
    let wrong_root = json!({"records": [record("Contact", "r1", json!({"LastName": "A"}))]});
    let reply = tree(&server, "Account", &wrong_root).await;
    assert_eq!(reply.status, 400);
    assert_eq!(
        reply.json()["results"][0]["errors"][0]["message"],
        "Invalid entity type provided in the request: Contact"
    );
    assert_eq!(count(&server, "Account").await, 0);
}

#[tokio::test]
async fn an_unknown_field_refuses_the_request_with_the_rest_envelope() {
    let server = start().await;
    let body = json!({"records": [
        record("Account", "r1", json!({"Name": "A",
            "Contacts": {"records": [record("Contact", "r2", json!({"LastName": "B", "Title__c": "x"}))]}})),
    ]});
    tree(&server, "Account", &body).await.assert_error(
        400,
        "INVALID_FIELD",
        "No such column 'Title__c' on sobject of type Contact",
    );
    assert_eq!(count(&server, "Account").await, 0);
}

#[tokio::test]
async fn limits_on_records_and_depth() {
    let server = start().await;
    let records: Vec<Value> = (0..201)
        .map(|i| {
            record(
                "Account",
                &format!("r{i}"),
                json!({"Name": format!("A{i}")}),
            )
        })
        .collect();
    tree(&server, "Account", &json!({"records": records}))
        .await
        .assert_error(
            400,
            "EXCEEDED_ID_LIMIT",
            "record limit reached. cannot submit more than 200 records into this call",
        );
    assert_eq!(count(&server, "Account").await, 0);

    // Six levels of ChildAccounts: one more than Salesforce allows.
    let mut nested = record("Account", "r6", json!({"Name": "L6"}));
    for level in (1..=5).rev() {
        nested = record(
            "Account",
            &format!("r{level}"),
            json!({"Name": format!("L{level}"), "ChildAccounts": {"records": [nested]}}),
        );
    }
    let reply = tree(&server, "Account", &json!({"records": [nested.clone()]})).await;
    assert_eq!(reply.status, 400, "{}", reply.text());
    assert_eq!(reply.json()[0]["errorCode"], "INVALID_INPUT");
    assert_eq!(count(&server, "Account").await, 0);

    // Five levels are fine.
    let five = nested["ChildAccounts"]["records"][0].clone();
    let created = ids(&tree(&server, "Account", &json!({"records": [five]})).await);
    assert_eq!(created.len(), 5);
    assert_eq!(count(&server, "Account").await, 5);
}

#[tokio::test]
async fn malformed_bodies_and_methods() {
    let server = start().await;
    let url = server.api("/composite/tree/Account");
    let not_json = server
        .send(
            server
                .request(Method::POST, &url)
                .header("Content-Type", "application/json")
                .body("{"),
        )
        .await;
    assert_eq!(not_json.status, 400);
    assert_eq!(not_json.json()[0]["errorCode"], "JSON_PARSER_ERROR");
    let no_records = tree(&server, "Account", &json!({"items": []})).await;
    assert_eq!(no_records.status, 400);
    assert_eq!(no_records.json()[0]["errorCode"], "INVALID_INPUT");
    let unknown = tree(&server, "Nope__c", &json!({"records": []})).await;
    unknown.assert_error(404, "NOT_FOUND", "The requested resource does not exist");
    let get = server.send(server.request(Method::GET, &url)).await;
    get.assert_error(
        405,
        "METHOD_NOT_ALLOWED",
        "HTTP Method 'GET' not allowed. Allowed are POST",
    );
}

/// A custom object with a lookup to Account: its child relationship is `<plural label>__r`.
const BROKER: &str = r#"{
  "name": "Broker__c", "label": "Broker", "labelPlural": "Brokers", "keyPrefix": "a01",
  "fields": [
    {"name": "Name", "label": "Broker Name", "type": "string", "length": 80, "nillable": false},
    {"name": "Account__c", "label": "Account", "type": "reference", "referenceTo": ["Account"],
     "relationshipName": "Account__r", "nillable": true, "custom": true}
  ]
}"#;

#[tokio::test]
async fn custom_children_nest_under_their_r_relationship() {
    let schema = tempfile::TempDir::new().unwrap();
    std::fs::write(schema.path().join("broker.json"), BROKER).unwrap();
    let path = schema.path().to_path_buf();
    let server = common::start_with(move |c| c.schema_dir = Some(path)).await;
    let body = json!({"records": [record("Account", "acc", json!({"Name": "Agency",
    "Brokers__r": {"records": [
        record("Broker__c", "b1", json!({"Name": "Ann"})),
        record("Broker__c", "b2", json!({"Name": "Bob"})),
    ]}}))]});
    let created = ids(&tree(&server, "Account", &body).await);
    assert_eq!(created.len(), 3);
    let brokers = soql(
        &server,
        "SELECT Name, Account__c FROM Broker__c ORDER BY Name",
    )
    .await;
    assert_eq!(brokers.len(), 2);
    for broker in &brokers {
        assert_eq!(broker["Account__c"], created[0].1.as_str());
    }
}
