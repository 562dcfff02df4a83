use super::*;
use chrono::TimeZone;

fn job(state: JobState) -> Job {
    let t = Utc.with_ymd_and_hms(2023, 1, 26, 9, 26, 51).unwrap();
    Job {
        id: SfId::parse("7507Q000009f52jQAA").unwrap(),
        operation: Operation::Insert,
        object: "Asset".into(),
        created_by_id: SfId::parse("0057Q0000037T8QQAU").unwrap(),
        created_date: t,
        system_modstamp: t,
        state,
        external_id_field_name: None,
        assignment_rule_id: None,
        api_version: ApiVersion(53),
        dialect: Dialect::default(),
        number_records_processed: 0,
        number_records_failed: 0,
        retries: 0,
        total_processing_time: 0,
        api_active_processing_time: 0,
        apex_processing_time: 0,
        error_message: None,
        upload_bytes: None,
        query: None,
    }
}

#[test]
fn create_json_matches_a_real_recording_byte_for_byte() {
    let text = serde_json::to_string(&job(JobState::Open).create_json()).unwrap();
    assert_eq!(
        text,
        r#"{"id":"7507Q000009f52jQAA","operation":"insert","object":"Asset","createdById":"0057Q0000037T8QQAU","createdDate":"2023-01-26T09:26:51.000+0000","systemModstamp":"2023-01-26T09:26:51.000+0000","state":"Open","concurrencyMode":"Parallel","contentType":"CSV","apiVersion":53.0,"contentUrl":"services/data/v53.0/jobs/ingest/7507Q000009f52jQAA/batches","lineEnding":"LF","columnDelimiter":"COMMA"}"#
    );
}

#[test]
fn info_json_shows_the_fields_of_each_state() {
    let open = job(JobState::Open).info_json();
    assert!(open.get("numberRecordsProcessed").is_none());
    assert!(open.get("contentUrl").is_some());
    let mut failed = job(JobState::Failed);
    failed.error_message = Some("InvalidBatch : Field name not found : Employees".into());
    let failed = failed.info_json();
    assert!(failed.get("contentUrl").is_none());
    assert_eq!(failed["numberRecordsProcessed"], json!(0));
    let keys: Vec<_> = failed.as_object().unwrap().keys().cloned().collect();
    assert_eq!(keys.last().unwrap(), "errorMessage");
}

#[test]
fn transitions_follow_the_state_machine() {
    use JobState::*;
    assert!(Open.can_become(UploadComplete, JobKind::Ingest));
    assert!(!UploadComplete.can_become(UploadComplete, JobKind::Ingest));
    assert!(!JobComplete.can_become(Aborted, JobKind::Ingest));
    assert!(!Open.can_become(UploadComplete, JobKind::Query));
    assert!(UploadComplete.can_delete(JobKind::Ingest));
    assert!(!UploadComplete.can_delete(JobKind::Query));
    assert!(!InProgress.can_delete(JobKind::Ingest));
}

#[test]
fn create_bodies_are_validated_with_salesforce_errors() {
    let schema = Schema::builtin();
    let spec =
        IngestJobSpec::from_json(br#"{"object":"account","operation":"insert"}"#, &schema).unwrap();
    assert_eq!(spec.object, "Account");
    let err = IngestJobSpec::from_json(br#"{"object":"Account","operation":"INSERT"}"#, &schema)
        .unwrap_err();
    assert_eq!(
        err.message,
        "Invalid value: 'INSERT' supplied for property: 'operation'"
    );
    let err = IngestJobSpec::from_json(br#"{"object":"Foo__c","operation":"insert"}"#, &schema)
        .unwrap_err();
    assert_eq!(
        (err.error_code.as_str(), err.message.as_str()),
        ("INVALIDJOB", "InvalidJob : Unable to find object: Foo__c")
    );
    let err = IngestJobSpec::from_json(br#"{"object":"Account","operation":"upsert"}"#, &schema)
        .unwrap_err();
    assert!(err.message.contains("External ID was blank for Account"));
    let err = IngestJobSpec::from_json(
        br#"{"object":"Account","operation":"upsert","externalIdFieldName":"Name"}"#,
        &schema,
    )
    .unwrap_err();
    assert_eq!(
        err.message,
        "InvalidJob : Field name provided, Name does not match an External ID for Account"
    );
    let err =
        IngestJobSpec::from_json(br#"{"object":1,"operation":"insert"}"#, &schema).unwrap_err();
    assert_eq!(
        (err.error_code.as_str(), err.message.as_str()),
        (
            "API_ERROR",
            "Value does not match expected type at [line:1, column:11]"
        )
    );
    let err = IngestJobSpec::from_json(
        br#"{"object":"Account","operation":"insert","object":"Contact"}"#,
        &schema,
    )
    .unwrap_err();
    assert_eq!(err.error_code, "JSON_PARSER_ERROR");
    assert!(
        err.message
            .starts_with("Duplicate field 'object' at [line:1, column:"),
        "{}",
        err.message
    );
    let err = IngestJobSpec::from_json(br#"{"object":"#, &schema).unwrap_err();
    assert_eq!(err.error_code, "JSON_PARSER_ERROR");
    let err = IngestJobSpec::from_json(
        br#"{"object":"Account","operation":"insert","columnDelimiter":"COLON"}"#,
        &schema,
    )
    .unwrap_err();
    assert_eq!(
        err.message,
        "Invalid value: 'COLON' supplied for property: 'columnDelimiter'"
    );
}

#[test]
fn constructors_start_jobs_unprocessed() {
    let expected = job(JobState::Open);
    let origin = JobOrigin {
        org_id: expected.id,
        created_by_id: expected.created_by_id,
        api_version: expected.api_version,
        created: expected.created_date,
    };
    let spec = IngestJobSpec {
        object: "Asset".into(),
        operation: Operation::Insert,
        external_id_field_name: None,
        assignment_rule_id: None,
        dialect: Dialect::default(),
    };
    assert_eq!(Job::new_ingest(spec, origin), expected);
    let query = Job::new_query(
        Operation::QueryAll,
        "Asset".into(),
        "SELECT Id FROM Asset".into(),
        Dialect::default(),
        origin,
    );
    assert_eq!(
        query,
        Job {
            operation: Operation::QueryAll,
            state: JobState::UploadComplete,
            query: Some("SELECT Id FROM Asset".into()),
            ..expected
        }
    );
}
