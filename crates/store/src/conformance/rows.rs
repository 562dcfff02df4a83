//! Row semantics that need stored data, as the result files report them: minted ids, updates of the
//! fields a row sets, missing and deleted records, soft and hard deletes, upsert matching, unique values.

use super::{Backend, Fixture, failure_code, succeeded};
use crate::{Result, RowOutcome};
use bulkforce_core::id::SfId;
use bulkforce_core::ingest::{RowFailure, RowOp, UpsertKey};
use bulkforce_core::job::Operation;
use bulkforce_core::value::Value;

/// Inserts Accounts with these (Name, Ext__c) pairs in a job of their own; returns their ids.
fn seed(f: &Fixture, accounts: &[(&str, &str)]) -> Result<Vec<SfId>> {
    let job = f.claimed(Operation::Insert)?;
    let rows = accounts
        .iter()
        .map(|(name, ext)| Ok(RowOp::Insert(f.values(&[("Name", name), ("Ext__c", ext)]))))
        .collect();
    let outcomes = f
        .apply(&job, Operation::Insert, 0, rows)?
        .expect("the seeding job takes its chunk");
    Ok(outcomes
        .iter()
        .map(|o| succeeded(o).expect("seed rows are valid"))
        .collect())
}

/// Applies `rows` as the first chunk of a new job of `operation`.
fn run(
    f: &Fixture,
    operation: Operation,
    rows: Vec<Result<RowOp, RowFailure>>,
) -> Result<Vec<RowOutcome>> {
    let job = f.claimed(operation)?;
    Ok(f.apply(&job, operation, 0, rows)?
        .expect("a claimed job takes its chunk"))
}

pub fn inserts_mint_fresh_ids_of_the_object(backend: &dyn Backend) -> Result<()> {
    let f = Fixture::open(backend)?;
    let first = seed(&f, &[("A", "a"), ("B", "b")])?;
    let account = f
        .store
        .schema()
        .object("Account")
        .expect("built in")
        .key_prefix;
    assert!(first.iter().all(|id| id.key_prefix() == account));
    let outcomes = run(
        &f,
        Operation::HardDelete,
        vec![Ok(RowOp::HardDelete { id: first[1] })],
    )?;
    assert_eq!(outcomes, vec![RowOutcome::Deleted(first[1])]);
    let second = seed(&f, &[("C", "c")])?;
    assert!(
        !first.contains(&second[0]),
        "an id is never reused, even after a hard delete"
    );
    assert_eq!(
        f.account_field(second[0], "Id")?.as_deref(),
        Some(second[0].as_str())
    );
    Ok(())
}

pub fn updates_change_only_the_fields_they_set(backend: &dyn Backend) -> Result<()> {
    let f = Fixture::open(backend)?;
    let ids = seed(&f, &[("Acme", "acme")])?;
    let set_name = f.values(&[("Name", "Acme Corp")]);
    let mut set_null = f.values(&[]);
    set_null.assignments.push((f.field("Ext__c"), Value::Null));
    let outcomes = run(
        &f,
        Operation::Update,
        vec![
            Ok(RowOp::Update {
                id: ids[0],
                values: set_name,
            }),
            Ok(RowOp::Update {
                id: ids[0],
                values: f.values(&[("Phone", "555")]),
            }),
        ],
    )?;
    assert_eq!(
        outcomes,
        vec![RowOutcome::Updated(ids[0]), RowOutcome::Updated(ids[0])]
    );
    assert_eq!(
        f.account_field(ids[0], "Name")?.as_deref(),
        Some("Acme Corp")
    );
    assert_eq!(f.account_field(ids[0], "Phone")?.as_deref(), Some("555"));
    assert_eq!(
        f.account_field(ids[0], "Ext__c")?.as_deref(),
        Some("acme"),
        "a field the row does not set keeps its value"
    );
    let outcomes = run(
        &f,
        Operation::Update,
        vec![Ok(RowOp::Update {
            id: ids[0],
            values: set_null,
        })],
    )?;
    assert_eq!(outcomes, vec![RowOutcome::Updated(ids[0])]);
    assert_eq!(
        f.account_field(ids[0], "Ext__c")?,
        None,
        "a null value clears the field"
    );
    assert_eq!(
        f.account_field(ids[0], "Name")?.as_deref(),
        Some("Acme Corp")
    );
    Ok(())
}

