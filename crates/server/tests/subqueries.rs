//! Parent-to-child subqueries over REST `GET /query` and `/queryAll` (and a composite's query subrequest),
//! over real HTTP on whichever backend the suite runs: the nested JSON Salesforce writes (`null` for a
//! parent without children, else `totalSize`/`done`/`records` with each child's `attributes`), WHERE,
//! ORDER BY and a per-parent LIMIT inside the subquery, nested subqueries from API 58.0 on and Salesforce's
//! refusal below it, `columns=true`, and Bulk query jobs refusing every subquery as before.

mod common;

use common::{Reply, Server, V, start, start_with};
use reqwest::Method;
use serde_json::{Value, json};

async fn query_at(server: &Server, version: &str, resource: &str, statement: &str) -> Reply {
    let url = server.url(&format!("/services/data/{version}/{resource}"));
    server
        .send(server.request(Method::GET, &url).query(&[("q", statement)]))
        .await
}

/// The whole answer of `GET /query` at the suite's version, which must succeed.
async fn query(server: &Server, statement: &str) -> Value {
    let reply = query_at(server, V, "query", statement).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    reply.json()
}

fn url(object: &str, id: &str) -> String {
    format!("/services/data/{V}/sobjects/{object}/{id}")
}

/// Asserts JSON equality including the order of every object's keys.
fn assert_exact(actual: &Value, expected: &Value) {
    assert_eq!(
        serde_json::to_string_pretty(actual).unwrap(),
        serde_json::to_string_pretty(expected).unwrap()
    );
}

/// Two accounts, the first with contacts `Able` and `Baker`, the second with none.
async fn accounts_with_contacts(server: &Server) -> (Vec<String>, Vec<String>) {
    let accounts = server.insert("Account", "Name\nAcme\nGlobex\n").await;
    let contacts = server
        .insert(
            "Contact",
            &format!("LastName,AccountId\nBaker,{0}\nAble,{0}\n", accounts[0]),
        )
        .await;
    (accounts, contacts)
}

#[tokio::test]
async fn children_nest_under_their_parents_in_salesforces_shape() {
    let server = start().await;
    let (accounts, contacts) = accounts_with_contacts(&server).await;
    let body = query(
        &server,
        "SELECT Name, (SELECT LastName FROM Contacts ORDER BY LastName), Id FROM Account ORDER BY Name",
    )
    .await;
    let expected = json!({
        "totalSize": 2,
        "done": true,
        "records": [
            {
                "attributes": {"type": "Account", "url": url("Account", &accounts[0])},
                "Name": "Acme",
                "Contacts": {
                    "totalSize": 2,
                    "done": true,
                    "records": [
                        {"attributes": {"type": "Contact", "url": url("Contact", &contacts[1])}, "LastName": "Able"},
                        {"attributes": {"type": "Contact", "url": url("Contact", &contacts[0])}, "LastName": "Baker"},
                    ],
                },
                "Id": accounts[0],
            },
            {
                "attributes": {"type": "Account", "url": url("Account", &accounts[1])},
                "Name": "Globex",
                "Contacts": null,
                "Id": accounts[1],
            },
        ],
    });
    assert_exact(&body, &expected);
}

