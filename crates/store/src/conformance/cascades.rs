//! Deletes as an org does them: children deleted with their parent (recursively), optional lookups
//! cleared, restricting lookups refusing the delete with `DELETE_FAILED`, hard deletes removing what
//! cascaded (from the recycle bin too), the recycle bin purged by its cutoff, on every write path.
//!
//! The schema adds to the conformance one: `Child__c` (master-detail of Account, cascades), `Grand__c`
//! (master-detail of `Child__c`), `Note__c` (optional lookup to Account: cleared) and `Block__c`
//! (lookups to Account and to `Child__c` that restrict the delete); on Group, which has no recycle bin
//! (no `IsDeleted`), a lookup to Account that is cleared (`Account__c`) and one that restricts
//! (`Held__c`).

use super::{Backend, Feed, Fixture, chunk_of, schema, succeeded};
use crate::{ChunkCommit, RecordUnit, Result, RowOutcome, StoreError, UnitEnd};
use bulkforce_core::id::SfId;
use bulkforce_core::ingest::{IngestPlan, RowOp, RowValues};
use bulkforce_core::job::Operation;
use bulkforce_core::schema::Schema;
use bulkforce_core::value::Value;
use std::sync::Arc;

const OBJECTS: [&str; 5] = [
    r#"{"name":"Child__c","custom":true,"labelPlural":"Children","fields":[
        {"name":"Account__c","type":"reference","referenceTo":["Account"],"nillable":false,
         "createable":true,"updateable":false,"cascadeDelete":true,"custom":true}]}"#,
    r#"{"name":"Grand__c","custom":true,"labelPlural":"Grandchildren","fields":[
        {"name":"Child__c","type":"reference","referenceTo":["Child__c"],"nillable":false,
         "createable":true,"updateable":false,"cascadeDelete":true,"custom":true}]}"#,
    r#"{"name":"Note__c","custom":true,"labelPlural":"Notes","fields":[
        {"name":"Account__c","type":"reference","referenceTo":["Account"],"nillable":true,
         "createable":true,"updateable":true,"custom":true}]}"#,
    r#"{"name":"Block__c","custom":true,"label":"Block","labelPlural":"Blocks","fields":[
        {"name":"Account__c","type":"reference","referenceTo":["Account"],"nillable":true,
         "createable":true,"updateable":true,"restrictedDelete":true,"custom":true},
        {"name":"Child__c","type":"reference","referenceTo":["Child__c"],"nillable":true,
         "createable":true,"updateable":true,"restrictedDelete":true,"custom":true}]}"#,
    r#"{"name":"Group","fields":[
        {"name":"Account__c","type":"reference","referenceTo":["Account"],"nillable":true,
         "createable":true,"updateable":true,"custom":true},
        {"name":"Held__c","type":"reference","referenceTo":["Account"],"nillable":true,
         "createable":true,"updateable":true,"restrictedDelete":true,"custom":true}]}"#,
];

fn cascade_schema() -> Arc<Schema> {
    let mut schema = (*schema()).clone();
    for text in OBJECTS {
        schema
            .merge_describe(text)
            .expect("the cascade describes are valid");
    }
    Arc::new(schema)
}

fn open(backend: &dyn Backend) -> Result<Fixture> {
    let store = backend.open(cascade_schema())?;
    let admin = store.ensure_default_org()?;
    Ok(Fixture { store, admin })
}

fn plan(f: &Fixture, object: &str, operation: Operation, header: &[&str]) -> IngestPlan {
    let schema = f.store.schema();
    let object = schema.object(object).expect("a cascade object").clone();
    let header: Vec<String> = header.iter().map(|h| (*h).to_owned()).collect();
    IngestPlan::new(schema, object, operation, None, &header).expect("a valid header")
}

/// Inserts one `object` record with these fields (by name) in a unit of its own; its id.
fn insert(f: &Fixture, object: &str, fields: &[(&str, &str)]) -> Result<SfId> {
    let header: Vec<&str> = fields.iter().map(|(name, _)| *name).collect();
    let plan = plan(f, object, Operation::Insert, &header);
    let values = RowValues {
        assignments: fields
            .iter()
            .map(|(name, text)| {
                let index = plan.object().field_index(name).expect("a cascade field");
                (index, Value::Text((*text).to_owned()))
            })
            .collect(),
        lookups: Vec::new(),
    };
    let mut outcomes = Vec::new();
    f.store.write_unit(f.org(), f.admin.user_id, &mut |unit| {
        outcomes = unit.apply(&plan, vec![Ok(RowOp::Insert(values.clone()))])?;
        Ok(UnitEnd::Commit)
    })?;
    succeeded(&outcomes[0]).ok_or_else(|| StoreError::Invalid(format!("{outcomes:?}")))
}