pub fn updates_and_deletes_of_missing_or_deleted_records_fail(backend: &dyn Backend) -> Result<()> {
    let f = Fixture::open(backend)?;
    let ids = seed(&f, &[("Gone", "gone")])?;
    let deleted = run(
        &f,
        Operation::Delete,
        vec![Ok(RowOp::Delete { id: ids[0] })],
    )?;
    assert_eq!(deleted, vec![RowOutcome::Deleted(ids[0])]);
    let account = f
        .store
        .schema()
        .object("Account")
        .expect("built in")
        .key_prefix;
    let missing = SfId::mint(account, 1, 987_654);
    let outcomes = run(
        &f,
        Operation::Update,
        vec![
            Ok(RowOp::Update {
                id: ids[0],
                values: f.values(&[("Name", "Back")]),
            }),
            Ok(RowOp::Update {
                id: missing,
                values: f.values(&[("Name", "Nobody")]),
            }),
        ],
    )?;
    assert_eq!(failure_code(&outcomes[0]), Some("ENTITY_IS_DELETED"));
    assert_eq!(
        failure_code(&outcomes[1]),
        Some("INVALID_CROSS_REFERENCE_KEY")
    );
    assert!(matches!(&outcomes[0], RowOutcome::Failed { id: Some(id), .. } if *id == ids[0]));
    let outcomes = run(
        &f,
        Operation::Delete,
        vec![
            Ok(RowOp::Delete { id: ids[0] }),
            Ok(RowOp::Delete { id: missing }),
        ],
    )?;
    assert_eq!(failure_code(&outcomes[0]), Some("ENTITY_IS_DELETED"));
    assert_eq!(
        failure_code(&outcomes[1]),
        Some("INVALID_CROSS_REFERENCE_KEY")
    );
    let outcomes = run(
        &f,
        Operation::HardDelete,
        vec![Ok(RowOp::HardDelete { id: missing })],
    )?;
    assert_eq!(
        failure_code(&outcomes[0]),
        Some("INVALID_CROSS_REFERENCE_KEY")
    );
    let job = f.job(
        f.store
            .list_jobs(f.org(), bulkforce_core::job::JobKind::Ingest, None, 100)?
            .jobs
            .last()
            .expect("jobs were created")
            .id,
    )?;
    assert_eq!(job.number_records_failed, 1);
    Ok(())
}

pub fn soft_deletes_hide_and_hard_deletes_remove(backend: &dyn Backend) -> Result<()> {
    let f = Fixture::open(backend)?;
    let ids = seed(&f, &[("Soft", "soft"), ("Hard", "hard"), ("Kept", "kept")])?;
    let outcomes = run(
        &f,
        Operation::Delete,
        vec![Ok(RowOp::Delete { id: ids[0] })],
    )?;
    assert_eq!(outcomes, vec![RowOutcome::Deleted(ids[0])]);
    let outcomes = run(
        &f,
        Operation::HardDelete,
        vec![Ok(RowOp::HardDelete { id: ids[1] })],
    )?;
    assert_eq!(outcomes, vec![RowOutcome::Deleted(ids[1])]);
    assert_eq!(
        f.store.count_records(f.org(), "Account", false)?,
        1,
        "live records"
    );
    assert_eq!(
        f.store.count_records(f.org(), "Account", true)?,
        2,
        "soft-deleted ones too"
    );
    assert!(
        f.store.get_record(f.org(), "Account", ids[0])?.is_some(),
        "a soft-deleted record is kept"
    );
    assert!(f.store.get_record(f.org(), "Account", ids[1])?.is_none());
    assert_eq!(f.account_field(ids[2], "Name")?.as_deref(), Some("Kept"));
    Ok(())
}