#[tokio::test]
async fn where_order_by_and_limit_apply_inside_each_parent() {
    let server = start().await;
    let accounts = server.insert("Account", "Name\nA1\nA2\n").await;
    server
        .insert(
            "Contact",
            &format!(
                "LastName,Title,AccountId\nc1,x,{0}\nc2,x,{0}\nc3,x,{0}\nc4,y,{0}\nd1,x,{1}\nd2,x,{1}\n",
                accounts[0], accounts[1]
            ),
        )
        .await;
    let body = query(
        &server,
        "SELECT Name, (SELECT LastName, Account.Name FROM Contacts WHERE Title = 'x' ORDER BY LastName DESC LIMIT 2) FROM Account ORDER BY Name",
    )
    .await;
    let names = |record: &Value| -> Vec<(String, String)> {
        record["Contacts"]["records"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                (
                    c["LastName"].as_str().unwrap().to_owned(),
                    c["Account"]["Name"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    let records = body["records"].as_array().unwrap();
    let pair = |a: &str, b: &str| (a.to_owned(), b.to_owned());
    assert_eq!(names(&records[0]), [pair("c3", "A1"), pair("c2", "A1")]);
    assert_eq!(records[0]["Contacts"]["totalSize"], 2);
    assert_eq!(names(&records[1]), [pair("d2", "A2"), pair("d1", "A2")]);
    // A parent path inside a child record nests as everywhere else.
    assert_eq!(
        records[0]["Contacts"]["records"][0]["Account"]["attributes"],
        json!({"type": "Account", "url": url("Account", &accounts[0])})
    );
}

#[tokio::test]
async fn subqueries_nest_from_api_58_and_are_refused_below() {
    let server = start().await;
    let (accounts, contacts) = accounts_with_contacts(&server).await;
    let cases = server
        .insert(
            "Case",
            &format!(
                "Subject,ContactId,AccountId\nBroken,{},{}\n",
                contacts[1], accounts[0]
            ),
        )
        .await;
    let statement = "SELECT Name, (SELECT LastName, (SELECT Subject FROM Cases) FROM Contacts ORDER BY LastName) FROM Account WHERE Name = 'Acme'";
    let body = query(&server, statement).await;
    let expected_contacts = json!({
        "totalSize": 2,
        "done": true,
        "records": [
            {
                "attributes": {"type": "Contact", "url": url("Contact", &contacts[1])},
                "LastName": "Able",
                "Cases": {
                    "totalSize": 1,
                    "done": true,
                    "records": [
                        {"attributes": {"type": "Case", "url": url("Case", &cases[0])}, "Subject": "Broken"},
                    ],
                },
            },
            {
                "attributes": {"type": "Contact", "url": url("Contact", &contacts[0])},
                "LastName": "Baker",
                "Cases": null,
            },
        ],
    });
    assert_exact(&body["records"][0]["Contacts"], &expected_contacts);
    assert_eq!(
        query_at(&server, "v58.0", "query", statement).await.status,
        200
    );
    query_at(&server, "v57.0", "query", statement)
        .await
        .assert_error(
            400,
            "MALFORMED_QUERY",
            "SOQL statements cannot query aggregate relationships more than 1 level away from the root entity object.",
        );
    // One level is fine at any version.
    let one = query_at(
        &server,
        "v57.0",
        "query",
        "SELECT Name, (SELECT LastName FROM Contacts) FROM Account",
    )
    .await;
    assert_eq!(one.status, 200, "{}", one.text());
}

#[tokio::test]
async fn query_all_nests_deleted_children_too() {
    let server = start().await;
    let (_, contacts) = accounts_with_contacts(&server).await;
    let deleted = server
        .send(server.request(
            Method::DELETE,
            &server.api(&format!("/sobjects/Contact/{}", contacts[0])),
        ))
        .await;
    assert_eq!(deleted.status, 204, "{}", deleted.text());
    let statement = "SELECT Name, (SELECT LastName, IsDeleted FROM Contacts ORDER BY LastName) FROM Account WHERE Name = 'Acme'";
    let live = query(&server, statement).await;
    assert_eq!(
        live["records"][0]["Contacts"]["records"],
        json!([{"attributes": {"type": "Contact", "url": url("Contact", &contacts[1])}, "LastName": "Able", "IsDeleted": false}])
    );
    let all = query_at(&server, V, "queryAll", statement).await;
    assert_eq!(all.status, 200, "{}", all.text());
    let all = all.json();
    assert_eq!(all["records"][0]["Contacts"]["totalSize"], 2);
    assert_eq!(
        all["records"][0]["Contacts"]["records"][1]["IsDeleted"],
        true
    );
}

#[tokio::test]
async fn refusals_name_the_relationship_and_the_limits() {
    let server = start().await;
    query_at(&server, V, "query", "SELECT Name, (SELECT Id FROM Contact) FROM Account")
        .await
        .assert_error(
            400,
            "INVALID_TYPE",
            "\nSELECT Name, (SELECT Id FROM Contact) FROM Account\n                             ^\nERROR at Row:1:Column:30\nDidn't understand relationship 'Contact' in FROM part of query call. If you are attempting to use a custom relationship, be sure to append the '__r' after the custom relationship name. Please reference your WSDL or the describe call for the appropriate names.",
        );
    let many: Vec<String> = (0..21)
        .map(|i| format!("(SELECT Id FROM Contacts WHERE LastName = 'n{i}')"))
        .collect();
    query_at(
        &server,
        V,
        "query",
        &format!("SELECT {} FROM Account", many.join(",")),
    )
    .await
    .assert_error(
        400,
        "MALFORMED_QUERY",
        "No more than 20 parent-to-child relationships can be specified in a query",
    );
}

#[tokio::test]
async fn bulk_query_jobs_still_refuse_subqueries() {
    let server = start().await;
    let reply = server
        .send(
            server
                .request(Method::POST, &server.api("/jobs/query"))
                .json(&json!({"operation": "query", "query": "SELECT Name, (SELECT Id FROM Contacts) FROM Account"})),
        )
        .await;
    reply.assert_error(
        400,
        "API_ERROR",
        "Aggregate Relationships not supported in Bulk Query with CSV content type",
    );
}

#[tokio::test]
async fn a_composite_query_sees_children_written_before_it() {
    let server = start().await;
    let body = json!({"allOrNone": true, "compositeRequest": [
        {"method": "POST", "url": format!("/services/data/{V}/sobjects/Account"), "referenceId": "acct",
         "body": {"Name": "Initech"}},
        {"method": "POST", "url": format!("/services/data/{V}/sobjects/Contact"), "referenceId": "peter",
         "body": {"LastName": "Gibbons", "AccountId": "@{acct.id}"}},
        {"method": "GET", "referenceId": "read",
         "url": format!("/services/data/{V}/query?q=SELECT+Name,+(SELECT+LastName+FROM+Contacts)+FROM+Account+WHERE+Id+=+'@{{acct.id}}'")},
    ]});
    let reply = server
        .send(
            server
                .request(Method::POST, &server.api("/composite"))
                .json(&body),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let responses = reply.json()["compositeResponse"].clone();
    let account = responses[0]["body"]["id"].as_str().unwrap().to_owned();
    let contact = responses[1]["body"]["id"].as_str().unwrap().to_owned();
    assert_eq!(responses[2]["httpStatusCode"], 200, "{responses}");
    assert_exact(
        &responses[2]["body"],
        &json!({"totalSize": 1, "done": true, "records": [{
            "attributes": {"type": "Account", "url": url("Account", &account)},
            "Name": "Initech",
            "Contacts": {"totalSize": 1, "done": true, "records": [
                {"attributes": {"type": "Contact", "url": url("Contact", &contact)}, "LastName": "Gibbons"},
            ]},
        }]}),
    );
}

#[tokio::test]
async fn columns_describe_a_subquery_as_an_aggregate_column() {
    let server = start().await;
    let url = server.api("/query");
    let reply = server
        .send(server.request(Method::GET, &url).query(&[
            (
                "q",
                "SELECT Name, (SELECT LastName FROM Contacts) FROM Account",
            ),
            ("columns", "true"),
        ]))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let columns = reply.json()["columnMetadata"].clone();
    assert_eq!(columns[0]["columnName"], "Name");
    assert_eq!(columns[1]["columnName"], "Contacts");
    assert_eq!(columns[1]["aggregate"], true);
    assert_eq!(columns[1]["joinColumns"][0]["columnName"], "LastName");
}

/// A custom master-detail child of Account (`Broker__c.Account__c`, named by the Account describe as
/// `Brokers__r`) and a custom child of it without a declared name (`Visit__c.Broker__c`, named after its
/// plural label as Salesforce does: `Visits__r`).
const CUSTOM_CHILDREN: [(&str, &str); 3] = [
    (
        "broker.json",
        r#"{"name": "Broker__c", "label": "Broker", "labelPlural": "Brokers", "keyPrefix": "a01",
            "fields": [{"name": "Account__c", "type": "reference", "referenceTo": ["Account"],
                        "relationshipName": "Account__r", "custom": true, "nillable": false,
                        "cascadeDelete": true}]}"#,
    ),
    (
        "visit.json",
        r#"{"name": "Visit__c", "label": "Visit", "labelPlural": "Visits", "keyPrefix": "a02",
            "fields": [{"name": "Broker__c", "type": "reference", "referenceTo": ["Broker__c"],
                        "relationshipName": "Broker__r", "custom": true, "nillable": true}]}"#,
    ),
    (
        "account.json",
        r#"{"name": "Account", "childRelationships": [{"childSObject": "Broker__c",
            "field": "Account__c", "relationshipName": "Brokers__r", "cascadeDelete": true}]}"#,
    ),
];

