//! The org's own rules in the data path: an active validation rule whose condition is true fails the
//! row with `FIELD_CUSTOM_VALIDATION_EXCEPTION`, judged on the record as it will be saved (an update's
//! stored fields merged with the row's, a lookup's parent, the stored values for `ISCHANGED` and
//! `PRIORVALUE`), writes nothing of that row and leaves the other rows of its chunk applied; an inactive
//! rule is ignored; a default value formula fills a field an insert leaves out. Rows are built from cells
//! by the job's plan, as the worker builds them, so the defaults a plan applies are part of the test.

use super::{Backend, Feed, Fixture, chunk_of, new_job, succeeded};
use crate::{ChunkCommit, RecordUnit, Result, RowOutcome, StoreError, UnitEnd};
use bulkforce_core::csv::Record;
use bulkforce_core::id::SfId;
use bulkforce_core::ingest::IngestPlan;
use bulkforce_core::job::{JobState, Operation};
use bulkforce_core::schema::{Schema, ValidationRule};
use std::sync::Arc;

/// `FIELD_CUSTOM_VALIDATION_EXCEPTION` as a bulk result reports it.
const NEGATIVE_REVENUE: &str =
    "FIELD_CUSTOM_VALIDATION_EXCEPTION:Annual revenue cannot be negative.:AnnualRevenue --";
const NEEDS_SITE: &str = "FIELD_CUSTOM_VALIDATION_EXCEPTION:Large accounts need a site.:--";
const NUMBER_FIXED: &str =
    "FIELD_CUSTOM_VALIDATION_EXCEPTION:An account number cannot change once set.:AccountNumber --";
const NEEDS_EMAIL: &str =
    "FIELD_CUSTOM_VALIDATION_EXCEPTION:Contacts of regulated accounts need an email.:Email --";

fn rule(
    name: &str,
    active: bool,
    condition: &str,
    message: &str,
    field: Option<&str>,
) -> ValidationRule {
    ValidationRule {
        name: name.to_owned(),
        active,
        condition: condition.to_owned(),
        message: message.to_owned(),
        display_field: field.map(str::to_owned),
    }
}

/// The conformance schema with rules: on Account a default value formula (`Region__c`), three active
/// rules (on the row alone, on the merged record, on prior values) and an inactive one; on Contact a
/// rule reading the parent Account through `AccountId`.
pub fn schema() -> Arc<Schema> {
    let mut schema = (*super::schema()).clone();
    schema
        .merge_describe(
            r#"{"name":"Account","fields":[{"name":"Region__c","type":"string","length":40,
                "nillable":true,"createable":true,"updateable":true}]}"#,
        )
        .expect("the rules describe is valid");
    let mut account = (**schema.object("Account").expect("Account is built in")).clone();
    let mut region = account
        .field("Region__c")
        .expect("Region__c was just merged")
        .clone();
    region.traits.default_formula = Some(r#""EM" & "EA""#.to_owned());
    account.upsert_field(region);
    account.validation_rules = vec![
        rule(
            "Revenue_Not_Negative",
            true,
            "AnnualRevenue < 0",
            "Annual revenue cannot be negative.",
            Some("AnnualRevenue"),
        ),
        rule(
            "Big_Accounts_Need_Site",
            true,
            "AND(NumberOfEmployees > 1000, ISBLANK(Site))",
            "Large accounts need a site.",
            None,
        ),
        rule(
            "Account_Number_Fixed",
            true,
            "AND(ISCHANGED(AccountNumber), NOT(ISBLANK(PRIORVALUE(AccountNumber))))",
            "An account number cannot change once set.",
            Some("AccountNumber"),
        ),
        rule(
            "No_Blocked_Name",
            false,
            "Name = 'Blocked'",
            "Blocked accounts are not allowed.",
            Some("Name"),
        ),
    ];
    schema.replace_object(account);
    let mut contact = (**schema.object("Contact").expect("Contact is built in")).clone();
    contact.validation_rules = vec![rule(
        "Regulated_Contacts_Need_Email",
        true,
        "AND(Account.Site = 'Regulated', ISBLANK(Email))",
        "Contacts of regulated accounts need an email.",
        Some("Email"),
    )];
    schema.replace_object(contact);
    Arc::new(schema)
}

