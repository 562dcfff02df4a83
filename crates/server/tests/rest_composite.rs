//! `POST /composite` and `POST /composite/batch` over real HTTP: references between subrequests, reads
//! that see the unit's own writes (records, queries, collections retrieves), `allOrNone` both ways (checked
//! afterwards with REST queries), the envelope's limits and checks, and batches with `haltOnError` both ways.

mod common;

use common::{Reply, Server, V, start, start_with_extension};
use reqwest::Method;
use serde_json::{Value, json};

async fn composite(server: &Server, body: &Value) -> Reply {
    server
        .send(
            server
                .request(Method::POST, &server.api("/composite"))
                .json(body),
        )
        .await
}

/// Posts a composite request that must parse; returns `compositeResponse`.
async fn composite_ok(server: &Server, body: &Value) -> Vec<Value> {
    let reply = composite(server, body).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    reply.json()["compositeResponse"]
        .as_array()
        .expect("compositeResponse is an array")
        .clone()
}

async fn batch(server: &Server, body: &Value) -> Value {
    let reply = server
        .send(
            server
                .request(Method::POST, &server.api("/composite/batch"))
                .json(body),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    reply.json()
}

/// A REST query's records (first page).
async fn query(server: &Server, soql: &str) -> Vec<Value> {
    let url = format!(
        "{}?q={}",
        server.api("/query"),
        soql.replace(' ', "+").replace('\'', "%27")
    );
    let reply = server.get(&url).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    reply.json()["records"].as_array().expect("records").clone()
}

fn sub(method: &str, path: &str, reference_id: &str, body: Option<Value>) -> Value {
    let mut sub = json!({"method": method, "url": format!("/services/data/{V}{path}"), "referenceId": reference_id});
    if let Some(body) = body {
        sub["body"] = body;
    }
    sub
}

fn assert_halted(reply: &Value, message_start: &str) {
    assert_eq!(reply["httpStatusCode"], 400, "{reply}");
    assert_eq!(
        reply["body"][0]["errorCode"], "PROCESSING_HALTED",
        "{reply}"
    );
    let message = reply["body"][0]["message"].as_str().unwrap_or_default();
    assert!(message.starts_with(message_start), "{reply}");
}

const ROLLED_BACK: &str =
    "The transaction was rolled back since another operation in the same transaction failed.";

#[tokio::test]
async fn related_records_are_created_and_read_back_in_the_same_request() {
    let server = start().await;
    let soql = "SELECT+Id,LastName,Account.Name+FROM+Contact+WHERE+AccountId=%27@{acc.id}%27";
    let replies = composite_ok(
        &server,
        &json!({"allOrNone": true, "collateSubrequests": true, "compositeRequest": [
            sub("POST", "/sobjects/Account", "acc", Some(json!({"Name": "Composite Co"}))),
            sub("POST", "/sobjects/Contact", "con", Some(json!({"LastName": "Doe", "AccountId": "@{acc.id}"}))),
            sub("GET", "/sobjects/Contact/@{con.id}?fields=LastName,AccountId", "get", None),
            sub("GET", &format!("/query?q={soql}"), "q", None),
            sub("PATCH", "/sobjects/Contact/@{q.records[0].Id}", "upd", Some(json!({"FirstName": "Jane"}))),
        ]}),
    )
    .await;
    let statuses: Vec<&Value> = replies.iter().map(|r| &r["httpStatusCode"]).collect();
    assert_eq!(
        statuses,
        [
            &json!(201),
            &json!(201),
            &json!(200),
            &json!(200),
            &json!(204)
        ],
        "{replies:?}"
    );
    let references: Vec<&Value> = replies.iter().map(|r| &r["referenceId"]).collect();
    assert_eq!(references, ["acc", "con", "get", "q", "upd"]);

    let account_id = replies[0]["body"]["id"].as_str().expect("an id").to_owned();
    assert_eq!(replies[0]["body"]["success"], true);
    assert_eq!(replies[0]["body"]["errors"], json!([]));
    assert_eq!(
        replies[0]["httpHeaders"]["Location"],
        format!("/services/data/{V}/sobjects/Account/{account_id}")
    );
    let contact_id = replies[1]["body"]["id"].as_str().expect("an id").to_owned();
    assert_eq!(replies[2]["body"]["AccountId"], account_id.as_str());
    assert_eq!(
        replies[2]["httpHeaders"],
        json!({}),
        "ETags are for Account records only"
    );
    assert_eq!(replies[2]["body"]["LastName"], "Doe");
    assert_eq!(replies[2]["body"]["attributes"]["type"], "Contact");
    assert_eq!(replies[3]["body"]["totalSize"], 1);
    assert_eq!(replies[3]["body"]["records"][0]["Id"], contact_id.as_str());
    assert_eq!(
        replies[3]["body"]["records"][0]["Account"]["Name"],
        "Composite Co"
    );
    assert_eq!(replies[4]["body"], Value::Null);
    assert_eq!(replies[4]["httpHeaders"], json!({}));

    let contacts = query(&server, "SELECT Id, FirstName, AccountId FROM Contact").await;
    assert_eq!(contacts.len(), 1);
    assert_eq!(contacts[0]["FirstName"], "Jane");
    assert_eq!(contacts[0]["AccountId"], account_id.as_str());
}

#[tokio::test]
async fn all_or_none_rolls_everything_back_at_the_first_failure() {
    let server = start().await;
    let replies = composite_ok(
        &server,
        &json!({"allOrNone": true, "compositeRequest": [
            sub("POST", "/sobjects/Account", "acc", Some(json!({"Name": "Rolled Back Co"}))),
            sub("POST", "/sobjects/Contact", "con", Some(json!({"LastName": "Doe", "AccountId": "@{acc.id}"}))),
            sub("POST", "/sobjects/Contact", "bad", Some(json!({"FirstName": "No Last Name"}))),
            sub("GET", "/sobjects/Account/@{acc.id}", "after", None),
        ]}),
    )
    .await;
    assert_eq!(replies.len(), 4);
    assert_eq!(replies[2]["httpStatusCode"], 400, "{replies:?}");
    assert_eq!(replies[2]["body"][0]["errorCode"], "REQUIRED_FIELD_MISSING");
    for i in [0, 1, 3] {
        assert_halted(&replies[i], ROLLED_BACK);
        assert_eq!(replies[i]["body"][0]["message"], ROLLED_BACK);
    }
    assert!(
        query(
            &server,
            "SELECT Id FROM Account WHERE Name = 'Rolled Back Co'"
        )
        .await
        .is_empty()
    );
    assert!(query(&server, "SELECT Id FROM Contact").await.is_empty());
}

#[tokio::test]
async fn without_all_or_none_failures_are_independent_and_dependents_halt() {
    let server = start().await;
    let replies = composite_ok(
        &server,
        &json!({"allOrNone": false, "compositeRequest": [
            sub("POST", "/sobjects/Account", "acc", Some(json!({"Name": "Kept Co"}))),
            sub("POST", "/sobjects/Account", "bad", Some(json!({"Description": "no name"}))),
            sub("POST", "/sobjects/Contact", "orphan", Some(json!({"LastName": "X", "AccountId": "@{bad.id}"}))),
            sub("POST", "/sobjects/Contact", "con", Some(json!({"LastName": "Kept", "AccountId": "@{acc.id}"}))),
        ]}),
    )
    .await;
    assert_eq!(replies[0]["httpStatusCode"], 201, "{replies:?}");
    assert_eq!(replies[1]["httpStatusCode"], 400);
    assert_eq!(replies[1]["body"][0]["errorCode"], "REQUIRED_FIELD_MISSING");
    assert_halted(
        &replies[2],
        "Invalid reference specified. No value for bad.id found in bad",
    );
    assert_eq!(replies[3]["httpStatusCode"], 201);

    let accounts = query(
        &server,
        "SELECT Id, Name FROM Account WHERE Name = 'Kept Co'",
    )
    .await;
    assert_eq!(accounts.len(), 1);
    let contacts = query(&server, "SELECT LastName, AccountId FROM Contact").await;
    assert_eq!(contacts.len(), 1);
    assert_eq!(contacts[0]["LastName"], "Kept");
    assert_eq!(contacts[0]["AccountId"], accounts[0]["Id"]);
}

#[tokio::test]
async fn external_ids_and_collections_run_as_subrequests() {
    let server = start_with_extension(|_| {}).await;
    let records = |names: &[&str]| {
        let records: Vec<Value> = names
            .iter()
            .map(|n| json!({"attributes": {"type": "Account"}, "Name": n}))
            .collect();
        json!({"allOrNone": false, "records": records})
    };
    let replies = composite_ok(
        &server,
        &json!({"compositeRequest": [
            sub("PATCH", "/sobjects/Account/Ext__c/A-1", "up", Some(json!({"Name": "Upserted"}))),
            sub("GET", "/sobjects/Account/Ext__c/A-1?fields=Name,Ext__c", "byExt", None),
            sub("POST", "/sobjects/Contact", "con", Some(json!({"LastName": "Rel", "Account": {"Ext__c": "A-1"}}))),
            sub("POST", "/composite/sobjects", "coll", Some(records(&["Coll One", ""]))),
        ]}),
    )
    .await;
    assert_eq!(replies[0]["httpStatusCode"], 201, "{replies:?}");
    assert_eq!(replies[0]["body"]["created"], true);
    assert_eq!(replies[1]["httpStatusCode"], 200);
    assert_eq!(replies[1]["body"]["Ext__c"], "A-1");
    assert!(replies[1]["httpHeaders"]["ETag"].is_string(), "{replies:?}");
    assert_eq!(replies[2]["httpStatusCode"], 201);
    // Without allOrNone a collection keeps its good records and reports the others.
    assert_eq!(replies[3]["httpStatusCode"], 200);
    assert_eq!(replies[3]["body"][0]["success"], true);
    assert_eq!(replies[3]["body"][1]["success"], false);
    let contacts = query(&server, "SELECT Account.Name FROM Contact").await;
    assert_eq!(contacts[0]["Account"]["Name"], "Upserted");
    assert_eq!(
        query(&server, "SELECT Id FROM Account WHERE Name = 'Coll One'")
            .await
            .len(),
        1
    );

    // Under the composite's allOrNone the collection's failed record fails the collection: it keeps its
    // 200 answer with per-record results, the transaction is rolled back and its siblings are halted.
    let replies = composite_ok(
        &server,
        &json!({"allOrNone": true, "compositeRequest": [
            sub("POST", "/sobjects/Account", "acc", Some(json!({"Name": "Halted Sibling"}))),
            sub("POST", "/composite/sobjects", "coll", Some(records(&["Coll Two", ""]))),
        ]}),
    )
    .await;
    assert_halted(&replies[0], ROLLED_BACK);
    assert_eq!(replies[1]["httpStatusCode"], 200, "{replies:?}");
    assert_eq!(replies[1]["body"][0]["success"], false);
    assert_eq!(
        replies[1]["body"][0]["errors"][0]["statusCode"],
        "ALL_OR_NONE_OPERATION_ROLLED_BACK"
    );
    let kept = query(
        &server,
        "SELECT Id FROM Account WHERE Name IN ('Halted Sibling', 'Coll Two')",
    )
    .await;
    assert!(kept.is_empty(), "{kept:?}");
}

#[tokio::test]
async fn references_that_do_not_resolve_halt_their_subrequest() {
    let server = start().await;
    let replies = composite_ok(
        &server,
        &json!({"compositeRequest": [
            sub("POST", "/sobjects/Account", "acc", Some(json!({"Name": "Refs Co"}))),
            // References are case-sensitive: a create answers `id`.
            sub("GET", "/sobjects/Account/@{acc.Id}", "wrongCase", None),
            sub("GET", "/sobjects/Account/@{later.id}", "forward", None),
            sub("GET", "/query?q=SELECT+Id+FROM+Account", "later", None),
            sub("GET", "/sobjects/Account/@{later.records[5].Id}", "pastEnd", None),
            sub("GET", "/sobjects/Account/@{later.records[0].Id}?fields=Name", "ok", None),
        ]}),
    )
    .await;
    assert_eq!(replies[0]["httpStatusCode"], 201, "{replies:?}");
    assert_halted(
        &replies[1],
        "Invalid reference specified. No value for acc.Id found in acc",
    );
    assert_halted(
        &replies[2],
        "Invalid reference specified. No value for later.id found in later",
    );
    assert_eq!(replies[3]["httpStatusCode"], 200);
    assert_halted(
        &replies[4],
        "Invalid reference specified. No value for later.records[5].Id found in later",
    );
    assert_eq!(replies[5]["httpStatusCode"], 200);
    assert_eq!(replies[5]["body"]["Name"], "Refs Co");
    // allOrNone defaults to false: the create was kept.
    assert_eq!(
        query(&server, "SELECT Id FROM Account WHERE Name = 'Refs Co'")
            .await
            .len(),
        1
    );
}

#[tokio::test]
async fn the_envelope_is_checked_before_anything_runs() {
    let server = start().await;
    let create = |i: usize| {
        sub(
            "POST",
            "/sobjects/Account",
            &format!("a{i}"),
            Some(json!({"Name": format!("Too Many {i}")})),
        )
    };
    let too_many: Vec<Value> = (0..26).map(create).collect();
    let reply = composite(&server, &json!({"compositeRequest": too_many})).await;
    assert_eq!(reply.status, 400, "{}", reply.text());
    assert_eq!(reply.json()[0]["errorCode"], "LIMIT_EXCEEDED");
    assert!(
        query(
            &server,
            "SELECT Id FROM Account WHERE Name LIKE 'Too Many%'"
        )
        .await
        .is_empty()
    );

    let reply = composite(
        &server,
        &json!({"compositeRequest": [sub("GET", "/sobjects", "bad[1]", None)]}),
    )
    .await;
    reply.assert_error(
        400,
        "JSON_PARSER_ERROR",
        "Provided referenceId ('bad[1]') must start with a letter or a number, and it can contain only letters, numbers and underscores ('_').",
    );
    let missing_reference = json!({"compositeRequest": [{"method": "GET", "url": format!("/services/data/{V}/sobjects")}]});
    assert_eq!(composite(&server, &missing_reference).await.status, 400);
    let inherited_header = json!({"compositeRequest": [{"method": "GET", "url": format!("/services/data/{V}/sobjects"),
        "referenceId": "a", "httpHeaders": {"Authorization": "Bearer x"}}]});
    assert_eq!(composite(&server, &inherited_header).await.status, 400);
    let not_json = server
        .send(
            server
                .request(Method::POST, &server.api("/composite"))
                .body("{nope"),
        )
        .await;
    assert_eq!(not_json.status, 400);
    assert_eq!(not_json.json()[0]["errorCode"], "JSON_PARSER_ERROR");

    // A resource that cannot be a subrequest answers for itself; the others run.
    let replies = composite_ok(
        &server,
        &json!({"compositeRequest": [
            sub("GET", "/limits", "limits", None),
            sub("GET", "/sobjects/Account/describe", "describe", None),
            sub("PUT", "/sobjects/Account/describe", "put", None),
        ]}),
    )
    .await;
    assert_eq!(replies[0]["httpStatusCode"], 400, "{replies:?}");
    assert_eq!(replies[0]["body"][0]["errorCode"], "INVALID_API_INPUT");
    assert_eq!(replies[1]["httpStatusCode"], 200);
    assert_eq!(replies[1]["body"]["name"], "Account");
    assert_eq!(replies[2]["httpStatusCode"], 405);

    let listing = server.get(&server.api("/composite")).await;
    assert_eq!(listing.status, 200);
    assert_eq!(
        listing.json()["batch"],
        format!("/services/data/{V}/composite/batch")
    );
}

#[tokio::test]
async fn batch_subrequests_are_independent_and_halt_on_error_when_asked() {
    let server = start().await;
    let requests = |name: &str| {
        json!([
            {"method": "POST", "url": format!("{V}/sobjects/Account"), "richInput": {"Name": name}},
            {"method": "GET", "url": format!("{V}/query?q=SELECT+NoSuchField+FROM+Account")},
            {"method": "GET", "url": format!("{V}/sobjects/account/describe")},
        ])
    };
    let answer = batch(&server, &json!({"batchRequests": requests("Batch Co")})).await;
    assert_eq!(answer["hasErrors"], true, "{answer}");
    let results = answer["results"].as_array().expect("results");
    assert_eq!(results[0]["statusCode"], 201);
    assert_eq!(results[0]["result"]["success"], true);
    assert_eq!(results[1]["statusCode"], 400);
    assert_eq!(results[1]["result"][0]["errorCode"], "INVALID_FIELD");
    assert_eq!(results[2]["statusCode"], 200);
    assert_eq!(results[2]["result"]["name"], "Account");

    let answer = batch(
        &server,
        &json!({"haltOnError": true, "batchRequests": requests("Halted Co")}),
    )
    .await;
    assert_eq!(answer["hasErrors"], true, "{answer}");
    let results = answer["results"].as_array().expect("results");
    assert_eq!(results[0]["statusCode"], 201);
    assert_eq!(results[1]["statusCode"], 400);
    assert_eq!(results[2]["statusCode"], 412);
    assert_eq!(
        results[2]["result"][0]["errorCode"],
        "BATCH_PROCESSING_HALTED"
    );

    // Each subrequest committed on its own: both creates are kept despite the failures after them.
    let names: Vec<Value> = query(&server, "SELECT Name FROM Account ORDER BY Name")
        .await
        .iter()
        .map(|r| r["Name"].clone())
        .collect();
    assert_eq!(names, [json!("Batch Co"), json!("Halted Co")]);

    let clean = batch(
        &server,
        &json!({"haltOnError": true, "batchRequests": [{"method": "GET", "url": format!("{V}/sobjects/Account")}]}),
    )
    .await;
    assert_eq!(clean["hasErrors"], false);
    let reply = server
        .send(
            server
                .request(Method::POST, &server.api("/composite/batch"))
                .json(
                    &json!({"batchRequests": [{"method": "GET", "url": "v99.0/sobjects/Account"}]}),
                ),
        )
        .await;
    assert_eq!(
        reply.status,
        400,
        "a subrequest newer than the batch: {}",
        reply.text()
    );
}

#[tokio::test]
async fn collections_retrieves_read_the_composite_s_earlier_writes() {
    let server = start().await;
    let unknown = "001000000000999AAA";
    let replies = composite_ok(
        &server,
        &json!({"compositeRequest": [
            sub("POST", "/sobjects/Account", "acc", Some(json!({"Name": "Unasked Id Co"}))),
            sub("GET", "/composite/sobjects/Account?ids=@{acc.id}&fields=Name", "before", None),
            sub("PATCH", "/sobjects/Account/@{before[0].Id}", "noIdAsked", Some(json!({"Name": "X"}))),
        ]}),
    )
    .await;
    // A retrieve answers only the fields asked for: `Id` was not, so a reference to it does not resolve.
    assert_eq!(replies[1]["httpStatusCode"], 200, "{replies:?}");
    assert_eq!(replies[1]["body"][0]["Name"], "Unasked Id Co");
    assert!(replies[1]["body"][0].get("Id").is_none(), "{replies:?}");
    assert_halted(
        &replies[2],
        "Invalid reference specified. No value for before[0].Id found in before",
    );

    let replies = composite_ok(
        &server,
        &json!({"allOrNone": true, "compositeRequest": [
            sub("POST", "/sobjects/Account", "acc", Some(json!({"Name": "Retrieved Co"}))),
            sub("POST", "/sobjects/Contact", "con", Some(json!({"LastName": "Kin", "AccountId": "@{acc.id}"}))),
            sub("GET", &format!("/composite/sobjects/Account?ids=@{{acc.id}},{unknown}&fields=Name"), "before", None),
            sub("PATCH", "/sobjects/Account/@{acc.id}", "rename", Some(json!({"Name": "Renamed Co"}))),
            sub("POST", "/composite/sobjects/Contact", "after",
                Some(json!({"ids": ["@{con.id}"], "fields": ["Id", "LastName", "Account.Name"]}))),
            sub("GET", "/sobjects/Contact/@{after[0].Id}?fields=LastName", "byRetrievedId", None),
        ]}),
    )
    .await;
    let account_id = replies[0]["body"]["id"].as_str().expect("an account id");
    assert_eq!(replies[2]["httpStatusCode"], 200, "{replies:?}");
    assert_eq!(
        replies[2]["body"],
        json!([{"attributes": {"type": "Account", "url": format!("/services/data/{V}/sobjects/Account/{account_id}")},
                "Name": "Retrieved Co"}, null])
    );
    assert_eq!(replies[4]["httpStatusCode"], 200, "{replies:?}");
    let contact = &replies[4]["body"][0];
    assert_eq!(contact["Id"], replies[1]["body"]["id"]);
    assert_eq!(contact["LastName"], "Kin");
    assert_eq!(contact["Account"]["Name"], "Renamed Co", "{contact}");
    // A retrieved Id is referenceable like a query's.
    assert_eq!(replies[5]["httpStatusCode"], 200, "{replies:?}");
    assert_eq!(replies[5]["body"]["LastName"], "Kin");
    // Committed: the standalone retrieve reads the same.
    let standalone = server
        .get(&server.api(&format!(
            "/composite/sobjects/Account?ids={account_id}&fields=Name"
        )))
        .await;
    assert_eq!(standalone.status, 200, "{}", standalone.text());
    assert_eq!(standalone.json()[0]["Name"], "Renamed Co");
}

#[tokio::test]
async fn a_retrieve_subrequest_is_refused_as_the_standalone_resource_refuses_it() {
    let server = start().await;
    let replies = composite_ok(
        &server,
        &json!({"compositeRequest": [
            sub("GET", "/composite/sobjects/Account?ids=001000000000999AAA&fields=NoSuchField", "badField", None),
            sub("GET", "/composite/sobjects/Account?fields=Name", "noIds", None),
            sub("POST", "/composite/sobjects/Account", "noBody", None),
            sub("POST", "/composite/sobjects/Account", "badBody", Some(json!({"ids": "001000000000999AAA"}))),
        ]}),
    )
    .await;
    // Six would be over the limit of collections subrequests (see below): the rest in a second request.
    let more = composite_ok(
        &server,
        &json!({"compositeRequest": [
            sub("PUT", "/composite/sobjects/Account", "put", None),
            sub("GET", "/composite/sobjects/NoSuchObject?ids=001000000000999AAA&fields=Name", "noObject", None),
        ]}),
    )
    .await;
    let codes: Vec<(Value, Value)> = replies
        .iter()
        .chain(&more)
        .map(|r| {
            (
                r["httpStatusCode"].clone(),
                r["body"][0]["errorCode"].clone(),
            )
        })
        .collect();
    assert_eq!(
        codes,
        [
            (json!(400), json!("INVALID_FIELD")),
            (json!(400), json!("REQUIRED_FIELD_MISSING")),
            (json!(400), json!("JSON_PARSER_ERROR")),
            // `ids` not an array: the type mismatch of every JSON body.
            (json!(400), json!("API_ERROR")),
            (json!(405), json!("METHOD_NOT_ALLOWED")),
            (json!(404), json!("NOT_FOUND")),
        ],
        "{replies:?}"
    );

    // A retrieve is one of the at most five collections or query subrequests of a composite.
    let retrieve = |i: usize| {
        sub(
            "GET",
            "/composite/sobjects/Account?ids=001000000000999AAA&fields=Name",
            &format!("r{i}"),
            None,
        )
    };
    let mut heavy: Vec<Value> = (0..5).map(retrieve).collect();
    let replies = composite_ok(&server, &json!({"compositeRequest": heavy})).await;
    assert!(
        replies
            .iter()
            .all(|r| r["httpStatusCode"] == 200 && r["body"] == json!([null])),
        "{replies:?}"
    );
    heavy.push(sub("GET", "/query?q=SELECT+Id+FROM+Account", "q", None));
    let reply = composite(&server, &json!({"compositeRequest": heavy})).await;
    assert_eq!(reply.status, 400, "{}", reply.text());
    assert_eq!(reply.json()[0]["errorCode"], "LIMIT_EXCEEDED");
}
