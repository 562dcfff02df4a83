//! Row semantics over real HTTP: each operation's effect on stored records and every row error with its exact
//! `sf__Error` text.
//!
//! This file is long because it pins every row error's exact text, one short test per operation and error.

mod common;

use common::*;
use serde_json::{Value, json};

/// One all-quoted result row with the comma delimiter and LF.
fn row(cells: &[&str]) -> String {
    let quoted: Vec<String> = cells
        .iter()
        .map(|c| format!("\"{}\"", c.replace('"', "\"\"")))
        .collect();
    format!("{}\n", quoted.join(","))
}

fn successful(header: &str, rows: &[String]) -> String {
    format!("\"sf__Id\",\"sf__Created\",{header}\n{}", rows.concat())
}

fn failed(header: &str, rows: &[String]) -> String {
    format!("\"sf__Id\",\"sf__Error\",{header}\n{}", rows.concat())
}

fn job(object: &str, operation: &str) -> Value {
    json!({"object": object, "operation": operation})
}

fn upsert_on(object: &str, field: &str) -> Value {
    json!({"object": object, "operation": "upsert", "externalIdFieldName": field})
}

/// The sf__Id column of a result file's data rows.
fn result_ids(file: &str) -> Vec<String> {
    parse_csv(file, b',')
        .into_iter()
        .skip(1)
        .map(|r| r[0].clone())
        .collect()
}