fn open(backend: &dyn Backend) -> Result<Fixture> {
    let store = backend.open(schema())?;
    let admin = store.ensure_default_org()?;
    Ok(Fixture { store, admin })
}

/// The plan of `header` for `operation` on `object` (upserts key on `Ext__c`).
fn plan(f: &Fixture, operation: Operation, object: &str, header: &[&str]) -> IngestPlan {
    let schema = f.store.schema();
    let sobject = schema.object(object).expect("a built-in object").clone();
    let key = (operation == Operation::Upsert).then_some("Ext__c");
    let header: Vec<String> = header.iter().map(|h| (*h).to_owned()).collect();
    IngestPlan::new(schema, sobject, operation, key, &header).expect("the headers name fields")
}

/// Runs one chunk of a new job of `operation` on `object` with these rows of cells (an empty cell sets
/// nothing, `#N/A` sets null), built by the job's plan; the outcomes in row order.
fn run(
    f: &Fixture,
    operation: Operation,
    object: &str,
    header: &[&str],
    rows: &[&[&str]],
) -> Result<Vec<RowOutcome>> {
    let org = f.org();
    let job = f
        .store
        .create_job(org, new_job(&f.admin, operation, object, None))?;
    f.store.begin_upload(org, job.id)?;
    f.store.end_upload(org, job.id, Some(100))?;
    f.store
        .transition(
            org,
            job.id,
            &[JobState::Open],
            JobState::UploadComplete,
            None,
        )?
        .ok_or_else(|| StoreError::Invalid("the job just created is gone".into()))?;
    let claimed = f
        .store
        .claim_job()?
        .ok_or_else(|| StoreError::Invalid("no job to claim".into()))?;
    assert_eq!(claimed.job.id, job.id, "the only waiting job is claimed");
    let plan = plan(f, operation, object, header);
    let built = rows
        .iter()
        .map(|cells| plan.build_row(&cells.iter().copied().collect::<Record>()))
        .collect();
    let mut feed = Feed::default();
    let ending = f
        .store
        .apply_chunks(org, &claimed.job, &plan, chunk_of(0, built), &mut feed)?;
    assert_eq!(
        ending,
        ChunkCommit::Committed,
        "a claimed job takes its chunk"
    );
    let (_, outcomes) = feed
        .applied
        .pop()
        .ok_or_else(|| StoreError::Invalid("the chunk reported no outcomes".into()))?;
    assert_eq!(outcomes.len(), rows.len(), "one outcome per row");
    Ok(outcomes)
}

/// The ids of rows that must have succeeded.
fn ids(outcomes: &[RowOutcome]) -> Vec<SfId> {
    outcomes
        .iter()
        .map(|o| succeeded(o).unwrap_or_else(|| panic!("every row succeeds: {outcomes:?}")))
        .collect()
}

/// The `sf__Error` text of a failed outcome, with the id it reports.
fn failure(outcome: &RowOutcome) -> (Option<SfId>, String) {
    match outcome {
        RowOutcome::Failed { id, error } => (*id, error.to_string()),
        other => panic!("the row fails, got {other:?}"),
    }
}

/// A stored field as text (`None`: null or no such record).
fn field(f: &Fixture, object: &str, id: SfId, name: &str) -> Result<Option<String>> {
    Ok(f.store
        .get_record(f.org(), object, id)?
        .and_then(|fields| fields.into_iter().find(|(n, _)| n == name))
        .and_then(|(_, value)| value))
}

