//! What an insert gets from the org: auto-numbers from counters per org, object and field (in order,
//! never issued twice, not reset with the org's records, not shared between orgs), and the audit fields
//! an org's settings let a row set; and the settings themselves (per org, lasting).

use super::{Backend, Fixture, succeeded};
use crate::{RecordUnit, Result, Store, UnitEnd};
use bulkforce_core::id::SfId;
use bulkforce_core::ingest::{IngestPlan, RowOp, RowValues};
use bulkforce_core::job::Operation;
use bulkforce_core::org::audit_fields::OrgSettings;
use bulkforce_core::value::Value;
use std::collections::HashSet;

/// Inserts `count` Cases in one unit of `org` as `user`; their ids.
fn insert_cases(store: &dyn Store, org: SfId, user: SfId, count: usize) -> Result<Vec<SfId>> {
    let schema = store.schema();
    let case = schema.object("Case").expect("Case is built in").clone();
    let plan =
        IngestPlan::new(schema, case, Operation::Insert, None, &[]).expect("an empty header plans");
    let mut ids = Vec::new();
    store.write_unit(org, user, &mut |unit: &mut dyn RecordUnit| {
        let rows = (0..count)
            .map(|_| Ok(RowOp::Insert(RowValues::default())))
            .collect();
        ids = unit
            .apply(&plan, rows)?
            .iter()
            .map(|o| succeeded(o).expect("a Case needs no field"))
            .collect();
        Ok(UnitEnd::Commit)
    })?;
    Ok(ids)
}

/// The stored `CaseNumber` of each case.
fn case_numbers(store: &dyn Store, org: SfId, ids: &[SfId]) -> Result<Vec<String>> {
    ids.iter()
        .map(|id| {
            Ok(store
                .get_record(org, "Case", *id)?
                .and_then(|fields| fields.into_iter().find(|(n, _)| n == "CaseNumber"))
                .and_then(|(_, v)| v)
                .expect("every Case has a number"))
        })
        .collect()
}

pub fn case_numbers_are_issued_in_order_per_org_and_never_twice(
    backend: &dyn Backend,
) -> Result<()> {
    let (_dir, blobs) = super::reset::scratch_blobs()?;
    let first = {
        let f = Fixture::open(backend)?;
        let (org, user) = (f.org(), f.admin.user_id);
        let ids = insert_cases(f.store.as_ref(), org, user, 3)?;
        let more = insert_cases(f.store.as_ref(), org, user, 1)?;
        let numbers = case_numbers(f.store.as_ref(), org, &[ids, more].concat())?;
        assert_eq!(numbers, ["00001000", "00001001", "00001002", "00001003"]);

        let other = f.store.create_org("Other", "admin@other.test", None)?;
        let theirs = insert_cases(f.store.as_ref(), other.org_id, other.user_id, 1)?;
        assert_eq!(
            case_numbers(f.store.as_ref(), other.org_id, &theirs)?,
            ["00001000"],
            "every org counts on its own"
        );
        assert!(f.store.reset_org(org, &blobs)?);
        numbers
    };
    // A restart, after the org's records were reset: the counter goes on.
    let f = Fixture::open(backend)?;
    let ids = insert_cases(f.store.as_ref(), f.org(), f.admin.user_id, 1)?;
    let next = case_numbers(f.store.as_ref(), f.org(), &ids)?;
    assert!(
        next[0] > first[3],
        "{next:?} comes after {first:?}: a number is never issued twice"
    );
    Ok(())
}

pub fn concurrent_writers_never_share_a_number(backend: &dyn Backend) -> Result<()> {
    let f = Fixture::open(backend)?;
    let (org, user) = (f.org(), f.admin.user_id);
    let store = f.store.as_ref();
    let ids: Vec<SfId> = std::thread::scope(|scope| {
        let writers: Vec<_> = (0..3)
            .map(|_| {
                scope.spawn(move || -> Result<Vec<SfId>> {
                    let mut ids = Vec::new();
                    for _ in 0..10 {
                        ids.extend(insert_cases(store, org, user, 4)?);
                    }
                    Ok(ids)
                })
            })
            .collect();
        writers
            .into_iter()
            .map(|w| w.join().expect("a writer does not panic"))
            .collect::<Result<Vec<_>>>()
    })?
    .concat();
    let numbers = case_numbers(store, org, &ids)?;
    let distinct: HashSet<&String> = numbers.iter().collect();
    assert_eq!(distinct.len(), 120, "{numbers:?}");
    Ok(())
}