/// Runs a delete (or hard delete) job of Account over `ids`, in one chunk; the outcomes.
fn delete_job(f: &Fixture, operation: Operation, ids: &[SfId]) -> Result<Vec<RowOutcome>> {
    delete_records(f, "Account", operation, ids)
}

/// Inserts one `object` record per parent, its lookup `field` set to the parent, in one chunk; the ids.
fn insert_children(f: &Fixture, object: &str, field: &str, parents: &[SfId]) -> Result<Vec<SfId>> {
    let job = f.claimed(Operation::Insert)?;
    let plan = plan(f, object, Operation::Insert, &[field]);
    let index = plan.object().field_index(field).expect("a cascade field");
    let rows = parents
        .iter()
        .map(|parent| {
            Ok(RowOp::Insert(RowValues {
                assignments: vec![(index, Value::Text(parent.as_str().to_owned()))],
                lookups: Vec::new(),
            }))
        })
        .collect();
    let mut feed = Feed::default();
    let ending = f
        .store
        .apply_chunks(f.org(), &job, &plan, chunk_of(0, rows), &mut feed)?;
    assert_eq!(ending, ChunkCommit::Committed);
    let outcomes = feed.applied.pop().expect("one chunk applied").1;
    outcomes
        .iter()
        .map(|o| succeeded(o).ok_or_else(|| StoreError::Invalid(format!("{o:?}"))))
        .collect()
}

/// Runs a delete (or hard delete) job of `object` over `ids`, in one chunk; the outcomes.
fn delete_records(
    f: &Fixture,
    object: &str,
    operation: Operation,
    ids: &[SfId],
) -> Result<Vec<RowOutcome>> {
    let job = f.claimed(operation)?;
    let rows = ids
        .iter()
        .map(|id| {
            Ok(match operation {
                Operation::HardDelete => RowOp::HardDelete { id: *id },
                _ => RowOp::Delete { id: *id },
            })
        })
        .collect();
    let plan = plan(f, object, operation, &["Id"]);
    let mut feed = Feed::default();
    let ending = f
        .store
        .apply_chunks(f.org(), &job, &plan, chunk_of(0, rows), &mut feed)?;
    assert_eq!(ending, ChunkCommit::Committed);
    Ok(feed.applied.pop().expect("one chunk applied").1)
}

/// A stored field of a record as text (`None`: null); the record must exist.
fn field(f: &Fixture, object: &str, id: SfId, name: &str) -> Result<Option<String>> {
    let record = f
        .store
        .get_record(f.org(), object, id)?
        .ok_or_else(|| StoreError::Invalid(format!("{object} {id} is gone")))?;
    Ok(record
        .into_iter()
        .find(|(field, _)| field == name)
        .and_then(|(_, value)| value))
}

fn is_deleted(f: &Fixture, object: &str, id: SfId) -> Result<bool> {
    Ok(field(f, object, id, "IsDeleted")?.as_deref() == Some("1"))
}

fn exists(f: &Fixture, object: &str, id: SfId) -> Result<bool> {
    Ok(f.store.get_record(f.org(), object, id)?.is_some())
}

/// An Account with a child, a grandchild and a note; (account, child, grandchild, note).
fn family(f: &Fixture, name: &str) -> Result<(SfId, SfId, SfId, SfId)> {
    let account = insert(f, "Account", &[("Name", name)])?;
    let child = insert(f, "Child__c", &[("Account__c", account.as_str())])?;
    let grand = insert(f, "Grand__c", &[("Child__c", child.as_str())])?;
    let note = insert(f, "Note__c", &[("Account__c", account.as_str())])?;
    Ok((account, child, grand, note))
}