#[tokio::test]
async fn custom_children_nest_by_their_relationship_names() {
    let schema = tempfile::TempDir::new().unwrap();
    for (file, text) in CUSTOM_CHILDREN {
        std::fs::write(schema.path().join(file), text).unwrap();
    }
    let dir = schema.path().to_path_buf();
    let server = start_with(move |c| c.schema_dir = Some(dir)).await;
    let accounts = server.insert("Account", "Name\nAcme\n").await;
    let brokers = server
        .insert(
            "Broker__c",
            &format!("Name,Account__c\nB1,{}\n", accounts[0]),
        )
        .await;
    let visits = server
        .insert("Visit__c", &format!("Name,Broker__c\nV1,{}\n", brokers[0]))
        .await;
    let body = query(
        &server,
        "SELECT Name, (SELECT Name, (SELECT Name FROM Visits__r) FROM Brokers__r) FROM Account",
    )
    .await;
    assert_exact(
        &body["records"][0]["Brokers__r"],
        &json!({"totalSize": 1, "done": true, "records": [{
            "attributes": {"type": "Broker__c", "url": url("Broker__c", &brokers[0])},
            "Name": "B1",
            "Visits__r": {"totalSize": 1, "done": true, "records": [
                {"attributes": {"type": "Visit__c", "url": url("Visit__c", &visits[0])}, "Name": "V1"},
            ]},
        }]}),
    );
}