pub fn a_rule_fails_an_insert_with_its_message(backend: &dyn Backend) -> Result<()> {
    let f = open(backend)?;
    let outcomes = run(
        &f,
        Operation::Insert,
        "Account",
        &["Name", "AnnualRevenue"],
        &[&["Negative", "-5"], &["Positive", "5"], &["Zero", "0"]],
    )?;
    assert_eq!(failure(&outcomes[0]), (None, NEGATIVE_REVENUE.to_owned()));
    match &outcomes[0] {
        RowOutcome::Failed { error, .. } => {
            assert_eq!(error.code, "FIELD_CUSTOM_VALIDATION_EXCEPTION");
            assert_eq!(error.message, "Annual revenue cannot be negative.");
            assert_eq!(error.fields, vec!["AnnualRevenue".to_owned()]);
        }
        other => panic!("the negative revenue fails, got {other:?}"),
    }
    assert!(matches!(outcomes[1], RowOutcome::Created(_)));
    assert!(matches!(outcomes[2], RowOutcome::Created(_)));
    assert_eq!(f.store.count_records(f.org(), "Account", true)?, 2);
    // A REST unit applies rows through the same writer: the same refusal, nothing written.
    let plan = plan(&f, Operation::Insert, "Account", &["Name", "AnnualRevenue"]);
    let mut unit_outcomes = Vec::new();
    f.store.write_unit(
        f.org(),
        f.admin.user_id,
        &mut |unit: &mut dyn RecordUnit| {
            let row = plan.build_row(&["Rest", "-1"].into_iter().collect::<Record>());
            unit_outcomes = unit.apply(&plan, vec![row])?;
            Ok(UnitEnd::Commit)
        },
    )?;
    assert_eq!(
        failure(&unit_outcomes[0]),
        (None, NEGATIVE_REVENUE.to_owned())
    );
    assert_eq!(f.store.count_records(f.org(), "Account", true)?, 2);
    Ok(())
}

pub fn an_update_is_checked_on_the_merged_record(backend: &dyn Backend) -> Result<()> {
    let f = open(backend)?;
    let seeded = ids(&run(
        &f,
        Operation::Insert,
        "Account",
        &["Name", "NumberOfEmployees", "Site", "Ext__c"],
        &[
            &["Big", "5000", "HQ", "big"],
            &["Small", "10", "Shop", "small"],
            &["Gone", "5000", "HQ", "gone"],
        ],
    )?);
    let (big, small, gone) = (seeded[0], seeded[1], seeded[2]);
    ids(&run(
        &f,
        Operation::Delete,
        "Account",
        &["Id"],
        &[&[gone.as_str()]],
    )?);
    // The rows set Site only: the employees the rule reads are the stored ones.
    let outcomes = run(
        &f,
        Operation::Update,
        "Account",
        &["Id", "Site"],
        &[
            &[big.as_str(), "#N/A"],
            &[small.as_str(), "#N/A"],
            &[gone.as_str(), "#N/A"],
        ],
    )?;
    assert_eq!(failure(&outcomes[0]), (Some(big), NEEDS_SITE.to_owned()));
    assert_eq!(outcomes[1], RowOutcome::Updated(small));
    // A deleted record is reported as deleted: the rule never sees it.
    match &outcomes[2] {
        RowOutcome::Failed { error, .. } => assert_eq!(error.code, "ENTITY_IS_DELETED"),
        other => panic!("the deleted record's update fails, got {other:?}"),
    }
    assert_eq!(field(&f, "Account", big, "Site")?.as_deref(), Some("HQ"));
    assert_eq!(field(&f, "Account", small, "Site")?, None);
    // An upsert that matches a record is an update: the same merged record, the same refusal.
    let outcomes = run(
        &f,
        Operation::Upsert,
        "Account",
        &["Ext__c", "Site", "Name"],
        &[&["big", "#N/A", "Big Again"], &["small", "", "Small Again"]],
    )?;
    // The failure names the record the key matched, as any failure of an upsert that updates does.
    assert_eq!(failure(&outcomes[0]), (Some(big), NEEDS_SITE.to_owned()));
    assert_eq!(outcomes[1], RowOutcome::Updated(small));
    assert_eq!(field(&f, "Account", big, "Name")?.as_deref(), Some("Big"));
    // Setting the employees on a record without a site fails too (the site is the stored null).
    let outcomes = run(
        &f,
        Operation::Update,
        "Account",
        &["Id", "NumberOfEmployees"],
        &[&[small.as_str(), "2000"]],
    )?;
    assert_eq!(failure(&outcomes[0]), (Some(small), NEEDS_SITE.to_owned()));
    Ok(())
}

