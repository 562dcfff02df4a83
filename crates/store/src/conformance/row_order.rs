//! Rows of one chunk are applied as if one after another: a row sees what the rows before it in the
//! same chunk did (a unique value taken or freed, a record updated or deleted, a parent inserted), and
//! lookups fail as Salesforce reports them. A backend that applies a chunk set by set must keep this.

use super::{Backend, Fixture, failure_code, succeeded};
use crate::{Result, RowOutcome};
use bulkforce_core::id::SfId;
use bulkforce_core::ingest::{ParentLookup, RowFailure, RowOp, RowValues, UpsertKey};
use bulkforce_core::job::Operation;
use bulkforce_core::value::Value;

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

fn account(f: &Fixture, name: &str, ext: &str) -> Result<RowOp, RowFailure> {
    Ok(RowOp::Insert(f.values(&[("Name", name), ("Ext__c", ext)])))
}

/// Values setting Name and looking ParentId up through the parent's `Ext__c`.
fn child_of(f: &Fixture, name: &str, parent_ext: &str) -> RowValues {
    let mut values = f.values(&[("Name", name)]);
    values.lookups.push(ParentLookup {
        lookup_field: f.field("ParentId"),
        parent_object: "Account".into(),
        parent_field: "Ext__c".into(),
        value: parent_ext.into(),
    });
    values
}

pub fn a_unique_value_taken_earlier_in_the_chunk_fails_the_later_row(
    backend: &dyn Backend,
) -> Result<()> {
    let f = Fixture::open(backend)?;
    let outcomes = run(
        &f,
        Operation::Insert,
        vec![
            account(&f, "First", "same"),
            account(&f, "Second", "same"),
            account(&f, "Other", "other"),
        ],
    )?;
    let first = succeeded(&outcomes[0]).expect("the first row takes the value");
    match &outcomes[1] {
        RowOutcome::Failed { id: None, error } => {
            assert_eq!(error.code, "DUPLICATE_VALUE");
            assert!(
                error.message.contains(&first.as_str()[..15]),
                "the message names the earlier row's record: {}",
                error.message
            );
        }
        other => panic!("the later row clashes, got {other:?}"),
    }
    assert!(matches!(outcomes[2], RowOutcome::Created(_)));
    assert_eq!(f.store.count_records(f.org(), "Account", true)?, 2);
    Ok(())
}

pub fn a_row_sees_the_updates_and_deletes_of_earlier_rows(backend: &dyn Backend) -> Result<()> {
    let f = Fixture::open(backend)?;
    let seeded = run(
        &f,
        Operation::Insert,
        vec![account(&f, "A", "a"), account(&f, "B", "b")],
    )?;
    let (a, b) = (
        succeeded(&seeded[0]).expect("seeded"),
        succeeded(&seeded[1]).expect("seeded"),
    );
    let outcomes = run(
        &f,
        Operation::Delete,
        vec![
            Ok(RowOp::Delete { id: a }),
            Ok(RowOp::Delete { id: a }),
            Ok(RowOp::Delete { id: b }),
        ],
    )?;
    assert_eq!(outcomes[0], RowOutcome::Deleted(a));
    assert_eq!(
        failure_code(&outcomes[1]),
        Some("ENTITY_IS_DELETED"),
        "the second delete sees the first"
    );
    assert_eq!(outcomes[2], RowOutcome::Deleted(b));
    let outcomes = run(
        &f,
        Operation::HardDelete,
        vec![
            Ok(RowOp::HardDelete { id: a }),
            Ok(RowOp::HardDelete { id: a }),
        ],
    )?;
    assert_eq!(outcomes[0], RowOutcome::Deleted(a));
    assert_eq!(
        failure_code(&outcomes[1]),
        Some("INVALID_CROSS_REFERENCE_KEY"),
        "the record is gone after the first"
    );
    Ok(())
}

pub fn a_unique_value_freed_earlier_in_the_chunk_can_be_taken(backend: &dyn Backend) -> Result<()> {
    let f = Fixture::open(backend)?;
    let seeded = run(&f, Operation::Insert, vec![account(&f, "Holder", "k")])?;
    let holder = succeeded(&seeded[0]).expect("seeded");
    let mut release = f.values(&[]);
    release
        .assignments
        .push((f.field("Ext__c"), Value::Text("moved".into())));
    let outcomes = run(
        &f,
        Operation::Upsert,
        vec![
            Ok(RowOp::Upsert {
                key: UpsertKey::Id(Some(holder)),
                values: release,
            }),
            Ok(RowOp::Upsert {
                key: UpsertKey::Id(None),
                values: f.values(&[("Name", "Taker"), ("Ext__c", "k")]),
            }),
        ],
    )?;
    assert_eq!(outcomes[0], RowOutcome::Updated(holder));
    let taker = succeeded(&outcomes[1]).expect("the value was freed by the row before");
    assert_eq!(f.account_field(taker, "Ext__c")?.as_deref(), Some("k"));
    assert_eq!(f.account_field(holder, "Ext__c")?.as_deref(), Some("moved"));
    Ok(())
}

pub fn a_lookup_finds_a_parent_inserted_earlier_in_the_chunk(backend: &dyn Backend) -> Result<()> {
    let f = Fixture::open(backend)?;
    let outcomes = run(
        &f,
        Operation::Insert,
        vec![
            Ok(RowOp::Insert(child_of(&f, "Orphan", "parent"))),
            account(&f, "Parent", "parent"),
            Ok(RowOp::Insert(child_of(&f, "Child", "parent"))),
        ],
    )?;
    match &outcomes[0] {
        RowOutcome::Failed { id: None, error } => {
            assert_eq!(error.code, "INVALID_FIELD");
            assert!(error.message.contains("parent"), "{}", error.message);
        }
        other => panic!("no parent exists yet for the first row, got {other:?}"),
    }
    let parent = succeeded(&outcomes[1]).expect("the parent is inserted");
    let child = succeeded(&outcomes[2]).expect("the parent inserted before is found");
    assert_eq!(
        f.account_field(child, "ParentId")?.as_deref(),
        Some(parent.as_str())
    );
    Ok(())
}

pub fn references_to_missing_or_deleted_records_fail(backend: &dyn Backend) -> Result<()> {
    let f = Fixture::open(backend)?;
    let seeded = run(&f, Operation::Insert, vec![account(&f, "Gone", "gone")])?;
    let gone = succeeded(&seeded[0]).expect("seeded");
    run(&f, Operation::Delete, vec![Ok(RowOp::Delete { id: gone })])?;
    let prefix = f
        .store
        .schema()
        .object("Account")
        .expect("built in")
        .key_prefix;
    let missing = SfId::mint(prefix, 1, 987_654);
    let pointing = |name: &str, parent: SfId| {
        let mut values = f.values(&[("Name", name)]);
        values
            .assignments
            .push((f.field("ParentId"), Value::Text(parent.as_str().to_owned())));
        Ok(RowOp::Insert(values))
    };
    let outcomes = run(
        &f,
        Operation::Insert,
        vec![
            pointing("To deleted", gone),
            pointing("To missing", missing),
        ],
    )?;
    assert_eq!(failure_code(&outcomes[0]), Some("ENTITY_IS_DELETED"));
    assert_eq!(
        failure_code(&outcomes[1]),
        Some("INVALID_CROSS_REFERENCE_KEY")
    );
    assert_eq!(f.store.count_records(f.org(), "Account", true)?, 1);
    Ok(())
}