/// Follows `nextRecordsUrl` from `first` (a query result) to the end; every record of every page, in order.
async fn all_pages(server: &Server, first: &Value) -> Vec<Value> {
    let mut records = first["records"].as_array().unwrap().clone();
    let mut page = first.clone();
    while page["done"] == false {
        let next = page["nextRecordsUrl"].as_str().unwrap().to_owned();
        let reply = server
            .send(server.request(Method::GET, &server.url(&next)))
            .await;
        assert_eq!(reply.status, 200, "{}", reply.text());
        page = reply.json();
        records.extend(page["records"].as_array().unwrap().iter().cloned());
    }
    records
}

fn last_names(records: &[Value]) -> Vec<String> {
    records
        .iter()
        .map(|r| r["LastName"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_large_child_set_comes_in_batches_through_its_own_next_records_url() {
    let server = start().await;
    let accounts = server.insert("Account", "Name\nAcme\n").await;
    let mut csv = String::from("LastName,AccountId\n");
    for i in 0..1_000 {
        csv.push_str(&format!("c{i:04},{}\n", accounts[0]));
    }
    server.insert("Contact", &csv).await;
    let body = query(
        &server,
        "SELECT Name, (SELECT LastName FROM Contacts ORDER BY LastName DESC) FROM Account",
    )
    .await;
    assert_eq!(body["done"], true);
    let contacts = &body["records"][0]["Contacts"];
    assert_eq!(contacts["totalSize"], 1_000);
    assert_eq!(contacts["done"], false);
    assert_eq!(contacts["records"].as_array().unwrap().len(), 200);
    let next = contacts["nextRecordsUrl"].as_str().unwrap();
    assert!(
        next.starts_with(&format!("/services/data/{V}/query/01g")) && next.ends_with("-200"),
        "{next}"
    );
    let expected: Vec<String> = (0..1_000).rev().map(|i| format!("c{i:04}")).collect();
    let every = all_pages(&server, contacts).await;
    assert_eq!(last_names(&every), expected);
    assert_eq!(every[999]["attributes"]["type"], "Contact");
    // The subquery's own LIMIT and OFFSET still count within the parent across its batches.
    let limited = query(
        &server,
        "SELECT Name, (SELECT LastName FROM Contacts ORDER BY LastName DESC LIMIT 300 OFFSET 10) FROM Account LIMIT 1",
    )
    .await;
    let contacts = &limited["records"][0]["Contacts"];
    assert_eq!(contacts["totalSize"], 300);
    assert_eq!(contacts["done"], false);
    assert_eq!(
        last_names(&all_pages(&server, contacts).await),
        expected[10..310]
    );
}

#[tokio::test]
async fn a_page_with_subqueries_holds_200_parents_each_read_within_its_limit() {
    let server = start().await;
    let names: String = (0..250).map(|i| format!("A{i:03}\n")).collect();
    let accounts = server.insert("Account", &format!("Name\n{names}")).await;
    let mut csv = String::from("LastName,AccountId\n");
    for (i, account) in accounts.iter().enumerate() {
        for last in ["x", "z", "y"] {
            csv.push_str(&format!("{last}{i:03},{account}\n"));
        }
    }
    server.insert("Contact", &csv).await;
    let body = query(
        &server,
        "SELECT Name, (SELECT LastName FROM Contacts ORDER BY LastName DESC LIMIT 1) FROM Account ORDER BY Name",
    )
    .await;
    assert_eq!(body["totalSize"], 250);
    assert_eq!(body["done"], false);
    assert_eq!(body["records"].as_array().unwrap().len(), 200);
    let every = all_pages(&server, &body).await;
    assert_eq!(every.len(), 250);
    for (i, account) in every.iter().enumerate() {
        assert_eq!(account["Name"], format!("A{i:03}"));
        let contacts = &account["Contacts"];
        assert_eq!(contacts["totalSize"], 1, "{account}");
        assert_eq!(contacts["done"], true, "{account}");
        assert_eq!(
            last_names(contacts["records"].as_array().unwrap()),
            [format!("z{i:03}")]
        );
    }
}

#[tokio::test]
async fn a_page_writes_at_most_a_batch_of_child_records_inline() {
    let server = start().await;
    let names: String = (0..20).map(|i| format!("A{i:02}\n")).collect();
    let accounts = server.insert("Account", &format!("Name\n{names}")).await;
    let mut csv = String::from("LastName,AccountId\n");
    for account in &accounts {
        for i in 0..150 {
            csv.push_str(&format!("c{i:03},{account}\n"));
        }
    }
    server.insert("Contact", &csv).await;
    let body = query(
        &server,
        "SELECT Name, (SELECT LastName FROM Contacts ORDER BY LastName) FROM Account ORDER BY Name",
    )
    .await;
    let records = body["records"].as_array().unwrap();
    assert_eq!(records.len(), 20);
    let inline: usize = records
        .iter()
        .map(|r| r["Contacts"]["records"].as_array().unwrap().len())
        .sum();
    assert_eq!(inline, 2_000);
    let expected: Vec<String> = (0..150).map(|i| format!("c{i:03}")).collect();
    for account in records {
        let contacts = &account["Contacts"];
        assert_eq!(contacts["totalSize"], 150);
        assert_eq!(last_names(&all_pages(&server, contacts).await), expected);
    }
    // The first parents' child sets were written whole, the later ones are continued.
    assert_eq!(records[0]["Contacts"]["done"], true);
    assert_eq!(records[19]["Contacts"]["done"], false);
}

#[tokio::test]
async fn a_nested_child_set_continues_through_its_own_cursor() {
    let server = start().await;
    let (_, contacts) = accounts_with_contacts(&server).await;
    let mut csv = String::from("Subject,ContactId\n");
    for i in 0..250 {
        csv.push_str(&format!("s{i:03},{}\n", contacts[1]));
    }
    server.insert("Case", &csv).await;
    let body = query(
        &server,
        "SELECT Name, (SELECT LastName, (SELECT Subject FROM Cases ORDER BY Subject) FROM Contacts ORDER BY LastName) FROM Account WHERE Name = 'Acme'",
    )
    .await;
    let able = &body["records"][0]["Contacts"]["records"][0];
    assert_eq!(able["LastName"], "Able");
    let cases = &able["Cases"];
    assert_eq!(cases["totalSize"], 250);
    assert_eq!(cases["done"], false);
    let subjects: Vec<String> = all_pages(&server, cases)
        .await
        .iter()
        .map(|c| c["Subject"].as_str().unwrap().to_owned())
        .collect();
    let expected: Vec<String> = (0..250).map(|i| format!("s{i:03}")).collect();
    assert_eq!(subjects, expected);
}

/// Every relationship name a describe lists (the built-in objects' and custom objects', declared or
/// derived) is one a subquery accepts, and an undeclared custom lookup is named as subqueries name it.
#[tokio::test]
async fn every_relationship_name_describe_lists_works_in_a_subquery() {
    let schema = tempfile::TempDir::new().unwrap();
    for (file, text) in CUSTOM_CHILDREN {
        std::fs::write(schema.path().join(file), text).unwrap();
    }
    let dir = schema.path().to_path_buf();
    let server = start_with(move |c| c.schema_dir = Some(dir)).await;
    let global = server
        .send(server.request(Method::GET, &server.api("/sobjects")))
        .await
        .json();
    let mut named = 0;
    for object in global["sobjects"].as_array().unwrap() {
        let object = object["name"].as_str().unwrap();
        let describe = server
            .send(server.request(
                Method::GET,
                &server.api(&format!("/sobjects/{object}/describe")),
            ))
            .await;
        assert_eq!(describe.status, 200, "{object}: {}", describe.text());
        for relationship in describe.json()["childRelationships"].as_array().unwrap() {
            let Some(name) = relationship["relationshipName"].as_str() else {
                continue;
            };
            named += 1;
            let statement = format!("SELECT Id, (SELECT Id FROM {name}) FROM {object} LIMIT 1");
            let reply = query_at(&server, V, "query", &statement).await;
            assert_eq!(reply.status, 200, "{statement}: {}", reply.text());
        }
    }
    assert!(named > 20, "{named}");
    let broker = server
        .send(server.request(Method::GET, &server.api("/sobjects/Broker__c/describe")))
        .await
        .json();
    let visits: Vec<&Value> = broker["childRelationships"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["childSObject"] == "Visit__c")
        .collect();
    assert_eq!(visits.len(), 1);
    assert_eq!(visits[0]["field"], "Broker__c");
    assert_eq!(visits[0]["relationshipName"], "Visits__r");
}