pub fn prior_values_are_the_stored_ones(backend: &dyn Backend) -> Result<()> {
    let f = open(backend)?;
    // A new record has no prior value: ISCHANGED is false on insert.
    let seeded = ids(&run(
        &f,
        Operation::Insert,
        "Account",
        &["Name", "AccountNumber"],
        &[&["Numbered", "N1"], &["Unnumbered", ""]],
    )?);
    let (numbered, unnumbered) = (seeded[0], seeded[1]);
    let outcomes = run(
        &f,
        Operation::Update,
        "Account",
        &["Id", "AccountNumber"],
        &[&[numbered.as_str(), "N2"], &[unnumbered.as_str(), "U1"]],
    )?;
    assert_eq!(
        failure(&outcomes[0]),
        (Some(numbered), NUMBER_FIXED.to_owned())
    );
    assert_eq!(outcomes[1], RowOutcome::Updated(unnumbered));
    // The same value is no change; a row that leaves the field out does not change it either.
    let outcomes = run(
        &f,
        Operation::Update,
        "Account",
        &["Id", "AccountNumber", "Name"],
        &[
            &[numbered.as_str(), "N1", "Renamed"],
            &[unnumbered.as_str(), "", "Renamed too"],
        ],
    )?;
    assert_eq!(
        outcomes,
        vec![
            RowOutcome::Updated(numbered),
            RowOutcome::Updated(unnumbered)
        ]
    );
    // The prior value is the one an earlier job committed.
    let outcomes = run(
        &f,
        Operation::Update,
        "Account",
        &["Id", "AccountNumber"],
        &[&[unnumbered.as_str(), "U2"]],
    )?;
    assert_eq!(
        failure(&outcomes[0]),
        (Some(unnumbered), NUMBER_FIXED.to_owned())
    );
    assert_eq!(
        field(&f, "Account", numbered, "AccountNumber")?.as_deref(),
        Some("N1")
    );
    assert_eq!(
        field(&f, "Account", unnumbered, "AccountNumber")?.as_deref(),
        Some("U1")
    );
    assert_eq!(
        field(&f, "Account", unnumbered, "Name")?.as_deref(),
        Some("Renamed too")
    );
    Ok(())
}

