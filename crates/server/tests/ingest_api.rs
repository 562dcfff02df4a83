//! The ingest endpoints over real HTTP: discovery, the job lifecycle and its JSON in each state, listing,
//! deleting, the result files, URL quirks, authentication, `Sforce-Limit-Info`, gzip, and HTTP errors.
//!
//! This file is long because it is the endpoint-by-endpoint record of the ingest API's answers (JSON, headers,
//! errors), one short test per answer; it reads as a table of cases.

mod common;

use common::*;
use futures::StreamExt;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::collections::HashSet;
use std::io::Read;

const INSERT_ACCOUNT: &str = r#"{"object":"Account","operation":"insert"}"#;

fn insert_account() -> Value {
    json!({"object": "Account", "operation": "insert"})
}

// ---------------------------------------------------------------------------------------------------------
// Discovery

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn version_list_needs_no_auth_and_spans_41_to_66() {
    let s = start().await;
    for path in ["/services/data", "/services/data/"] {
        let reply = s.send(s.client.get(s.url(path))).await;
        assert_eq!(reply.status, StatusCode::OK);
        assert_eq!(
            reply.header("content-type").as_deref(),
            Some("application/json;charset=UTF-8")
        );
        assert_eq!(
            reply.header("sforce-limit-info").as_deref(),
            Some("api-usage=0/100000")
        );
        let text = reply.text();
        assert!(
            text.starts_with(
                r#"[{"label":"Winter '18","url":"/services/data/v41.0","version":"41.0"},{"label":"Spring '18","url":"/services/data/v42.0","version":"42.0"},"#
            ),
            "{text}"
        );
        assert!(
            text.ends_with(
                r#"{"label":"Spring '26","url":"/services/data/v66.0","version":"66.0"}]"#
            ),
            "{text}"
        );
        let list = reply.json();
        let list = list.as_array().unwrap();
        assert_eq!(list.len(), 26);
        for (i, entry) in list.iter().enumerate() {
            let v = 41 + i;
            assert_eq!(keys(entry), ["label", "url", "version"]);
            assert_eq!(
                entry["version"],
                json!(format!("{v}.0")),
                "version is a string"
            );
            assert_eq!(entry["url"], json!(format!("/services/data/v{v}.0")));
        }
        let label = |v: usize| list[v - 41]["label"].as_str().unwrap().to_owned();
        assert_eq!(label(41), "Winter '18");
        assert_eq!(label(47), "Winter '20");
        assert_eq!(label(52), "Summer '21");
        assert_eq!(label(58), "Summer '23");
        assert_eq!(label(62), "Winter '25");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn version_root_needs_auth_and_lists_jobs() {
    let s = start().await;
    let reply = s.get(&s.url("/services/data/v62.0/")).await;
    assert_eq!(reply.status, StatusCode::OK);
    let root = reply.json();
    assert_eq!(root["jobs"], "/services/data/v62.0/jobs");
    let reply = s.get(&s.url("/services/data/v59.0")).await;
    assert_eq!(reply.json()["jobs"], "/services/data/v59.0/jobs");

    let reply = s.send(s.client.get(s.url("/services/data/v62.0/"))).await;
    reply.assert_error(401, "INVALID_SESSION_ID", "Session expired or invalid");
}

// ---------------------------------------------------------------------------------------------------------
// Create

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_answers_200_with_salesforce_keys_in_order() {
    let s = start().await;
    let reply = s.create_raw(V, INSERT_ACCOUNT).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    assert_eq!(
        reply.header("content-type").as_deref(),
        Some("application/json;charset=UTF-8")
    );
    let job = reply.json();
    assert_eq!(
        keys(&job),
        base_and(&["contentUrl", "lineEnding", "columnDelimiter"])
    );
    let id = id_of(&job);
    assert_eq!(id.len(), 18);
    assert!(id.starts_with("750"), "{id}");
    assert_eq!(job["operation"], "insert");
    assert_eq!(job["object"], "Account");
    assert_eq!(
        job["createdById"],
        s.running.principal.user_id.as_str(),
        "the creating user"
    );
    assert!(
        is_job_timestamp(job["createdDate"].as_str().unwrap()),
        "{job}"
    );
    assert!(
        is_job_timestamp(job["systemModstamp"].as_str().unwrap()),
        "{job}"
    );
    assert_eq!(job["state"], "Open");
    assert_eq!(job["concurrencyMode"], "Parallel");
    assert_eq!(job["contentType"], "CSV");
    assert!(
        reply.text().contains(r#""apiVersion":62.0,"#),
        "apiVersion is a number with one decimal: {}",
        reply.text()
    );
    assert_eq!(
        job["contentUrl"],
        json!(format!("services/data/v62.0/jobs/ingest/{id}/batches")),
        "relative, without a leading slash"
    );
    assert_eq!(job["lineEnding"], "LF");
    assert_eq!(job["columnDelimiter"], "COMMA");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_upsert_shows_external_id_after_state_and_the_chosen_dialect() {
    let s = start().await;
    let job = s
        .create_at(
            "v59.0",
            &json!({"object": "Account", "operation": "upsert", "externalIdFieldName": "Id",
                    "lineEnding": "CRLF", "columnDelimiter": "PIPE", "contentType": "CSV"}),
        )
        .await;
    assert_eq!(
        keys(&job),
        [
            "id",
            "operation",
            "object",
            "createdById",
            "createdDate",
            "systemModstamp",
            "state",
            "externalIdFieldName",
            "concurrencyMode",
            "contentType",
            "apiVersion",
            "contentUrl",
            "lineEnding",
            "columnDelimiter"
        ]
    );
    assert_eq!(job["externalIdFieldName"], "Id");
    assert_eq!(job["apiVersion"], json!(59.0));
    assert_eq!(job["lineEnding"], "CRLF");
    assert_eq!(job["columnDelimiter"], "PIPE");
    let id = id_of(&job);
    assert_eq!(
        job["contentUrl"],
        json!(format!("services/data/v59.0/jobs/ingest/{id}/batches"))
    );
    let closed = s.close(&id).await;
    assert_eq!(
        keys(&closed),
        [
            "id",
            "operation",
            "object",
            "createdById",
            "createdDate",
            "systemModstamp",
            "state",
            "externalIdFieldName",
            "concurrencyMode",
            "contentType",
            "apiVersion"
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn multipart_create_closes_the_job_and_processes_its_rows() {
    let s = start().await;
    let form = reqwest::multipart::Form::new()
        .part(
            "job",
            reqwest::multipart::Part::text(
                r#"{"object":"Contact","contentType":"CSV","operation":"insert","lineEnding":"LF"}"#,
            )
            .mime_str("application/json")
            .unwrap(),
        )
        .part(
            "content",
            reqwest::multipart::Part::bytes(
                b"FirstName,LastName,MailingCity\nAstro,Nomical,San Francisco\n".to_vec(),
            )
            .file_name("content")
            .mime_str("text/csv")
            .unwrap(),
        );
    let reply = s
        .send(
            s.request(Method::POST, &s.api("/jobs/ingest"))
                .multipart(form),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let job = reply.json();
    assert_eq!(keys(&job), base_and(&["lineEnding", "columnDelimiter"]));
    assert_eq!(job["state"], "UploadComplete");
    assert_eq!(job["object"], "Contact");
    let id = id_of(&job);
    let info = s.wait(&id).await;
    assert_eq!(info["state"], "JobComplete");
    assert_eq!(info["numberRecordsProcessed"], 1);
    assert_eq!(info["numberRecordsFailed"], 0);
    let successful = s.result(&id, "successfulResults").await;
    let rows = parse_csv(&successful, b',');
    let contact = &rows[1][0];
    assert_eq!(
        successful,
        format!(
            "\"sf__Id\",\"sf__Created\",FirstName,LastName,MailingCity\n\"{contact}\",\"true\",\"Astro\",\"Nomical\",\"San Francisco\"\n"
        )
    );
    assert_eq!(
        s.field("Contact", contact, "Name").await.as_deref(),
        Some("Astro Nomical")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn multipart_create_accepts_a_quoted_boundary() {
    let s = start().await;
    let body = "--BOUNDARY\r\n\
         Content-Type: application/json\r\n\
         Content-Disposition: form-data; name=\"job\"\r\n\
         \r\n\
         {\"object\":\"Contact\",\"contentType\":\"CSV\",\"operation\":\"insert\",\"lineEnding\":\"LF\"}\r\n\
         --BOUNDARY\r\n\
         Content-Type: text/csv\r\n\
         Content-Disposition: form-data; name=\"content\"; filename=\"content\"\r\n\
         \r\n\
         FirstName,LastName,MailingCity\nAstro,Nomical,San Francisco\nBarb,Ara,Rome\n\r\n\
         --BOUNDARY--\r\n";
    let reply = s
        .send(
            s.request(Method::POST, &s.api("/jobs/ingest"))
                .header("Content-Type", "multipart/form-data; boundary=\"BOUNDARY\"")
                .body(body),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let job = reply.json();
    assert_eq!(job["state"], "UploadComplete");
    let info = s.wait(&id_of(&job)).await;
    assert_eq!(info["state"], "JobComplete", "{info}");
    assert_eq!(info["numberRecordsProcessed"], 2);
    assert_eq!(info["numberRecordsFailed"], 0);
}

// ---------------------------------------------------------------------------------------------------------
// Lifecycle and the job JSON of each state

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn info_shows_the_fields_of_each_state() {
    let s = start().await;
    let id = s.create_id(&insert_account()).await;

    let open = s.info(&id).await;
    assert_eq!(
        keys(&open),
        base_and(&[
            "jobType",
            "contentUrl",
            "lineEnding",
            "columnDelimiter",
            "retries",
            "totalProcessingTime",
            "apiActiveProcessingTime",
            "apexProcessingTime"
        ]),
        "Open before the upload: no record counters"
    );
    assert_eq!(open["state"], "Open");
    assert_eq!(open["jobType"], "V2Ingest");
    assert_eq!(open["retries"], 0);
    assert_eq!(open["totalProcessingTime"], 0);
    assert_eq!(open["apiActiveProcessingTime"], 0);
    assert_eq!(open["apexProcessingTime"], 0);

    // The upload answers 201 with no body and no content type.
    let reply = s.upload(&id, "Name\nAcme\nGlobex\n").await;
    assert_eq!(reply.status, StatusCode::CREATED);
    assert!(reply.body.is_empty());
    assert_eq!(reply.header("content-type"), None);

    let uploaded = s.info(&id).await;
    assert_eq!(
        keys(&uploaded),
        base_and(&[
            "jobType",
            "contentUrl",
            "lineEnding",
            "columnDelimiter",
            "numberRecordsProcessed",
            "numberRecordsFailed",
            "retries",
            "totalProcessingTime",
            "apiActiveProcessingTime",
            "apexProcessingTime"
        ]),
        "Open after the upload: counters at 0"
    );
    assert_eq!(uploaded["numberRecordsProcessed"], 0);
    assert_eq!(uploaded["numberRecordsFailed"], 0);

    let closed = s.close(&id).await;
    assert_eq!(keys(&closed), base_and(&[]), "the short close answer");
    assert_eq!(closed["state"], "UploadComplete");
    assert_eq!(closed["id"], json!(id));

    let done = s.wait(&id).await;
    let finished_keys = base_and(&[
        "jobType",
        "lineEnding",
        "columnDelimiter",
        "numberRecordsProcessed",
        "numberRecordsFailed",
        "retries",
        "totalProcessingTime",
        "apiActiveProcessingTime",
        "apexProcessingTime",
    ]);
    assert_eq!(keys(&done), finished_keys);
    assert_eq!(done["state"], "JobComplete");
    assert_eq!(done["numberRecordsProcessed"], 2);
    assert_eq!(done["numberRecordsFailed"], 0);
    assert!(is_job_timestamp(done["systemModstamp"].as_str().unwrap()));

    // A job that fails: errorMessage is the last key.
    let failed_id = s.create_id(&insert_account()).await;
    s.upload_ok(&failed_id, "Name,Employees\nFoo,12\n").await;
    s.close(&failed_id).await;
    let failed = s.wait(&failed_id).await;
    let mut failed_keys = finished_keys.clone();
    failed_keys.push("errorMessage".into());
    assert_eq!(keys(&failed), failed_keys);
    assert_eq!(failed["state"], "Failed");
    assert_eq!(
        failed["errorMessage"],
        "InvalidBatch : Field name not found : Employees"
    );

    // An aborted job: the finished shape, no errorMessage.
    let aborted_id = s.create_id(&insert_account()).await;
    let reply = s.patch_state(&aborted_id, "Aborted").await;
    assert_eq!(reply.status, StatusCode::OK);
    let aborted = reply.json();
    assert_eq!(keys(&aborted), base_and(&[]));
    assert_eq!(aborted["state"], "Aborted");
    let aborted = s.info(&aborted_id).await;
    assert_eq!(aborted["state"], "Aborted");
    assert!(aborted.get("contentUrl").is_none());
    assert!(aborted.get("errorMessage").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jobs_of_other_api_versions_keep_their_version() {
    let s = start().await;
    for (version, number) in [("v50.0", 50.0), ("v59.0", 59.0)] {
        let job = s
            .create_at(
                version,
                &json!({"object": "Account", "operation": "insert"}),
            )
            .await;
        assert_eq!(job["apiVersion"], json!(number));
        let id = id_of(&job);
        let base = format!("/services/data/{version}/jobs/ingest/{id}");
        let reply = s
            .send(
                s.request(Method::PUT, &s.url(&format!("{base}/batches")))
                    .header("Content-Type", "text/csv")
                    .body("Name\nOld Version\n"),
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED);
        let reply = s
            .send(
                s.request(Method::PATCH, &s.url(&base))
                    .header("Content-Type", "application/json")
                    .body(r#"{"state":"UploadComplete"}"#),
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK);
        s.wait(&id).await;
        let reply = s.get(&s.url(&base)).await;
        assert_eq!(reply.json()["apiVersion"], json!(number));
        assert_eq!(reply.json()["state"], "JobComplete");
        let reply = s.get(&s.url(&format!("{base}/successfulResults"))).await;
        assert_eq!(reply.status, StatusCode::OK);
        assert!(
            reply
                .text()
                .starts_with("\"sf__Id\",\"sf__Created\",Name\n\"001")
        );
    }
}

// ---------------------------------------------------------------------------------------------------------
// List

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_pages_by_1000_with_a_query_locator() {
    let s = start().await;
    let started = std::time::Instant::now();
    let created: Vec<String> = futures::stream::iter(0..1001)
        .map(|_| async { s.create_id(&insert_account()).await })
        .buffer_unordered(8)
        .collect()
        .await;
    eprintln!("created 1001 jobs in {:?}", started.elapsed());
    let created: HashSet<String> = created.into_iter().collect();
    assert_eq!(created.len(), 1001);

    let reply = s.get(&s.api("/jobs/ingest")).await;
    assert_eq!(reply.status, StatusCode::OK);
    let page = reply.json();
    assert_eq!(keys(&page), ["done", "records", "nextRecordsUrl"]);
    assert_eq!(page["done"], false);
    let records = page["records"].as_array().unwrap();
    assert_eq!(records.len(), 1000);
    let summary = &records[0];
    assert_eq!(
        keys(summary),
        base_and(&["jobType", "contentUrl", "lineEnding", "columnDelimiter"]),
        "summaries: no counters"
    );
    assert_eq!(summary["jobType"], "V2Ingest");
    let next = page["nextRecordsUrl"].as_str().unwrap().to_owned();
    assert!(
        next.starts_with("/services/data/v62.0/jobs/ingest?queryLocator="),
        "{next}"
    );

    let reply = s.get(&s.url(&next)).await;
    assert_eq!(reply.status, StatusCode::OK);
    let last = reply.json();
    assert_eq!(last["done"], true);
    assert_eq!(last["nextRecordsUrl"], Value::Null);
    let last_records = last["records"].as_array().unwrap();
    assert_eq!(last_records.len(), 1);

    let listed: Vec<String> = records
        .iter()
        .chain(last_records)
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect();
    let listed_set: HashSet<String> = listed.iter().cloned().collect();
    assert_eq!(listed.len(), listed_set.len(), "no job listed twice");
    assert_eq!(listed_set, created);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_of_a_few_jobs_is_done_and_filters_by_job_type() {
    let s = start().await;
    let empty = s.get(&s.api("/jobs/ingest")).await.json();
    assert_eq!(
        empty,
        json!({"done": true, "records": [], "nextRecordsUrl": null})
    );
    assert_eq!(
        s.get(&s.api("/jobs/ingest")).await.text(),
        r#"{"done":true,"records":[],"nextRecordsUrl":null}"#
    );

    let open = s.create_id(&insert_account()).await;
    let closed = s.create_id(&insert_account()).await;
    s.upload_ok(&closed, "Name\nA\n").await;
    s.close(&closed).await;
    s.wait(&closed).await;

    let page = s.get(&s.api("/jobs/ingest/")).await.json();
    assert_eq!(page["done"], true);
    assert_eq!(page["nextRecordsUrl"], Value::Null);
    let records = page["records"].as_array().unwrap();
    assert_eq!(records.len(), 2);
    let by_id = |id: &str| {
        records
            .iter()
            .find(|r| r["id"] == id)
            .unwrap_or_else(|| panic!("{id} not listed"))
            .clone()
    };
    let open_summary = by_id(&open);
    assert_eq!(
        keys(&open_summary),
        base_and(&["jobType", "contentUrl", "lineEnding", "columnDelimiter"])
    );
    let done_summary = by_id(&closed);
    assert_eq!(
        keys(&done_summary),
        base_and(&["jobType", "lineEnding", "columnDelimiter"])
    );
    assert_eq!(done_summary["state"], "JobComplete");

    let v2 = s.get(&s.api("/jobs/ingest?jobType=V2Ingest")).await.json();
    assert_eq!(v2["records"].as_array().unwrap().len(), 2);
    let classic = s.get(&s.api("/jobs/ingest?jobType=Classic")).await.json();
    assert_eq!(
        classic,
        json!({"done": true, "records": [], "nextRecordsUrl": null})
    );
    let ignored = s
        .get(&s.api("/jobs/ingest?isPkChunkingEnabled=false&queryLocator="))
        .await
        .json();
    assert_eq!(ignored["records"].as_array().unwrap().len(), 2);

    // A locator continues after the job it names.
    let mut ids = [open.clone(), closed.clone()];
    ids.sort();
    let after_first = s
        .get(&s.api(&format!("/jobs/ingest?queryLocator={}", ids[0])))
        .await
        .json();
    let rest: Vec<_> = after_first["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(rest, [ids[1].clone()]);
    assert_eq!(after_first["done"], true);

    s.get(&s.api("/jobs/ingest?queryLocator=garbage"))
        .await
        .assert_error(
            400,
            "INVALID_QUERY_LOCATOR",
            "The queryLocator is not valid",
        );
}

// ---------------------------------------------------------------------------------------------------------
// Delete

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_removes_finished_jobs_and_refuses_open_ones() {
    let s = start().await;
    let (info, _) = s.run_complete(&insert_account(), "Name\nAcme\n").await;
    let id = id_of(&info);

    let reply = s.send(s.request(Method::DELETE, &s.job_url(&id))).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    assert!(reply.body.is_empty());

    s.get(&s.job_url(&id)).await.assert_error(
        404,
        "NOT_FOUND",
        "The requested resource does not exist",
    );
    for file in ["successfulResults", "failedResults", "unprocessedrecords"] {
        s.get(&s.api(&format!("/jobs/ingest/{id}/{file}")))
            .await
            .assert_error(404, "NOT_FOUND", "The requested resource does not exist");
    }
    s.send(s.request(Method::DELETE, &s.job_url(&id)))
        .await
        .assert_error(404, "NOT_FOUND", "The requested resource does not exist");
    let list = s.get(&s.api("/jobs/ingest")).await.json();
    assert!(
        list["records"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["id"] != id),
        "deleted jobs are not listed"
    );
    // The records the job created stay.
    assert_eq!(s.count("Account", false).await, 1);

    let open = s.create_id(&insert_account()).await;
    s.send(s.request(Method::DELETE, &s.job_url(&open)))
        .await
        .assert_error(
            400,
            "API_ERROR",
            "Error encountered when deleting the job because the job is not terminated",
        );
    assert_eq!(s.info(&open).await["state"], "Open");

    // Failed and Aborted jobs may be deleted too.
    let failed = s.create_id(&insert_account()).await;
    s.upload_ok(&failed, "NoSuchField\nx\n").await;
    s.close(&failed).await;
    assert_eq!(s.wait(&failed).await["state"], "Failed");
    let reply = s.send(s.request(Method::DELETE, &s.job_url(&failed))).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    assert_eq!(s.patch_state(&open, "Aborted").await.status, StatusCode::OK);
    let reply = s.send(s.request(Method::DELETE, &s.job_url(&open))).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
}

// ---------------------------------------------------------------------------------------------------------
// Result files

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn result_files_quote_every_cell_and_echo_the_header_verbatim() {
    let s = start().await;
    let csv = "name,\"Phone\",AnnualRevenue,Description\n\
               Acme,555-1234,912260031,\"Lorem\nIpsum\"\n\
               ,1,2,x\n\
               \"Say \"\"hi\"\"\",,,\n";
    let (info, results) = s.run_complete(&insert_account(), csv).await;
    assert_eq!(info["numberRecordsProcessed"], 3);
    assert_eq!(info["numberRecordsFailed"], 1);
    let rows = parse_csv(&results.successful, b',');
    let (acme, hi) = (&rows[1][0], &rows[2][0]);
    assert_eq!(
        results.successful,
        format!(
            "\"sf__Id\",\"sf__Created\",name,\"Phone\",AnnualRevenue,Description\n\
             \"{acme}\",\"true\",\"Acme\",\"555-1234\",\"9.12260031E8\",\"Lorem\nIpsum\"\n\
             \"{hi}\",\"true\",\"Say \"\"hi\"\"\",\"\",\"\",\"\"\n"
        )
    );
    assert_eq!(
        results.failed,
        "\"sf__Id\",\"sf__Error\",name,\"Phone\",AnnualRevenue,Description\n\
         \"\",\"REQUIRED_FIELD_MISSING:Required fields are missing: [Name]:Name --\",\"\",\"1\",\"2.0\",\"x\"\n"
    );
    assert_eq!(
        results.unprocessed, "name,\"Phone\",AnnualRevenue,Description\n",
        "a completed job has no unprocessed rows: the header alone"
    );
    assert_eq!(
        s.field("Account", hi, "Name").await.as_deref(),
        Some("Say \"hi\"")
    );
    assert_eq!(
        s.field("Account", acme, "Description").await.as_deref(),
        Some("Lorem\nIpsum")
    );

    // Nothing failed: the failed file is the header line alone.
    let (_, results) = s.run_complete(&insert_account(), "Name,Phone\nA,1\n").await;
    assert_eq!(results.failed, "\"sf__Id\",\"sf__Error\",Name,Phone\n");
    // Nothing succeeded: the same for the successful file.
    let (_, results) = s.run_complete(&insert_account(), "Name,Phone\n,1\n").await;
    assert_eq!(
        results.successful,
        "\"sf__Id\",\"sf__Created\",Name,Phone\n"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aborted_open_job_returns_every_row_as_unprocessed() {
    let s = start().await;
    let id = s.create_id(&insert_account()).await;
    let csv = "Name,AccountNumber\nFoo,12\n\"Bar, Inc\",1138\nBaz,\n";
    s.upload_ok(&id, csv).await;
    let reply = s.patch_state(&id, "Aborted").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json()["state"], "Aborted");
    let info = s.info(&id).await;
    assert_eq!(info["state"], "Aborted");
    assert_eq!(info["numberRecordsProcessed"], 0);
    let results = s.results(&id).await;
    assert_eq!(
        results.unprocessed, csv,
        "header and every row, as uploaded"
    );
    assert_eq!(
        results.successful,
        "\"sf__Id\",\"sf__Created\",Name,AccountNumber\n"
    );
    assert_eq!(
        results.failed,
        "\"sf__Id\",\"sf__Error\",Name,AccountNumber\n"
    );
    assert_eq!(
        s.count("Account", true).await,
        0,
        "aborted data is never applied"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn results_are_gzipped_when_accepted() {
    let s = start().await;
    let mut csv = String::from("Name,Description\n");
    for i in 0..200 {
        csv.push_str(&format!(
            "Company {i},Some repetitive description text {i}\n"
        ));
    }
    let (info, plain) = s.run_complete(&insert_account(), csv).await;
    let id = id_of(&info);
    for file in ["successfulResults", "failedResults", "unprocessedrecords"] {
        let url = s.api(&format!("/jobs/ingest/{id}/{file}"));
        let reply = s
            .send(
                s.request(Method::GET, &url)
                    .header("Accept-Encoding", "gzip"),
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK);
        assert_eq!(reply.header("content-encoding").as_deref(), Some("gzip"));
        assert_eq!(
            reply.header("content-type").as_deref(),
            Some("text/csv; charset=UTF-8")
        );
        assert_eq!(reply.header("vary").as_deref(), Some("Accept-Encoding"));
        assert_eq!(&reply.body[..2], &[0x1f, 0x8b], "gzip magic bytes");
        let mut decoded = String::new();
        flate2::read::GzDecoder::new(&reply.body[..])
            .read_to_string(&mut decoded)
            .unwrap();
        let expected = match file {
            "successfulResults" => &plain.successful,
            "failedResults" => &plain.failed,
            _ => &plain.unprocessed,
        };
        assert_eq!(&decoded, expected);
    }
    assert_eq!(plain.successful.lines().count(), 201);

    let url = s.api(&format!("/jobs/ingest/{id}/successfulResults"));
    for refused in ["gzip;q=0", "deflate", "identity"] {
        let reply = s
            .send(
                s.request(Method::GET, &url)
                    .header("Accept-Encoding", refused),
            )
            .await;
        assert_eq!(reply.header("content-encoding"), None, "{refused}");
        assert_eq!(reply.text(), plain.successful);
    }
    let reply = s
        .send(
            s.request(Method::GET, &url)
                .header("Accept-Encoding", "deflate, gzip"),
        )
        .await;
    assert_eq!(reply.header("content-encoding").as_deref(), Some("gzip"));

    // A client that decompresses transparently sees the plain CSV.
    let auto = reqwest::Client::builder().gzip(true).build().unwrap();
    let text = auto
        .get(&url)
        .bearer_auth(s.token())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(text, plain.successful);
}

// ---------------------------------------------------------------------------------------------------------
// URL quirks, authentication and the limit header

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn url_quirks_of_real_clients_are_tolerated() {
    let s = start().await;
    // Data Loader creates jobs at `…/jobs/ingest//`; others add a trailing slash.
    for path in ["/jobs/ingest/", "/jobs/ingest//"] {
        let reply = s
            .send(
                s.request(Method::POST, &s.api(path))
                    .header("Content-Type", "application/json")
                    .body(INSERT_ACCOUNT),
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{path}: {}", reply.text());
    }
    let id = s.create_id(&insert_account()).await;
    let reply = s
        .send(
            s.request(
                Method::PUT,
                &s.url(&format!("//services//data/v62.0/jobs/ingest/{id}/batches/")),
            )
            .header("Content-Type", "text/csv")
            .body("Name\nQuirky\n"),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
    let reply = s
        .send(
            s.request(Method::PATCH, &s.api(&format!("/jobs/ingest/{id}/")))
                .header("Content-Type", "application/json")
                .body(r#"{"state":"UploadComplete"}"#),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    s.wait(&id).await;
    let reply = s.get(&s.api(&format!("/jobs/ingest//{id}"))).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json()["state"], "JobComplete");

    let successful = s.result(&id, "successfulResults").await;
    let failed = s.result(&id, "failedResults").await;
    let unprocessed = s.result(&id, "unprocessedrecords").await;
    assert_eq!(unprocessed, "Name\n");
    for (file, expected) in [
        ("SUCCESSFULRESULTS", &successful),
        ("successfulresults/", &successful),
        ("successfulResults/", &successful),
        ("FailedResults", &failed),
        ("failedResults/", &failed),
        ("unprocessedRecords", &unprocessed),
        ("UNPROCESSEDRECORDS/", &unprocessed),
    ] {
        let reply = s.get(&s.api(&format!("/jobs/ingest/{id}/{file}"))).await;
        assert_eq!(reply.status, StatusCode::OK, "{file}");
        assert_eq!(&reply.text(), expected, "{file}");
    }
    let reply = s
        .get(&s.url(&format!(
            "//services/data/v62.0//jobs//ingest/{id}//successfulResults"
        )))
        .await;
    assert_eq!(reply.text(), successful);

    // 18-character ids are case-insensitive; the 15-character form names the same job.
    let reply = s.get(&s.job_url(&id.to_lowercase())).await;
    assert_eq!(reply.status, StatusCode::OK, "lower-cased 18-char id");
    assert_eq!(reply.json()["id"], json!(id));
    let reply = s.get(&s.job_url(&id[..15])).await;
    assert_eq!(reply.status, StatusCode::OK, "15-char id");
    assert_eq!(reply.json()["id"], json!(id));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oauth_scheme_and_bearer_are_accepted_and_bad_tokens_get_401() {
    let s = start().await;
    let id = s.create_id(&insert_account()).await;
    let url = s.job_url(&id);
    let reply = s
        .send(
            s.client
                .get(&url)
                .header("Authorization", format!("OAuth {}", s.token())),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json()["id"], json!(id));

    let unauthorized = [
        None,
        Some("Bearer ".to_owned()),
        Some("Bearer not-a-token".to_owned()),
        Some(format!("Bearer {}x", s.token())),
        Some(format!("Basic {}", s.token())),
    ];
    for header in unauthorized {
        let mut request = s.client.get(&url);
        if let Some(h) = &header {
            request = request.header("Authorization", h);
        }
        let reply = s.send(request).await;
        assert_eq!(
            reply.text(),
            r#"[{"errorCode":"INVALID_SESSION_ID","message":"Session expired or invalid"}]"#,
            "{header:?}"
        );
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{header:?}");
        assert_eq!(
            reply.header("sforce-limit-info").as_deref(),
            Some("api-usage=0/100000")
        );
    }
    // Every job endpoint requires the token.
    for (method, path) in [
        (Method::POST, "/jobs/ingest".to_owned()),
        (Method::GET, "/jobs/ingest".to_owned()),
        (Method::PUT, format!("/jobs/ingest/{id}/batches")),
        (Method::PATCH, format!("/jobs/ingest/{id}")),
        (Method::DELETE, format!("/jobs/ingest/{id}")),
        (Method::GET, format!("/jobs/ingest/{id}/successfulResults")),
    ] {
        let reply = s.send(s.client.request(method.clone(), s.api(&path))).await;
        reply.assert_error(401, "INVALID_SESSION_ID", "Session expired or invalid");
    }
    assert_eq!(s.info(&id).await["state"], "Open", "nothing changed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn limit_info_counts_requests_and_is_on_every_response() {
    let s = start().await;
    let usage = |reply: &Reply| -> u64 {
        reply
            .header("sforce-limit-info")
            .unwrap()
            .strip_prefix("api-usage=")
            .unwrap()
            .strip_suffix("/100000")
            .unwrap()
            .parse()
            .unwrap()
    };
    let first = s.get(&s.api("/jobs/ingest")).await;
    let n = usage(&first);
    assert!(n >= 1);
    let second = s.get(&s.api("/jobs/ingest")).await;
    assert_eq!(usage(&second), n + 1);
    // Error responses carry it too (Reply checks the header's presence and shape on every response).
    let missing = s.get(&s.job_url("750000000000000AAA")).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(usage(&missing), n + 2);
    let bad = s.create_raw(V, "{").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(usage(&bad), n + 3);
    let unknown_path = s.get(&s.url("/nope")).await;
    assert_eq!(unknown_path.status, StatusCode::NOT_FOUND);
    let retired = s.get(&s.url("/services/data/v20.0/jobs/ingest")).await;
    assert_eq!(retired.status, StatusCode::GONE);
}

// ---------------------------------------------------------------------------------------------------------
// HTTP errors

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_state_requests_get_invalidjobstate() {
    let s = start().await;
    let (info, _) = s.run_complete(&insert_account(), "Name\nA\n").await;
    let id = id_of(&info);
    s.patch_state(&id, "UploadComplete").await.assert_error(
        400,
        "INVALIDJOBSTATE",
        "Closing a job is only allowed while it is Open; this job is JobComplete",
    );
    s.patch_state(&id, "Aborted").await.assert_error(
        400,
        "INVALIDJOBSTATE",
        "Aborting already Completed Job not allowed",
    );
    assert_eq!(s.info(&id).await["state"], "JobComplete");

    // A job closed without data completes with nothing processed; nothing can be uploaded to it afterwards.
    let empty = s.create_id(&insert_account()).await;
    s.close(&empty).await;
    let completed = s.wait(&empty).await;
    assert_eq!(completed["state"], "JobComplete");
    s.upload(&empty, "Name\nLate\n").await.assert_error(
        400,
        "INVALIDJOBSTATE",
        "Data can only be uploaded while the job is Open; this job is JobComplete",
    );
    s.patch_state(&empty, "UploadComplete").await.assert_error(
        400,
        "INVALIDJOBSTATE",
        "Closing a job is only allowed while it is Open; this job is JobComplete",
    );

    let aborted = s.create_id(&insert_account()).await;
    assert_eq!(
        s.patch_state(&aborted, "Aborted").await.status,
        StatusCode::OK
    );
    s.upload(&aborted, "Name\nLate\n").await.assert_error(
        400,
        "INVALIDJOBSTATE",
        "Data can only be uploaded while the job is Open; this job is Aborted",
    );
    s.patch_state(&aborted, "Aborted").await.assert_error(
        400,
        "INVALIDJOBSTATE",
        "Aborting already Completed Job not allowed",
    );

    // Results only once the job is finished.
    let open = s.create_id(&insert_account()).await;
    for file in ["successfulResults", "failedResults", "unprocessedrecords"] {
        s.get(&s.api(&format!("/jobs/ingest/{open}/{file}")))
            .await
            .assert_error(
                400,
                "INVALIDJOBSTATE",
                "Results are available once the job is JobComplete, Failed or Aborted; this job is Open",
            );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upload_to_a_closed_job_that_has_data_is_invalidjobstate() {
    let s = start().await;
    let (info, _) = s.run_complete(&insert_account(), "Name\nA\n").await;
    let id = id_of(&info);
    let reply = s.upload(&id, "Name\nB\n").await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.text());
    assert_eq!(
        reply.json()[0]["errorCode"],
        "INVALIDJOBSTATE",
        "the job is no longer Open: {}",
        reply.text()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn second_upload_is_rejected_with_salesforce_text() {
    let s = start().await;
    let id = s.create_id(&insert_account()).await;
    s.upload_ok(&id, "Name\nFirst\n").await;
    let reply = s.upload(&id, "Name\nSecond\n").await;
    // Salesforce's own capture (API 43.0) answers INVALIDJOB, with its typo "multipe" and the 15-char id.
    reply.assert_error(
        400,
        "INVALIDJOB",
        &format!(
            "Found multipe contents for job: <{}>, please 'Close' / 'Abort' / 'Delete' the current Job then create a new Job and make sure you only do 'PUT' once on a given Job.",
            &id[..15]
        ),
    );
    assert!(
        reply.json()[0]["message"]
            .as_str()
            .unwrap()
            .starts_with("Found multipe contents for job: <")
    );
    // The first upload is the one processed.
    s.close(&id).await;
    let info = s.wait(&id).await;
    assert_eq!(info["numberRecordsProcessed"], 1);
    let successful = s.result(&id, "successfulResults").await;
    assert!(
        successful.ends_with(",\"true\",\"First\"\n"),
        "{successful}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn not_found_for_unknown_jobs_garbage_ids_and_unknown_paths() {
    const BODY: &str =
        r#"[{"errorCode":"NOT_FOUND","message":"The requested resource does not exist"}]"#;
    let s = start().await;
    let unknown = "750000000000000AAA";
    let urls = [
        s.job_url(unknown),
        s.job_url("garbage"),
        s.job_url("001000000000000AAA"),
        s.api(&format!("/jobs/ingest/{unknown}/successfulResults")),
        s.api(&format!("/jobs/ingest/{unknown}/failedResults")),
        s.api(&format!("/jobs/ingest/{unknown}/unprocessedrecords")),
        s.api(&format!("/jobs/ingest/{unknown}/nonsense")),
        s.api(&format!("/jobs/ingest/{unknown}/batches/extra")),
        s.api("/jobs/bogus"),
        s.api("/sobjects/Account/nope"),
        s.url("/services/data/v40.0/jobs/ingest"),
        s.url("/services/data/v99.0/jobs/ingest"),
        s.url("/services/data/latest-ish/jobs/ingest"),
        s.url("/nope"),
        s.url("/"),
    ];
    for url in &urls {
        let reply = s.get(url).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{url}");
        assert_eq!(reply.text(), BODY, "{url}");
    }
    s.patch_state(unknown, "Aborted").await.assert_error(
        404,
        "NOT_FOUND",
        "The requested resource does not exist",
    );
    s.upload(unknown, "Name\nA\n").await.assert_error(
        404,
        "NOT_FOUND",
        "The requested resource does not exist",
    );
    s.send(s.request(Method::DELETE, &s.job_url(unknown)))
        .await
        .assert_error(404, "NOT_FOUND", "The requested resource does not exist");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retired_versions_are_gone() {
    let s = start().await;
    for (version, path) in [
        ("20.0", "/jobs/ingest"),
        ("30.0", ""),
        ("7.0", "/jobs/ingest"),
    ] {
        let reply = s
            .get(&s.url(&format!("/services/data/v{version}{path}")))
            .await;
        reply.assert_error(
            410,
            "GONE",
            &format!("API version {version} has been retired"),
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_methods_get_405() {
    let s = start().await;
    let id = s.create_id(&insert_account()).await;
    let cases = [
        (Method::DELETE, s.api("/jobs/ingest"), "DELETE", "GET,POST"),
        (Method::PUT, s.api("/jobs/ingest"), "PUT", "GET,POST"),
        (Method::POST, s.job_url(&id), "POST", "GET,PATCH,DELETE"),
        (Method::PUT, s.job_url(&id), "PUT", "GET,PATCH,DELETE"),
        (
            Method::GET,
            s.api(&format!("/jobs/ingest/{id}/batches")),
            "GET",
            "PUT",
        ),
        (
            Method::POST,
            s.api(&format!("/jobs/ingest/{id}/batches")),
            "POST",
            "PUT",
        ),
        (
            Method::DELETE,
            s.api(&format!("/jobs/ingest/{id}/successfulResults")),
            "DELETE",
            "GET",
        ),
        (Method::POST, s.api(""), "POST", "GET,HEAD"),
        (Method::POST, s.url("/services/data"), "POST", "GET,HEAD"),
    ];
    for (method, url, name, allowed) in cases {
        let reply = s.send(s.request(method, &url)).await;
        reply.assert_error(
            405,
            "METHOD_NOT_ALLOWED",
            &format!("HTTP Method '{name}' not allowed. Allowed are {allowed}"),
        );
    }
    assert_eq!(s.info(&id).await["state"], "Open");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_validation_errors_have_salesforce_bodies() {
    let s = start().await;
    let cases: &[(&str, u16, &str, &str)] = &[
        (
            r#"{"object":1,"operation":"insert"}"#,
            400,
            "API_ERROR",
            "Value does not match expected type at [line:1, column:11]",
        ),
        (
            r#"{"object":"Foo__c","operation":"insert"}"#,
            400,
            "INVALIDJOB",
            "InvalidJob : Unable to find object: Foo__c",
        ),
        (
            r#"{"object":"Account","operation":"INSERT"}"#,
            400,
            "API_ERROR",
            "Invalid value: 'INSERT' supplied for property: 'operation'",
        ),
        (
            r#"{"object":"Account"}"#,
            400,
            "API_ERROR",
            "Invalid value: '' supplied for property: 'operation'",
        ),
        (
            r#"{"object":"Account","operation":"query"}"#,
            400,
            "API_ERROR",
            "Invalid value: 'query' supplied for property: 'operation'",
        ),
        (
            r#"{"object":"Account","operation":"upsert"}"#,
            400,
            "INVALIDJOB",
            "InvalidJob : External ID was blank for Account. An External ID must be specified for upsert.",
        ),
        (
            r#"{"object":"Account","operation":"upsert","externalIdFieldName":"Name"}"#,
            400,
            "INVALIDJOB",
            "InvalidJob : Field name provided, Name does not match an External ID for Account",
        ),
        (
            r#"{"object":"Account","operation":"insert","columnDelimiter":"COLON"}"#,
            400,
            "API_ERROR",
            "Invalid value: 'COLON' supplied for property: 'columnDelimiter'",
        ),
        (
            r#"{"object":"Account","operation":"insert","lineEnding":"CR"}"#,
            400,
            "API_ERROR",
            "Invalid value: 'CR' supplied for property: 'lineEnding'",
        ),
        (
            r#"{"object":"Account","operation":"insert","contentType":"JSON"}"#,
            400,
            "API_ERROR",
            "Invalid value: 'JSON' supplied for property: 'contentType'",
        ),
    ];
    for (body, status, code, message) in cases {
        s.create_raw(V, body)
            .await
            .assert_error(*status, code, message);
    }
    // Malformed JSON: JSON_PARSER_ERROR with the position.
    let reply = s.create_raw(V, r#"{"object":"#).await;
    reply.assert_error(
        400,
        "JSON_PARSER_ERROR",
        "EOF while parsing a value at [line:1, column:10]",
    );
    let reply = s.create_raw(V, "not json").await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.json()[0]["errorCode"], "JSON_PARSER_ERROR");
    // Nothing was created.
    let list = s.get(&s.api("/jobs/ingest")).await.json();
    assert_eq!(list["records"], json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn patch_validation_errors() {
    let s = start().await;
    let id = s.create_id(&insert_account()).await;
    s.patch_state(&id, "Closed").await.assert_error(
        400,
        "API_ERROR",
        "Invalid value: 'Closed' supplied for property: 'state'",
    );
    s.patch_state(&id, "uploadcomplete").await.assert_error(
        400,
        "API_ERROR",
        "Invalid value: 'uploadcomplete' supplied for property: 'state'",
    );
    s.patch_state(&id, "JobComplete").await.assert_error(
        400,
        "INVALIDJOBSTATE",
        "Invalid state: JobComplete. Set UploadComplete to close a job or Aborted to abort it",
    );
    let reply = s
        .send(
            s.request(Method::PATCH, &s.job_url(&id))
                .header("Content-Type", "application/json")
                .body(r#"{"state":5}"#),
        )
        .await;
    reply.assert_error(
        400,
        "API_ERROR",
        "Value does not match expected type at [line:1, column:10]",
    );
    let reply = s
        .send(
            s.request(Method::PATCH, &s.job_url(&id))
                .header("Content-Type", "application/json")
                .body("{"),
        )
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.json()[0]["errorCode"], "JSON_PARSER_ERROR");
    assert_eq!(s.info(&id).await["state"], "Open", "still Open");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_uploads_get_413_and_the_job_stays_usable() {
    let s = start_with(|c| c.max_upload_bytes = 1000).await;
    let big = accounts_csv("Big", 100);
    assert!(big.len() > 1000);
    let too_large = "The upload exceeds the maximum of 1000 bytes for one job. Split the data into several jobs.";

    // Declared with Content-Length.
    let id = s.create_id(&insert_account()).await;
    s.upload(&id, big.clone())
        .await
        .assert_error(413, "EXCEEDED_MAX_SIZE_REQUEST", too_large);
    assert_eq!(s.info(&id).await["state"], "Open");
    assert!(
        s.info(&id).await.get("numberRecordsProcessed").is_none(),
        "no upload recorded"
    );
    s.upload_ok(&id, accounts_csv("Small", 3)).await;
    s.close(&id).await;
    let info = s.wait(&id).await;
    assert_eq!(info["state"], "JobComplete");
    assert_eq!(info["numberRecordsProcessed"], 3);

    // Streamed in chunks, without a length.
    let id = s.create_id(&insert_account()).await;
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        big.as_bytes().chunks(100).map(|c| Ok(c.to_vec())).collect();
    let reply = s
        .send(
            s.request(Method::PUT, &s.api(&format!("/jobs/ingest/{id}/batches")))
                .header("Content-Type", "text/csv")
                .body(reqwest::Body::wrap_stream(futures::stream::iter(chunks))),
        )
        .await;
    reply.assert_error(413, "EXCEEDED_MAX_SIZE_REQUEST", too_large);
    assert_eq!(s.info(&id).await["state"], "Open");
    // A streamed upload within the limit is fine.
    let small = accounts_csv("Streamed", 5);
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        small.as_bytes().chunks(7).map(|c| Ok(c.to_vec())).collect();
    let reply = s
        .send(
            s.request(Method::PUT, &s.api(&format!("/jobs/ingest/{id}/batches")))
                .header("Content-Type", "text/csv")
                .body(reqwest::Body::wrap_stream(futures::stream::iter(chunks))),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
    s.close(&id).await;
    let info = s.wait(&id).await;
    assert_eq!(info["state"], "JobComplete");
    assert_eq!(info["numberRecordsProcessed"], 5);
    let unprocessed = s.result(&id, "unprocessedrecords").await;
    assert_eq!(unprocessed, "Name,AccountNumber\n");
    assert_eq!(s.count("Account", false).await, 8);
}