pub fn a_delete_cascades_to_children_and_clears_optional_lookups(
    backend: &dyn Backend,
) -> Result<()> {
    let f = open(backend)?;
    let (account, child, grand, note) = family(&f, "Gone")?;
    let (other, other_child, _, other_note) = family(&f, "Kept")?;
    let outcomes = delete_job(&f, Operation::Delete, &[account])?;
    assert_eq!(outcomes, vec![RowOutcome::Deleted(account)]);
    assert!(is_deleted(&f, "Account", account)?);
    assert!(
        is_deleted(&f, "Child__c", child)?,
        "a child goes with its parent"
    );
    assert!(is_deleted(&f, "Grand__c", grand)?, "and its own children");
    assert!(!is_deleted(&f, "Note__c", note)?, "a lookup's record stays");
    assert_eq!(field(&f, "Note__c", note, "Account__c")?, None, "cleared");
    let stamp = field(&f, "Account", account, "SystemModstamp")?;
    assert_eq!(field(&f, "Child__c", child, "SystemModstamp")?, stamp);
    assert_eq!(
        field(&f, "Child__c", child, "LastModifiedById")?.as_deref(),
        Some(f.admin.user_id.as_str())
    );
    assert_eq!(field(&f, "Note__c", note, "SystemModstamp")?, stamp);
    assert!(!is_deleted(&f, "Account", other)?);
    assert!(!is_deleted(&f, "Child__c", other_child)?);
    assert_eq!(
        field(&f, "Note__c", other_note, "Account__c")?.as_deref(),
        Some(other.as_str())
    );
    assert_eq!(f.store.count_records(f.org(), "Child__c", false)?, 1);
    assert_eq!(f.store.count_records(f.org(), "Child__c", true)?, 2);
    Ok(())
}

pub fn a_restricting_lookup_refuses_the_delete_with_delete_failed(
    backend: &dyn Backend,
) -> Result<()> {
    let f = open(backend)?;
    let held = insert(&f, "Account", &[("Name", "Acme")])?;
    insert(
        &f,
        "Block__c",
        &[("Name", "Blocker"), ("Account__c", held.as_str())],
    )?;
    let (through_child, child, _, _) = family(&f, "Parent Co")?;
    insert(
        &f,
        "Block__c",
        &[("Name", "B2"), ("Child__c", child.as_str())],
    )?;
    let (free, free_child, _, _) = family(&f, "Free")?;
    let outcomes = delete_job(&f, Operation::Delete, &[held, through_child, free])?;
    let refusal = |name: &str, blocks: &str| {
        format!(
            "Your attempt to delete {name} could not be completed because it is associated with the \
             following blocks.: {blocks}\n"
        )
    };
    match &outcomes[0] {
        RowOutcome::Failed { id, error } => {
            assert_eq!(*id, Some(held));
            assert_eq!(error.code, "DELETE_FAILED");
            assert_eq!(error.message, refusal("Acme", "Blocker"));
            assert!(error.fields.is_empty());
        }
        other => panic!("the held account was deleted: {other:?}"),
    }
    match &outcomes[1] {
        RowOutcome::Failed { error, .. } => {
            assert_eq!(
                error.message,
                refusal("Parent Co", "B2"),
                "held through its child"
            );
        }
        other => panic!("the account of a held child was deleted: {other:?}"),
    }
    assert_eq!(outcomes[2], RowOutcome::Deleted(free));
    assert!(!is_deleted(&f, "Account", held)?);
    assert!(
        !is_deleted(&f, "Child__c", child)?,
        "nothing cascades from a refused delete"
    );
    assert!(is_deleted(&f, "Child__c", free_child)?);
    let hard = delete_job(&f, Operation::HardDelete, &[held])?;
    assert!(
        matches!(&hard[0], RowOutcome::Failed { error, .. } if error.code == "DELETE_FAILED"),
        "a hard delete is refused alike: {hard:?}"
    );
    Ok(())
}

pub fn a_hard_delete_removes_what_cascaded_even_from_the_recycle_bin(
    backend: &dyn Backend,
) -> Result<()> {
    let f = open(backend)?;
    let (binned, binned_child, binned_grand, binned_note) = family(&f, "Binned")?;
    let (live, live_child, live_grand, live_note) = family(&f, "Live")?;
    delete_job(&f, Operation::Delete, &[binned])?;
    let outcomes = delete_job(&f, Operation::HardDelete, &[binned, live])?;
    assert_eq!(
        outcomes,
        vec![RowOutcome::Deleted(binned), RowOutcome::Deleted(live)]
    );
    for (object, id) in [
        ("Account", binned),
        ("Child__c", binned_child),
        ("Grand__c", binned_grand),
        ("Account", live),
        ("Child__c", live_child),
        ("Grand__c", live_grand),
    ] {
        assert!(!exists(&f, object, id)?, "{object} {id} was removed");
    }
    assert_eq!(field(&f, "Note__c", binned_note, "Account__c")?, None);
    assert_eq!(field(&f, "Note__c", live_note, "Account__c")?, None);
    assert!(!is_deleted(&f, "Note__c", live_note)?);
    Ok(())
}