pub fn a_rule_reads_the_parent_through_a_lookup(backend: &dyn Backend) -> Result<()> {
    let f = open(backend)?;
    let parents = ids(&run(
        &f,
        Operation::Insert,
        "Account",
        &["Name", "Site", "Ext__c"],
        &[&["Bank", "Regulated", "reg"], &["Shop", "Open", "open"]],
    )?);
    let (regulated, open_parent) = (parents[0].as_str(), parents[1].as_str());
    let outcomes = run(
        &f,
        Operation::Insert,
        "Contact",
        &["LastName", "Email", "AccountId"],
        &[
            &["One", "", regulated],
            &["Two", "two@example.com", regulated],
            &["Three", "", open_parent],
            &["Four", "", ""],
        ],
    )?;
    assert_eq!(failure(&outcomes[0]), (None, NEEDS_EMAIL.to_owned()));
    let created: Vec<SfId> = ids(&outcomes[1..]);
    let (two, three) = (created[0], created[1]);
    // A parent named by its external id is the same parent once the lookup is resolved.
    let outcomes = run(
        &f,
        Operation::Insert,
        "Contact",
        &["LastName", "Account.Ext__c"],
        &[&["Five", "reg"], &["Six", "open"]],
    )?;
    assert_eq!(failure(&outcomes[0]), (None, NEEDS_EMAIL.to_owned()));
    assert!(matches!(outcomes[1], RowOutcome::Created(_)));
    // An update reads the parent its record will have: the row's new one, or the stored one.
    let outcomes = run(
        &f,
        Operation::Update,
        "Contact",
        &["Id", "AccountId", "Email"],
        &[
            &[three.as_str(), regulated, ""],
            &[two.as_str(), "", "#N/A"],
        ],
    )?;
    assert_eq!(failure(&outcomes[0]), (Some(three), NEEDS_EMAIL.to_owned()));
    assert_eq!(failure(&outcomes[1]), (Some(two), NEEDS_EMAIL.to_owned()));
    assert_eq!(
        field(&f, "Contact", three, "AccountId")?.as_deref(),
        Some(open_parent)
    );
    assert_eq!(
        field(&f, "Contact", two, "Email")?.as_deref(),
        Some("two@example.com")
    );
    assert_eq!(f.store.count_records(f.org(), "Contact", true)?, 4);
    Ok(())
}

pub fn an_inactive_rule_is_ignored(backend: &dyn Backend) -> Result<()> {
    let f = open(backend)?;
    let outcomes = run(&f, Operation::Insert, "Account", &["Name"], &[&["Blocked"]])?;
    let blocked = ids(&outcomes)[0];
    assert_eq!(
        field(&f, "Account", blocked, "Name")?.as_deref(),
        Some("Blocked")
    );
    Ok(())
}

pub fn a_default_formula_fills_a_field_left_out_on_insert(backend: &dyn Backend) -> Result<()> {
    let f = open(backend)?;
    let left_out = ids(&run(
        &f,
        Operation::Insert,
        "Account",
        &["Name"],
        &[&["Plain"]],
    )?)[0];
    assert_eq!(
        field(&f, "Account", left_out, "Region__c")?.as_deref(),
        Some("EMEA")
    );
    let given = ids(&run(
        &f,
        Operation::Insert,
        "Account",
        &["Name", "Region__c"],
        &[&["Given", "APAC"]],
    )?)[0];
    assert_eq!(
        field(&f, "Account", given, "Region__c")?.as_deref(),
        Some("APAC")
    );
    // An upsert that inserts is an insert; one that updates keeps the stored value.
    let outcomes = run(
        &f,
        Operation::Upsert,
        "Account",
        &["Ext__c", "Name"],
        &[&["new", "Upserted"]],
    )?;
    let upserted = ids(&outcomes)[0];
    assert_eq!(outcomes[0], RowOutcome::Created(upserted));
    assert_eq!(
        field(&f, "Account", upserted, "Region__c")?.as_deref(),
        Some("EMEA")
    );
    let outcomes = run(
        &f,
        Operation::Update,
        "Account",
        &["Id", "Region__c"],
        &[&[given.as_str(), "#N/A"]],
    )?;
    assert_eq!(outcomes[0], RowOutcome::Updated(given));
    let outcomes = run(
        &f,
        Operation::Upsert,
        "Account",
        &["Ext__c", "Name"],
        &[&["new", "Upserted again"]],
    )?;
    assert_eq!(outcomes[0], RowOutcome::Updated(upserted));
    assert_eq!(field(&f, "Account", given, "Region__c")?, None);
    assert_eq!(
        field(&f, "Account", upserted, "Region__c")?.as_deref(),
        Some("EMEA")
    );
    Ok(())
}