pub fn org_settings_are_per_org_and_last(backend: &dyn Backend) -> Result<()> {
    let (_dir, blobs) = super::reset::scratch_blobs()?;
    let on = OrgSettings {
        set_audit_fields: true,
    };
    let other = {
        let f = Fixture::open(backend)?;
        assert_eq!(f.store.org_settings(f.org())?, OrgSettings::default());
        f.store.set_org_settings(f.org(), on)?;
        let other = f.store.create_org("Other", "admin@other.test", None)?;
        assert_eq!(
            f.store.org_settings(other.org_id)?,
            OrgSettings::default(),
            "another org keeps its own"
        );
        assert!(f.store.reset_org(f.org(), &blobs)?);
        other
    };
    let f = Fixture::open(backend)?;
    assert_eq!(
        f.store.org_settings(f.org())?,
        on,
        "through a reset and a restart"
    );
    assert_eq!(f.store.org_settings(other.org_id)?, OrgSettings::default());
    f.store.set_org_settings(f.org(), OrgSettings::default())?;
    assert_eq!(f.store.org_settings(f.org())?, OrgSettings::default());
    assert!(
        !f.store
            .org_schema(f.org())?
            .object("Account")
            .and_then(|o| o.field("CreatedDate"))
            .expect("Account has CreatedDate")
            .createable
    );
    Ok(())
}

pub fn an_org_that_allows_it_keeps_the_audit_values_an_insert_gives(
    backend: &dyn Backend,
) -> Result<()> {
    let f = Fixture::open(backend)?;
    f.store.set_org_settings(
        f.org(),
        OrgSettings {
            set_audit_fields: true,
        },
    )?;
    let schema = f.store.org_schema(f.org())?;
    let account = schema.object("Account").expect("built in").clone();
    let header = ["Name".to_owned(), "CreatedDate".to_owned()];
    let plan = IngestPlan::new(&schema, account.clone(), Operation::Insert, None, &header)
        .expect("CreatedDate is createable in this org");
    let field = |name: &str| account.field_index(name).expect("an Account field");
    let given = RowValues {
        assignments: vec![
            (field("Name"), Value::Text("Old".into())),
            (
                field("CreatedDate"),
                Value::Text("2020-01-02T03:04:05.000Z".into()),
            ),
        ],
        lookups: Vec::new(),
    };
    let plain = RowValues {
        assignments: vec![(field("Name"), Value::Text("New".into()))],
        lookups: Vec::new(),
    };
    let mut ids = Vec::new();
    f.store.write_unit(
        f.org(),
        f.admin.user_id,
        &mut |unit: &mut dyn RecordUnit| {
            let rows = vec![
                Ok(RowOp::Insert(given.clone())),
                Ok(RowOp::Insert(plain.clone())),
            ];
            ids = unit
                .apply(&plan, rows)?
                .iter()
                .map(|o| succeeded(o).expect("both rows are valid"))
                .collect();
            Ok(UnitEnd::Commit)
        },
    )?;
    assert_eq!(
        f.account_field(ids[0], "CreatedDate")?.as_deref(),
        Some("2020-01-02T03:04:05.000Z")
    );
    let modified = f.account_field(ids[0], "LastModifiedDate")?;
    assert_ne!(modified.as_deref(), Some("2020-01-02T03:04:05.000Z"));
    assert_eq!(f.account_field(ids[0], "SystemModstamp")?, modified);
    assert_eq!(
        f.account_field(ids[1], "CreatedDate")?,
        modified,
        "a row that leaves it empty gets the write's time"
    );
    let admin = Some(f.admin.user_id.as_str().to_owned());
    for id in &ids {
        assert_eq!(f.account_field(*id, "CreatedById")?, admin);
        assert_eq!(f.account_field(*id, "LastModifiedById")?, admin);
    }
    Ok(())
}