pub fn a_rest_unit_delete_cascades_and_is_refused_alike(backend: &dyn Backend) -> Result<()> {
    let f = open(backend)?;
    let (account, child, grand, note) = family(&f, "Unit")?;
    let held = insert(&f, "Account", &[("Name", "Held")])?;
    insert(
        &f,
        "Block__c",
        &[("Name", "Bk"), ("Account__c", held.as_str())],
    )?;
    let plan = plan(&f, "Account", Operation::Delete, &["Id"]);
    let mut outcomes = Vec::new();
    f.store.write_unit(
        f.org(),
        f.admin.user_id,
        &mut |unit: &mut dyn RecordUnit| {
            outcomes = unit.apply(
                &plan,
                vec![
                    Ok(RowOp::Delete { id: account }),
                    Ok(RowOp::Delete { id: held }),
                ],
            )?;
            Ok(UnitEnd::Commit)
        },
    )?;
    assert_eq!(outcomes[0], RowOutcome::Deleted(account));
    assert!(
        matches!(&outcomes[1], RowOutcome::Failed { error, .. } if error.code == "DELETE_FAILED")
    );
    assert!(is_deleted(&f, "Child__c", child)?);
    assert!(is_deleted(&f, "Grand__c", grand)?);
    assert_eq!(field(&f, "Note__c", note, "Account__c")?, None);
    Ok(())
}

pub fn the_recycle_bin_purges_what_was_deleted_before_the_cutoff(
    backend: &dyn Backend,
) -> Result<()> {
    let f = open(backend)?;
    let (account, child, grand, note) = family(&f, "Old")?;
    let (live, live_child, _, _) = family(&f, "Live")?;
    delete_job(&f, Operation::Delete, &[account])?;
    let deleted_at = field(&f, "Account", account, "SystemModstamp")?
        .and_then(|t| bulkforce_core::value::parse_datetime(&t))
        .ok_or_else(|| StoreError::Invalid("no deletion time".into()))?;
    let before = deleted_at - chrono::Duration::seconds(1);
    assert_eq!(
        f.store.purge_recycle_bin(f.org(), before)?,
        0,
        "not due yet"
    );
    assert!(exists(&f, "Account", account)?);
    let after = deleted_at + chrono::Duration::seconds(1);
    assert_eq!(
        f.store.purge_recycle_bin(f.org(), after)?,
        3,
        "the account, its child and grandchild"
    );
    for (object, id) in [
        ("Account", account),
        ("Child__c", child),
        ("Grand__c", grand),
    ] {
        assert!(!exists(&f, object, id)?, "{object} purged");
    }
    assert!(exists(&f, "Note__c", note)?, "a live record stays");
    assert!(exists(&f, "Account", live)? && exists(&f, "Child__c", live_child)?);
    assert_eq!(
        f.store.purge_recycle_bin(f.org(), after)?,
        0,
        "nothing left"
    );
    Ok(())
}

/// Salesforce refuses a delete whose cascade would take 100,000 or more records with it
/// (`DELETE_OPERATION_TOO_LARGE`), counted over every level; one record fewer and the whole cascade
/// goes, walked a slice at a time.
pub fn a_cascade_reaching_100000_records_is_refused_as_too_large(
    backend: &dyn Backend,
) -> Result<()> {
    let f = open(backend)?;
    let big = insert(&f, "Account", &[("Name", "Big")])?;
    let small = insert(&f, "Account", &[("Name", "Small")])?;
    let limit = usize::try_from(bulkforce_core::org::cascade::CASCADE_LIMIT).expect("small");
    let mut parents = vec![big; limit - 1];
    parents.push(small);
    let children = insert_children(&f, "Child__c", "Account__c", &parents)?;
    let grand = insert(&f, "Grand__c", &[("Child__c", children[0].as_str())])?;
    let outcomes = delete_job(&f, Operation::Delete, &[big, small])?;
    let label = &f.store.schema().object("Child__c").expect("declared").label;
    match &outcomes[0] {
        RowOutcome::Failed { id, error } => {
            assert_eq!(*id, Some(big));
            assert_eq!(error.code, "DELETE_OPERATION_TOO_LARGE");
            assert_eq!(
                error.message,
                format!(
                    "Cascade deleting too many records:\noccurring when cascading to {label} records"
                )
            );
            assert!(error.fields.is_empty());
        }
        other => panic!("a cascade of 100,000 records went through: {other:?}"),
    }
    assert_eq!(
        outcomes[1],
        RowOutcome::Deleted(small),
        "counted per record"
    );
    assert!(!is_deleted(&f, "Account", big)?);
    assert_eq!(
        f.store.count_records(f.org(), "Child__c", false)?,
        limit as u64 - 1
    );
    let hard = delete_records(&f, "Grand__c", Operation::HardDelete, &[grand])?;
    assert_eq!(hard, vec![RowOutcome::Deleted(grand)]);
    let outcomes = delete_job(&f, Operation::Delete, &[big])?;
    assert_eq!(
        outcomes,
        vec![RowOutcome::Deleted(big)],
        "99,999 records may go"
    );
    assert_eq!(f.store.count_records(f.org(), "Child__c", false)?, 0);
    assert_eq!(
        f.store.count_records(f.org(), "Child__c", true)?,
        limit as u64
    );
    assert!(is_deleted(&f, "Child__c", children[limit - 2])?);
    Ok(())
}

