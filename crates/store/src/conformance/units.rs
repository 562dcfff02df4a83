//! Units of REST record writes ([`crate::Store::write_unit`]): what a unit applies commits together or not
//! at all, its reads see its own writes, savepoints undo only their part, failed rows are not applied, and
//! another org is never touched.

use super::{Backend, Fixture, succeeded};
use crate::{QueryOptions, RecordUnit, Result, RowOutcome, UnitEnd};
use bulkforce_core::id::SfId;
use bulkforce_core::ingest::RowOp;
use bulkforce_core::job::Operation;
use bulkforce_soql::{BindContext, Mode};

/// Inserts one Account named `name` in `unit`; its id.
fn insert(f: &Fixture, unit: &mut dyn RecordUnit, name: &str) -> Result<SfId> {
    let plan = f.plan(Operation::Insert, &["Name"]);
    let outcomes = unit.apply(&plan, vec![f.insert(name)])?;
    Ok(succeeded(&outcomes[0]).expect("a named Account is valid"))
}

/// Runs `work` in a unit of the default org as its admin.
fn unit(f: &Fixture, mut work: impl FnMut(&mut dyn RecordUnit) -> Result<UnitEnd>) -> Result<()> {
    f.store.write_unit(f.org(), f.admin.user_id, &mut work)
}

pub fn a_committed_unit_keeps_its_rows_stamped_by_its_user(backend: &dyn Backend) -> Result<()> {
    let f = Fixture::open(backend)?;
    let mut ids = Vec::new();
    unit(&f, |u| {
        ids.push(insert(&f, u, "One")?);
        ids.push(insert(&f, u, "Two")?);
        Ok(UnitEnd::Commit)
    })?;
    assert_eq!(f.store.count_records(f.org(), "Account", false)?, 2);
    assert_eq!(f.account_field(ids[1], "Name")?.as_deref(), Some("Two"));
    let admin = Some(f.admin.user_id.as_str().to_owned());
    assert_eq!(f.account_field(ids[0], "CreatedById")?, admin);
    assert_eq!(f.account_field(ids[0], "OwnerId")?, admin);
    Ok(())
}

pub fn a_rolled_back_unit_leaves_nothing(backend: &dyn Backend) -> Result<()> {
    let f = Fixture::open(backend)?;
    unit(&f, |u| {
        insert(&f, u, "Gone")?;
        Ok(UnitEnd::Rollback)
    })?;
    assert_eq!(f.store.count_records(f.org(), "Account", true)?, 0);
    let failed = unit(&f, |u| {
        insert(&f, u, "Gone too")?;
        Err(crate::StoreError::Invalid("the work gave up".to_owned()))
    });
    assert!(failed.is_err(), "the work's error is the unit's");
    assert_eq!(f.store.count_records(f.org(), "Account", true)?, 0);
    Ok(())
}

pub fn a_unit_reads_its_own_writes(backend: &dyn Backend) -> Result<()> {
    let f = Fixture::open(backend)?;
    let context = BindContext {
        now: chrono::Utc::now(),
        fiscal_year_start_month: 1,
    };
    let query = bulkforce_soql::compile(
        "SELECT Name FROM Account",
        f.store.schema(),
        &context,
        Mode::Rest,
    )
    .expect("valid SOQL");
    unit(&f, |u| {
        let id = insert(&f, u, "Fresh")?;
        let fields = u.get_record("Account", id)?.expect("the unit sees its row");
        let name = fields
            .iter()
            .find(|(n, _)| n == "Name")
            .and_then(|(_, v)| v.clone());
        assert_eq!(name.as_deref(), Some("Fresh"));
        let mut seen = 0;
        u.run_query(&query, QueryOptions::default(), &mut |_| {
            seen += 1;
            Ok(true)
        })?;
        assert_eq!(seen, 1, "a query in the unit sees the row");
        Ok(UnitEnd::Rollback)
    })?;
    Ok(())
}

pub fn a_savepoint_rollback_undoes_only_its_part(backend: &dyn Backend) -> Result<()> {
    let f = Fixture::open(backend)?;
    let (mut kept, mut inner_kept) = (None, None);
    unit(&f, |u| {
        kept = Some(insert(&f, u, "Before")?);
        u.savepoint()?;
        insert(&f, u, "Undone")?;
        u.savepoint()?;
        insert(&f, u, "Nested")?;
        u.release_savepoint()?;
        u.rollback_to_savepoint()?;
        u.savepoint()?;
        inner_kept = Some(insert(&f, u, "Released")?);
        u.release_savepoint()?;
        assert!(
            u.rollback_to_savepoint().is_err(),
            "no savepoint is left to go back to"
        );
        Ok(UnitEnd::Commit)
    })?;
    // Only two rows are left (the undone row's id may be minted again: no record ever committed with it).
    assert_eq!(f.store.count_records(f.org(), "Account", true)?, 2);
    let name = |id: Option<SfId>| f.account_field(id.expect("inserted"), "Name");
    assert_eq!(name(kept)?.as_deref(), Some("Before"));
    assert_eq!(name(inner_kept)?.as_deref(), Some("Released"));
    Ok(())
}

pub fn failed_rows_are_not_applied_in_a_unit(backend: &dyn Backend) -> Result<()> {
    let f = Fixture::open(backend)?;
    let mut outcomes = Vec::new();
    unit(&f, |u| {
        let id = insert(&f, u, "Live")?;
        let plan = f.plan(Operation::Delete, &["Id"]);
        u.apply(&plan, vec![Ok(RowOp::Delete { id })])?;
        let plan = f.plan(Operation::Update, &["Id", "Name"]);
        outcomes = u.apply(
            &plan,
            vec![
                Ok(RowOp::Update {
                    id,
                    values: f.values(&[("Name", "Renamed")]),
                }),
                Err(bulkforce_core::RowError::missing_id().into()),
            ],
        )?;
        Ok(UnitEnd::Commit)
    })?;
    assert!(
        matches!(&outcomes[0], RowOutcome::Failed { error, .. } if error.code == "ENTITY_IS_DELETED"),
        "{outcomes:?}"
    );
    assert!(
        matches!(&outcomes[1], RowOutcome::Failed { error, .. } if error.code == "MISSING_ARGUMENT")
    );
    assert_eq!(f.store.count_records(f.org(), "Account", false)?, 0);
    assert_eq!(f.store.count_records(f.org(), "Account", true)?, 1);
    Ok(())
}

pub fn a_unit_leaves_other_orgs_untouched(backend: &dyn Backend) -> Result<()> {
    let f = Fixture::open(backend)?;
    let other = f
        .store
        .create_org("Other", "admin@other.test", Some("pw"))?;
    let mut id = None;
    f.store.write_unit(other.org_id, other.user_id, &mut |u| {
        id = Some(insert(&f, u, "Theirs")?);
        Ok(UnitEnd::Commit)
    })?;
    let id = id.expect("inserted");
    assert_eq!(f.store.count_records(f.org(), "Account", true)?, 0);
    assert_eq!(f.store.count_records(other.org_id, "Account", true)?, 1);
    assert_eq!(f.store.get_record(f.org(), "Account", id)?, None);
    unit(&f, |u| {
        assert_eq!(u.get_record("Account", id)?, None);
        Ok(UnitEnd::Commit)
    })?;
    Ok(())
}