pub fn upserts_match_on_the_external_id(backend: &dyn Backend) -> Result<()> {
    let f = Fixture::open(backend)?;
    let ids = seed(&f, &[("Old", "k1")])?;
    let key = |text: &str| UpsertKey::External {
        field: f.field("Ext__c"),
        value: Value::Text(text.to_owned()),
        text: text.to_owned(),
    };
    let outcomes = run(
        &f,
        Operation::Upsert,
        vec![
            Ok(RowOp::Upsert {
                key: key("k1"),
                values: f.values(&[("Name", "Renamed")]),
            }),
            Ok(RowOp::Upsert {
                key: key("k2"),
                values: f.values(&[("Name", "Fresh")]),
            }),
            Ok(RowOp::Upsert {
                key: key("k3"),
                values: f.values(&[]),
            }),
        ],
    )?;
    assert_eq!(
        outcomes[0],
        RowOutcome::Updated(ids[0]),
        "a matching key updates"
    );
    let created = match outcomes[1] {
        RowOutcome::Created(id) => id,
        ref other => panic!("an unknown key inserts, got {other:?}"),
    };
    assert_eq!(f.account_field(ids[0], "Name")?.as_deref(), Some("Renamed"));
    assert_eq!(f.account_field(created, "Name")?.as_deref(), Some("Fresh"));
    assert_eq!(
        f.account_field(created, "Ext__c")?.as_deref(),
        Some("k2"),
        "an inserting upsert stores its key"
    );
    assert_eq!(
        failure_code(&outcomes[2]),
        Some("REQUIRED_FIELD_MISSING"),
        "an inserting upsert must set the required fields"
    );
    assert_eq!(f.store.count_records(f.org(), "Account", true)?, 2);
    Ok(())
}

pub fn a_key_repeated_in_one_chunk_fails_each_of_its_rows(backend: &dyn Backend) -> Result<()> {
    let f = Fixture::open(backend)?;
    let key = UpsertKey::External {
        field: f.field("Ext__c"),
        value: Value::Text("twice".into()),
        text: "twice".into(),
    };
    let row = |name: &str| {
        Ok(RowOp::Upsert {
            key: key.clone(),
            values: f.values(&[("Name", name)]),
        })
    };
    let outcomes = run(&f, Operation::Upsert, vec![row("One"), row("Two")])?;
    assert_eq!(failure_code(&outcomes[0]), Some("DUPLICATE_VALUE"));
    assert_eq!(failure_code(&outcomes[1]), Some("DUPLICATE_VALUE"));
    assert_eq!(f.store.count_records(f.org(), "Account", true)?, 0);
    Ok(())
}

pub fn a_unique_value_clash_fails_the_row_only(backend: &dyn Backend) -> Result<()> {
    let f = Fixture::open(backend)?;
    let ids = seed(&f, &[("Holder", "taken")])?;
    let outcomes = run(
        &f,
        Operation::Insert,
        vec![
            Ok(RowOp::Insert(
                f.values(&[("Name", "Clash"), ("Ext__c", "taken")]),
            )),
            Ok(RowOp::Insert(
                f.values(&[("Name", "Fine"), ("Ext__c", "free")]),
            )),
        ],
    )?;
    match &outcomes[0] {
        RowOutcome::Failed { id: None, error } => {
            assert_eq!(error.code, "DUPLICATE_VALUE");
            assert!(
                error.message.contains(&ids[0].as_str()[..15]),
                "the message names the holder: {}",
                error.message
            );
        }
        other => panic!("a duplicate unique value fails the row, got {other:?}"),
    }
    assert!(matches!(outcomes[1], RowOutcome::Created(_)));
    assert_eq!(f.store.count_records(f.org(), "Account", true)?, 2);
    Ok(())
}