// ---------------------------------------------------------------------------------------------------------
// Operations

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn insert_then_update_leaves_empty_cells_alone_and_nulls_na() {
    let s = start().await;
    let ids = s
        .insert(
            "Account",
            "Name,Phone,BillingCity,NumberOfEmployees\nAcme,111,Rome,10\nGlobex,222,Paris,20\n",
        )
        .await;
    let (a, b) = (&ids[0], &ids[1]);
    assert!(a.starts_with("001") && a.len() == 18, "{a}");
    assert_eq!(s.field("Account", a, "Name").await.as_deref(), Some("Acme"));
    assert_eq!(
        s.field("Account", a, "IsDeleted").await.as_deref(),
        Some("0")
    );
    assert_eq!(
        s.field("Account", a, "OwnerId").await.as_deref(),
        Some(s.running.principal.user_id.as_str()),
        "the job's user owns what it inserts"
    );

    // A 15-character id names the same record; the result shows the 18-character id.
    let a15 = &a[..15];
    let csv = format!("Id,Phone,BillingCity,NumberOfEmployees\n{a15},,#N/A,11\n{b},333,,#N/A\n");
    let (info, results) = s.run_complete(&job("Account", "update"), csv).await;
    assert_eq!(info["numberRecordsProcessed"], 2);
    assert_eq!(info["numberRecordsFailed"], 0);
    let header = "Id,Phone,BillingCity,NumberOfEmployees";
    assert_eq!(
        results.successful,
        successful(
            header,
            &[
                row(&[a, "false", a15, "", "#N/A", "11"]),
                row(&[b, "false", b, "333", "", "#N/A"]),
            ]
        )
    );
    assert_eq!(results.failed, failed(header, &[]));

    let acme = s.record("Account", a).await.unwrap();
    assert_eq!(
        acme["Name"].as_deref(),
        Some("Acme"),
        "not in the file: unchanged"
    );
    assert_eq!(
        acme["Phone"].as_deref(),
        Some("111"),
        "empty cell: unchanged"
    );
    assert_eq!(acme["BillingCity"], None, "#N/A: null");
    assert_eq!(acme["NumberOfEmployees"].as_deref(), Some("11"));
    let globex = s.record("Account", b).await.unwrap();
    assert_eq!(globex["Phone"].as_deref(), Some("333"));
    assert_eq!(globex["BillingCity"].as_deref(), Some("Paris"));
    assert_eq!(globex["NumberOfEmployees"], None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upsert_on_id_updates_matches_and_inserts_blanks() {
    let s = start().await;
    let ids = s.insert("Account", "Name\nAcme\n").await;
    let a = &ids[0];
    let csv = format!("Id,Name\n{a},Acme Renamed\n,Brand New\n");
    let (info, results) = s.run_complete(&upsert_on("Account", "Id"), csv).await;
    assert_eq!(info["externalIdFieldName"], "Id");
    assert_eq!(info["numberRecordsProcessed"], 2);
    assert_eq!(info["numberRecordsFailed"], 0);
    let new = &result_ids(&results.successful)[1];
    assert_ne!(new, a);
    assert_eq!(
        results.successful,
        successful(
            "Id,Name",
            &[
                row(&[a, "false", a, "Acme Renamed"]),
                row(&[new, "true", "", "Brand New"]),
            ]
        )
    );
    assert_eq!(
        s.field("Account", a, "Name").await.as_deref(),
        Some("Acme Renamed")
    );
    assert_eq!(
        s.field("Account", new, "Name").await.as_deref(),
        Some("Brand New")
    );
    assert_eq!(s.count("Account", false).await, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upsert_on_an_external_id_reports_created_true_and_false() {
    let s = start_with_extension(|_| {}).await;
    let ids = s.insert("Account", "Name,Ext__c\nOne,e1\nTwo,e2\n").await;
    let (one, two) = (&ids[0], &ids[1]);
    let csv = "Ext__c,Name\ne1,One Updated\ne3,Three\ne2,Two Updated\ne4,Four\n";
    let (info, results) = s.run_complete(&upsert_on("Account", "Ext__c"), csv).await;
    assert_eq!(info["externalIdFieldName"], "Ext__c");
    assert_eq!(info["numberRecordsProcessed"], 4);
    assert_eq!(info["numberRecordsFailed"], 0);
    let got = result_ids(&results.successful);
    let (three, four) = (&got[1], &got[3]);
    assert_eq!(
        results.successful,
        successful(
            "Ext__c,Name",
            &[
                row(&[one, "false", "e1", "One Updated"]),
                row(&[three, "true", "e3", "Three"]),
                row(&[two, "false", "e2", "Two Updated"]),
                row(&[four, "true", "e4", "Four"]),
            ]
        )
    );
    assert_eq!(
        s.field("Account", one, "Name").await.as_deref(),
        Some("One Updated")
    );
    assert_eq!(
        s.field("Account", three, "Ext__c").await.as_deref(),
        Some("e3")
    );
    assert_eq!(s.count("Account", false).await, 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upsert_with_the_same_external_id_twice_fails_both_rows() {
    let s = start_with_extension(|_| {}).await;
    let csv = "Ext__c,Name\ndup,A\nok,C\ndup,B\n,NoKey\n";
    let (info, results) = s.run_complete(&upsert_on("Account", "Ext__c"), csv).await;
    assert_eq!(info["numberRecordsProcessed"], 4);
    assert_eq!(info["numberRecordsFailed"], 3);
    assert_eq!(
        results.failed,
        failed(
            "Ext__c,Name",
            &[
                row(&[
                    "",
                    "DUPLICATE_VALUE:Duplicate external id specified: dup:--",
                    "dup",
                    "A"
                ]),
                row(&[
                    "",
                    "DUPLICATE_VALUE:Duplicate external id specified: dup:--",
                    "dup",
                    "B"
                ]),
                row(&["", "MISSING_ARGUMENT:Ext__c not specified:--", "", "NoKey"]),
            ]
        )
    );
    let ok = &result_ids(&results.successful)[0];
    assert_eq!(
        results.successful,
        successful("Ext__c,Name", &[row(&[ok, "true", "ok", "C"])])
    );
    assert_eq!(s.count("Account", true).await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_is_soft_and_a_second_delete_finds_the_entity_deleted() {
    let s = start().await;
    let ids = s.insert("Account", "Name\nAcme\nGlobex\n").await;
    let (a, b) = (&ids[0], &ids[1]);
    let (info, results) = s
        .run_complete(&job("Account", "delete"), format!("Id\n{a}\n"))
        .await;
    assert_eq!(info["operation"], "delete");
    assert_eq!(info["numberRecordsProcessed"], 1);
    assert_eq!(
        results.successful,
        successful("Id", &[row(&[a, "false", a])])
    );
    assert_eq!(results.failed, failed("Id", &[]));
    assert_eq!(
        s.field("Account", a, "IsDeleted").await.as_deref(),
        Some("1"),
        "soft delete: the record stays, marked deleted"
    );
    assert_eq!(s.count("Account", false).await, 1);
    assert_eq!(s.count("Account", true).await, 2);

    let unknown = "001000000000000AAA";
    let (info, results) = s
        .run_complete(
            &job("Account", "delete"),
            format!("Id\n{a}\n{unknown}\nabc\n"),
        )
        .await;
    assert_eq!(info["numberRecordsFailed"], 3);
    assert_eq!(
        results.failed,
        failed(
            "Id",
            &[
                row(&[a, "ENTITY_IS_DELETED:entity is deleted:--", a]),
                row(&[
                    unknown,
                    "INVALID_CROSS_REFERENCE_KEY:invalid cross reference id:--",
                    unknown
                ]),
                row(&["", "MALFORMED_ID:malformed id abc:--", "abc"]),
            ]
        )
    );

    // Updating a deleted record, or pointing a lookup at it, finds it deleted too.
    let (_, results) = s
        .run_complete(&job("Account", "update"), format!("Id,Name\n{a},Back\n"))
        .await;
    assert_eq!(
        results.failed,
        failed(
            "Id,Name",
            &[row(&[
                a,
                "ENTITY_IS_DELETED:entity is deleted:--",
                a,
                "Back"
            ])]
        )
    );
    let (_, results) = s
        .run_complete(
            &job("Contact", "insert"),
            format!("LastName,AccountId\nOrphan,{a}\nAdopted,{b}\n"),
        )
        .await;
    assert_eq!(
        results.failed,
        failed(
            "LastName,AccountId",
            &[row(&[
                "",
                "ENTITY_IS_DELETED:entity is deleted:--",
                "Orphan",
                a
            ])]
        )
    );
    let contact = &result_ids(&results.successful)[0];
    assert_eq!(
        s.field("Contact", contact, "AccountId").await.as_deref(),
        Some(b.as_str())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hard_delete_removes_the_record() {
    let s = start().await;
    let ids = s.insert("Account", "Name\nAcme\nGlobex\n").await;
    let (a, b) = (&ids[0], &ids[1]);
    let (info, results) = s
        .run_complete(&job("Account", "hardDelete"), format!("Id\n{a}\n"))
        .await;
    assert_eq!(info["operation"], "hardDelete");
    assert_eq!(
        results.successful,
        successful("Id", &[row(&[a, "false", a])])
    );
    assert!(s.record("Account", a).await.is_none(), "gone");
    assert!(s.record("Account", b).await.is_some());
    assert_eq!(s.count("Account", true).await, 1);

    let (info, results) = s
        .run_complete(&job("Account", "hardDelete"), format!("Id\n{a}\n{b}\n"))
        .await;
    assert_eq!(info["numberRecordsFailed"], 1);
    assert_eq!(
        results.failed,
        failed(
            "Id",
            &[row(&[
                a,
                "INVALID_CROSS_REFERENCE_KEY:invalid cross reference id:--",
                a
            ])]
        )
    );
    assert_eq!(s.count("Account", true).await, 0);
}

// ---------------------------------------------------------------------------------------------------------
// Row errors

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn required_and_too_long_values() {
    let s = start().await;
    let city = "Giugliano in Campania, Metropolitan City of Naples";
    let forty = "é".repeat(40);
    let csv = format!("Name,BillingCity\n,Rome\nAcme,\"{city}\"\nExactly Forty,{forty}\n");
    let (info, results) = s.run_complete(&job("Account", "insert"), csv).await;
    assert_eq!(info["numberRecordsProcessed"], 3);
    assert_eq!(info["numberRecordsFailed"], 2);
    assert_eq!(
        results.failed,
        failed(
            "Name,BillingCity",
            &[
                row(&[
                    "",
                    "REQUIRED_FIELD_MISSING:Required fields are missing: [Name]:Name --",
                    "",
                    "Rome"
                ]),
                row(&[
                    "",
                    &format!(
                        "STRING_TOO_LONG:Billing City: data value too large: {city} (max length=40):BillingCity --"
                    ),
                    "Acme",
                    city
                ]),
            ]
        )
    );
    let id = &result_ids(&results.successful)[0];
    assert_eq!(
        s.field("Account", id, "BillingCity").await.as_deref(),
        Some(forty.as_str()),
        "lengths count characters, not bytes"
    );

    // #N/A on a required field is a missing required field, reported with the record id.
    let (_, results) = s
        .run_complete(&job("Account", "update"), format!("Id,Name\n{id},#N/A\n"))
        .await;
    assert_eq!(
        results.failed,
        failed(
            "Id,Name",
            &[row(&[
                id,
                "REQUIRED_FIELD_MISSING:Required fields are missing: [Name]:Name --",
                id,
                "#N/A"
            ])]
        )
    );
    let (_, results) = s
        .run_complete(&job("Contact", "insert"), "FirstName,LastName\nAda,\n")
        .await;
    assert_eq!(
        results.failed,
        failed(
            "FirstName,LastName",
            &[row(&[
                "",
                "REQUIRED_FIELD_MISSING:Required fields are missing: [LastName]:LastName --",
                "Ada",
                ""
            ])]
        )
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn values_that_do_not_deserialize_name_the_zero_based_column() {
    let s = start().await;
    let csv =
        "Name,NumberOfEmployees,AnnualRevenue\nA,many,1\nB,1,lots\nC,3000000000,1\nD,12,1.5E7\n";
    let (info, results) = s.run_complete(&job("Account", "insert"), csv).await;
    assert_eq!(info["numberRecordsFailed"], 3);
    let header = "Name,NumberOfEmployees,AnnualRevenue";
    assert_eq!(
        results.failed,
        failed(
            header,
            &[
                row(&[
                    "",
                    "INVALID_FIELD:Failed to deserialize field at col 1. Due to, 'many' is not a valid value for the type xsd:int:NumberOfEmployees --",
                    "A",
                    "many",
                    "1.0"
                ]),
                row(&[
                    "",
                    "INVALID_FIELD:Failed to deserialize field at col 2. Due to, 'lots' is not a valid value for the type xsd:double:AnnualRevenue --",
                    "B",
                    "1",
                    "lots"
                ]),
                row(&[
                    "",
                    "INVALID_FIELD:Failed to deserialize field at col 1. Due to, '3000000000' is not a valid value for the type xsd:int:NumberOfEmployees --",
                    "C",
                    "3000000000",
                    "1.0"
                ]),
            ]
        )
    );
    let d = &result_ids(&results.successful)[0];
    assert_eq!(
        results.successful,
        successful(header, &[row(&[d, "true", "D", "12", "1.5E7"])])
    );

    let csv = "LastName,Birthdate,EmailBouncedDate,DoNotCall\n\
               L1,1940-13-07,,\n\
               L2,,yesterday,\n\
               L3,,,yes\n\
               L4,1940-06-07Z,2002-10-10T12:00:00+05:00,TRUE\n";
    let (info, results) = s.run_complete(&job("Contact", "insert"), csv).await;
    assert_eq!(info["numberRecordsFailed"], 3);
    assert_eq!(
        results.failed,
        failed(
            "LastName,Birthdate,EmailBouncedDate,DoNotCall",
            &[
                row(&[
                    "",
                    "INVALID_FIELD:Failed to deserialize field at col 1. Due to, '1940-13-07' is not a valid value for the type xsd:date:Birthdate --",
                    "L1",
                    "1940-13-07",
                    "",
                    ""
                ]),
                row(&[
                    "",
                    "INVALID_FIELD:Failed to deserialize field at col 2. Due to, 'yesterday' is not a valid value for the type xsd:dateTime:EmailBouncedDate --",
                    "L2",
                    "",
                    "yesterday",
                    ""
                ]),
                row(&[
                    "",
                    "INVALID_FIELD:Failed to deserialize field at col 3. Due to, 'yes' is not a valid value for the type xsd:boolean:DoNotCall --",
                    "L3",
                    "",
                    "",
                    "yes"
                ]),
            ]
        )
    );
    let l4 = &result_ids(&results.successful)[0];
    let record = s.record("Contact", l4).await.unwrap();
    assert_eq!(record["Birthdate"].as_deref(), Some("1940-06-07"));
    assert_eq!(
        record["EmailBouncedDate"].as_deref(),
        Some("2002-10-10T07:00:00.000Z"),
        "offsets are applied"
    );
    assert_eq!(record["DoNotCall"].as_deref(), Some("1"));
    assert_eq!(
        record["HasOptedOutOfEmail"].as_deref(),
        Some("0"),
        "booleans default to false"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_and_unknown_ids() {
    let s = start().await;
    let unknown = "001000000000000AAA";
    let contact_id = "003000000000000AAA";
    let csv = format!("Id,Name\nabc,X\n{contact_id},Y\n{unknown},Z\n,W\n");
    let (info, results) = s.run_complete(&job("Account", "update"), csv).await;
    assert_eq!(info["numberRecordsProcessed"], 4);
    assert_eq!(info["numberRecordsFailed"], 4);
    assert_eq!(
        results.failed,
        failed(
            "Id,Name",
            &[
                row(&["", "MALFORMED_ID:malformed id abc:--", "abc", "X"]),
                row(&[
                    "",
                    &format!(
                        "MALFORMED_ID:Account ID: id value of incorrect type: {contact_id}:Id --"
                    ),
                    contact_id,
                    "Y"
                ]),
                row(&[
                    unknown,
                    "INVALID_CROSS_REFERENCE_KEY:invalid cross reference id:--",
                    unknown,
                    "Z"
                ]),
                row(&[
                    "",
                    "MISSING_ARGUMENT:Id not specified in an update call:--",
                    "",
                    "W"
                ]),
            ]
        )
    );
    assert_eq!(results.successful, successful("Id,Name", &[]));

    // Lookups: a well-formed id of no record, and an id of the wrong object.
    let csv = format!("LastName,AccountId\nOrphan,{unknown}\nWrongType,{contact_id}\n");
    let (_, results) = s.run_complete(&job("Contact", "insert"), csv).await;
    assert_eq!(
        results.failed,
        failed(
            "LastName,AccountId",
            &[
                row(&[
                    "",
                    "INVALID_CROSS_REFERENCE_KEY:invalid cross reference id:--",
                    "Orphan",
                    unknown
                ]),
                row(&[
                    "",
                    &format!(
                        "FIELD_INTEGRITY_EXCEPTION:Account ID: id value of incorrect type: {contact_id}:AccountId --"
                    ),
                    "WrongType",
                    contact_id
                ]),
            ]
        )
    );
    assert_eq!(s.count("Contact", true).await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unique_fields_report_duplicate_value_with_the_holder_id() {
    let s = start_with_extension(|_| {}).await;
    let first = s
        .insert("Account", "Name,Code__c\nFirst,C1\n")
        .await
        .remove(0);
    let csv = "Name,Code__c\nSecond,C1\nThird,C2\nFourth,C2\nFifth,\nSixth,\n";
    let (info, results) = s.run_complete(&job("Account", "insert"), csv).await;
    assert_eq!(info["numberRecordsProcessed"], 5);
    assert_eq!(info["numberRecordsFailed"], 2);
    let ok = result_ids(&results.successful);
    let third = &ok[0];
    assert_eq!(ok.len(), 3, "empty values never clash");
    assert_eq!(
        results.failed,
        failed(
            "Name,Code__c",
            &[
                row(&[
                    "",
                    &format!(
                        "DUPLICATE_VALUE:duplicate value found: Code__c duplicates value on record with id: {}:--",
                        &first[..15]
                    ),
                    "Second",
                    "C1"
                ]),
                row(&[
                    "",
                    &format!(
                        "DUPLICATE_VALUE:duplicate value found: Code__c duplicates value on record with id: {}:--",
                        &third[..15]
                    ),
                    "Fourth",
                    "C2"
                ]),
            ]
        )
    );
    // An update that takes another record's value.
    let (_, results) = s
        .run_complete(
            &job("Account", "update"),
            format!("Id,Code__c\n{third},C1\n"),
        )
        .await;
    assert_eq!(
        results.failed,
        failed(
            "Id,Code__c",
            &[row(&[
                third,
                &format!(
                    "DUPLICATE_VALUE:duplicate value found: Code__c duplicates value on record with id: {}:--",
                    &first[..15]
                ),
                third,
                "C1"
            ])]
        )
    );
    assert_eq!(
        s.field("Account", third, "Code__c").await.as_deref(),
        Some("C2")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_external_id_held_by_two_records_is_duplicate_external_id() {
    let s = start_with_extension(|_| {}).await;
    let twins = s
        .insert("Account", "Name,Ext__c\nTwin A,twin\nTwin B,twin\n")
        .await;
    let (info, results) = s
        .run_complete(&upsert_on("Account", "Ext__c"), "Ext__c,Name\ntwin,Who\n")
        .await;
    assert_eq!(info["numberRecordsFailed"], 1);
    let error = |ids: [&String; 2]| {
        format!(
            "DUPLICATE_EXTERNAL_ID:External Key: more than one record found for external id field: [{}, {}]:--",
            ids[0], ids[1]
        )
    };
    let expected = [
        failed(
            "Ext__c,Name",
            &[row(&["", &error([&twins[0], &twins[1]]), "twin", "Who"])],
        ),
        failed(
            "Ext__c,Name",
            &[row(&["", &error([&twins[1], &twins[0]]), "twin", "Who"])],
        ),
    ];
    assert!(expected.contains(&results.failed), "{}", results.failed);
    assert_eq!(
        s.field("Account", &twins[0], "Name").await.as_deref(),
        Some("Twin A"),
        "neither twin changed"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn relationship_columns_resolve_parents_by_external_id() {
    let s = start_with_extension(|_| {}).await;
    let accounts = s
        .insert(
            "Account",
            "Name,Ext__c\nAcme,acme-1\nTwin A,twin\nTwin B,twin\n",
        )
        .await;
    let csv = "LastName,Account.Ext__c\nSmith,acme-1\nJones,nope\nTwin,twin\nNobody,\n";
    let (info, results) = s.run_complete(&job("Contact", "insert"), csv).await;
    assert_eq!(info["numberRecordsProcessed"], 4);
    assert_eq!(info["numberRecordsFailed"], 2);
    let header = "LastName,Account.Ext__c";
    let ok = result_ids(&results.successful);
    let (smith, nobody) = (&ok[0], &ok[1]);
    assert_eq!(
        results.successful,
        successful(
            header,
            &[
                row(&[smith, "true", "Smith", "acme-1"]),
                row(&[nobody, "true", "Nobody", ""]),
            ]
        )
    );
    let failures = parse_csv(&results.failed, b',');
    assert_eq!(failures.len(), 3);
    assert_eq!(
        failures[1],
        [
            "",
            "INVALID_FIELD:Foreign key external ID: nope not found for field Ext__c in entity Account:--",
            "Jones",
            "nope"
        ]
    );
    let twin_error = &failures[2][1];
    assert!(
        twin_error.starts_with(
            "DUPLICATE_EXTERNAL_ID:External Key: more than one record found for external id field: ["
        ) && twin_error.ends_with("]:--")
            && twin_error.contains(&accounts[1])
            && twin_error.contains(&accounts[2]),
        "{twin_error}"
    );
    assert_eq!(
        s.field("Contact", smith, "AccountId").await.as_deref(),
        Some(accounts[0].as_str())
    );
    assert_eq!(s.field("Contact", nobody, "AccountId").await, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restricted_picklists_reject_unknown_values() {
    let s = start_with_extension(|_| {}).await;
    let (_, results) = s
        .run_complete(
            &job("Account", "insert"),
            "Name,Tier__c\nA,Gold\nB,Bronze\nC,gold\n",
        )
        .await;
    assert_eq!(
        results.failed,
        failed(
            "Name,Tier__c",
            &[
                row(&[
                    "",
                    "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST:Tier: bad value for restricted picklist field: Bronze:Tier__c --",
                    "B",
                    "Bronze"
                ]),
                row(&[
                    "",
                    "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST:Tier: bad value for restricted picklist field: gold:Tier__c --",
                    "C",
                    "gold"
                ]),
            ]
        )
    );

    // A built-in restricted picklist.
    let header = "Username,LastName,Email,Alias,TimeZoneSidKey,LocaleSidKey,EmailEncodingKey,ProfileId,LanguageLocaleKey";
    let csv = format!(
        "{header}\n\
         u1@example.com,One,u1@example.com,u1,Mars/Olympus,en_US,UTF-8,00e000000000000AAA,en_US\n\
         u2@example.com,Two,u2@example.com,u2,Europe/Paris,en_US,UTF-8,00e000000000000AAA,en_US\n"
    );
    let (info, results) = s.run_complete(&job("User", "insert"), csv).await;
    assert_eq!(info["numberRecordsFailed"], 1);
    assert_eq!(
        results.failed,
        failed(
            header,
            &[row(&[
                "",
                "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST:Time Zone: bad value for restricted picklist field: Mars/Olympus:TimeZoneSidKey --",
                "u1@example.com",
                "One",
                "u1@example.com",
                "u1",
                "Mars/Olympus",
                "en_US",
                "UTF-8",
                "00e000000000000AAA",
                "en_US"
            ])]
        )
    );
    let user = &result_ids(&results.successful)[0];
    assert!(user.starts_with("005"), "{user}");
    assert_eq!(
        s.field("User", user, "TimeZoneSidKey").await.as_deref(),
        Some("Europe/Paris")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_only_fields_and_ids_on_insert_are_invalid_for_insert_update() {
    let s = start().await;
    let csv = "Name,CreatedDate\nA,2020-01-01T00:00:00Z\nB,\n";
    let (info, results) = s.run_complete(&job("Account", "insert"), csv).await;
    assert_eq!(info["numberRecordsFailed"], 1);
    assert_eq!(
        results.failed,
        failed(
            "Name,CreatedDate",
            &[row(&[
                "",
                "INVALID_FIELD_FOR_INSERT_UPDATE:Unable to create/update fields: CreatedDate. Please check the security settings of this field and verify that it is read/write for your profile or permission set.:CreatedDate --",
                "A",
                "2020-01-01T00:00:00Z"
            ])]
        )
    );
    let b = &result_ids(&results.successful)[0];
    assert_ne!(
        s.field("Account", b, "CreatedDate").await.as_deref(),
        None,
        "the server sets CreatedDate"
    );

    let csv = format!("Id,Name\n{b},Copy\n,Fresh\n");
    let (_, results) = s.run_complete(&job("Account", "insert"), csv).await;
    assert_eq!(
        results.failed,
        failed(
            "Id,Name",
            &[row(&[
                "",
                "INVALID_FIELD_FOR_INSERT_UPDATE:Unable to create/update fields: Id. Please check the security settings of this field and verify that it is read/write for your profile or permission set.:Id --",
                b,
                "Copy"
            ])]
        )
    );
    assert_eq!(parse_csv(&results.successful, b',').len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rows_with_the_wrong_number_of_cells_fail_alone() {
    let s = start().await;
    let (info, results) = s
        .run_complete(&job("Account", "insert"), "Name,Phone\nA\nB,1,extra\nC,2\n")
        .await;
    assert_eq!(info["numberRecordsProcessed"], 3);
    assert_eq!(info["numberRecordsFailed"], 2);
    assert_eq!(
        results.failed,
        format!(
            "\"sf__Id\",\"sf__Error\",Name,Phone\n{}{}",
            // Each line as wide as the header: a missing cell empty, a cell past the header not echoed.
            row(&[
                "",
                "INVALID_FIELD:Row has 1 columns but the header has 2:--",
                "A",
                ""
            ]),
            row(&[
                "",
                "INVALID_FIELD:Row has 3 columns but the header has 2:--",
                "B",
                "1"
            ])
        )
    );
}