pub fn a_row_failing_mid_chunk_leaves_the_others_applied(backend: &dyn Backend) -> Result<()> {
    let f = open(backend)?;
    let outcomes = run(
        &f,
        Operation::Insert,
        "Account",
        &["Name", "AnnualRevenue", "Ext__c"],
        &[
            &["A", "1", "a"],
            &["B", "2", "b"],
            &["Bad", "-3", "bad"],
            &["C", "4", "c"],
            &["D", "5", "d"],
        ],
    )?;
    assert_eq!(failure(&outcomes[2]), (None, NEGATIVE_REVENUE.to_owned()));
    let mut applied: Vec<SfId> = ids(&outcomes[..2]);
    applied.extend(ids(&outcomes[3..]));
    for (id, name) in applied.iter().zip(["A", "B", "C", "D"]) {
        assert_eq!(field(&f, "Account", *id, "Name")?.as_deref(), Some(name));
    }
    assert_eq!(f.store.count_records(f.org(), "Account", true)?, 4);
    // The failed row's unique value was never written: a later row may take it.
    let outcomes = run(
        &f,
        Operation::Upsert,
        "Account",
        &["Ext__c", "AnnualRevenue", "Name"],
        &[
            &["a", "10", "A2"],
            &["bad", "7", "Good now"],
            &["b", "-1", "B2"],
            &["e", "-2", "E"],
            &["c", "30", "C2"],
        ],
    )?;
    assert_eq!(outcomes[0], RowOutcome::Updated(applied[0]));
    assert!(matches!(outcomes[1], RowOutcome::Created(_)));
    assert_eq!(
        failure(&outcomes[2]),
        (Some(applied[1]), NEGATIVE_REVENUE.to_owned())
    );
    assert_eq!(failure(&outcomes[3]), (None, NEGATIVE_REVENUE.to_owned()));
    assert_eq!(outcomes[4], RowOutcome::Updated(applied[2]));
    assert_eq!(
        field(&f, "Account", applied[0], "Name")?.as_deref(),
        Some("A2")
    );
    assert_eq!(
        field(&f, "Account", applied[1], "Name")?.as_deref(),
        Some("B")
    );
    assert_eq!(
        field(&f, "Account", applied[2], "Name")?.as_deref(),
        Some("C2")
    );
    assert_eq!(f.store.count_records(f.org(), "Account", true)?, 5);
    Ok(())
}

pub fn a_large_chunk_reads_every_stored_record(backend: &dyn Backend) -> Result<()> {
    let f = open(backend)?;
    // More updates than one fetch of ids may take on SQLite: every stored record is still read.
    let count = 1_200;
    let names: Vec<String> = (0..count).map(|k| format!("Acct {k}")).collect();
    let employees = |k: usize| if k.is_multiple_of(3) { "5000" } else { "10" };
    let cells: Vec<[&str; 3]> = (0..count)
        .map(|k| [names[k].as_str(), employees(k), "HQ"])
        .collect();
    let rows: Vec<&[&str]> = cells.iter().map(|c| &c[..]).collect();
    let seeded = ids(&run(
        &f,
        Operation::Insert,
        "Account",
        &["Name", "NumberOfEmployees", "Site"],
        &rows,
    )?);
    let cells: Vec<[&str; 2]> = seeded.iter().map(|id| [id.as_str(), "#N/A"]).collect();
    let rows: Vec<&[&str]> = cells.iter().map(|c| &c[..]).collect();
    let outcomes = run(&f, Operation::Update, "Account", &["Id", "Site"], &rows)?;
    for (k, (outcome, id)) in outcomes.iter().zip(&seeded).enumerate() {
        if k.is_multiple_of(3) {
            assert_eq!(
                failure(outcome),
                (Some(*id), NEEDS_SITE.to_owned()),
                "row {k}"
            );
        } else {
            assert_eq!(*outcome, RowOutcome::Updated(*id), "row {k}");
        }
    }
    Ok(())
}