/// A lookup from a Group (a queue) to a deleted record is cleared, or restricts, as any lookup does. (The
/// statements also handle an object whose describe has no `IsDeleted`, which Group once was.)
pub fn lookups_from_objects_without_a_recycle_bin_are_cleared_or_restrict(
    backend: &dyn Backend,
) -> Result<()> {
    let f = open(backend)?;
    let pointed = insert(&f, "Account", &[("Name", "Pointed")])?;
    let group = insert(
        &f,
        "Group",
        &[
            ("Name", "Queue A"),
            ("Type", "Queue"),
            ("Account__c", pointed.as_str()),
        ],
    )?;
    let held = insert(&f, "Account", &[("Name", "Held")])?;
    insert(
        &f,
        "Group",
        &[
            ("Name", "Keeper"),
            ("Type", "Queue"),
            ("Held__c", held.as_str()),
        ],
    )?;
    let outcomes = delete_job(&f, Operation::Delete, &[pointed, held])?;
    assert_eq!(outcomes[0], RowOutcome::Deleted(pointed));
    assert_eq!(field(&f, "Group", group, "Account__c")?, None, "cleared");
    let groups = f
        .store
        .schema()
        .object("Group")
        .expect("built in")
        .label_plural
        .to_lowercase();
    match &outcomes[1] {
        RowOutcome::Failed { error, .. } => {
            assert_eq!(error.code, "DELETE_FAILED");
            assert_eq!(
                error.message,
                format!(
                    "Your attempt to delete Held could not be completed because it is associated \
                     with the following {groups}.: Keeper\n"
                )
            );
        }
        other => panic!("a restricting group did not keep its account: {other:?}"),
    }
    Ok(())
}

/// The purge of every org removes only what is due, and what an org held when the store restarted
/// is purged once the org is used again (PostgreSQL: at once, by its watermark; SQLite: the org's
/// database is purged when it opens, then visited like every open one).
pub fn the_purge_of_every_org_empties_only_what_is_due(backend: &dyn Backend) -> Result<()> {
    let f = open(backend)?;
    f.store.create_org("Quiet", "quiet@purge.test", None)?;
    let (account, child, grand, note) = family(&f, "Old")?;
    let (live, _, _, _) = family(&f, "Live")?;
    delete_job(&f, Operation::Delete, &[account])?;
    let deleted_at = field(&f, "Account", account, "SystemModstamp")?
        .and_then(|t| bulkforce_core::value::parse_datetime(&t))
        .ok_or_else(|| StoreError::Invalid("no deletion time".into()))?;
    let (before, after) = (
        deleted_at - chrono::Duration::seconds(1),
        deleted_at + chrono::Duration::seconds(1),
    );
    assert_eq!(f.store.purge_recycle_bins(before)?, 0, "not due yet");
    assert!(exists(&f, "Account", account)?);
    let Fixture { store, admin } = f;
    drop(store);
    let f = Fixture {
        store: backend.open(cascade_schema())?,
        admin,
    };
    let mut purged = f.store.purge_recycle_bins(after)?;
    assert!(exists(&f, "Note__c", note)?);
    purged += f.store.purge_recycle_bins(after)?;
    assert_eq!(purged, 3, "the account, its child and grandchild");
    for (object, id) in [
        ("Account", account),
        ("Child__c", child),
        ("Grand__c", grand),
    ] {
        assert!(!exists(&f, object, id)?, "{object} purged");
    }
    assert!(exists(&f, "Account", live)?);
    assert_eq!(f.store.purge_recycle_bins(after)?, 0, "nothing left");
    Ok(())
}
