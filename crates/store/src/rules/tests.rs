//! The shared rules step: what a writer compiles and fetches (pure), and the SQLite writer over real
//! database files through a REST write unit (the same `apply_rows` ingest chunks take). The cases both
//! backends share are in `conformance::rules`; these are the ones about this module's own decisions.

use super::plan::{Slot, Source};
use super::*;
use crate::sqlite::SqliteStore;
use crate::{RecordUnit, RowOutcome, Store, UnitEnd};
use bulkforce_core::csv::Record;
use bulkforce_core::ingest::IngestPlan;
use bulkforce_core::job::Operation;
use bulkforce_core::schema::ValidationRule;

fn rule(name: &str, active: bool, condition: &str, field: Option<&str>) -> ValidationRule {
    ValidationRule {
        name: name.to_owned(),
        active,
        condition: condition.to_owned(),
        message: format!("{name} failed."),
        display_field: field.map(str::to_owned),
    }
}

/// The built-in schema with `rules` on `object` and these default formulas on its fields.
fn schema_with(object: &str, rules: Vec<ValidationRule>, defaults: &[(&str, &str)]) -> Arc<Schema> {
    let mut schema = Schema::builtin();
    let mut sobject = (**schema.object(object).expect("a built-in object")).clone();
    for (name, formula) in defaults {
        let mut field = sobject.field(name).expect("a built-in field").clone();
        field.traits.default_formula = Some((*formula).to_owned());
        sobject.upsert_field(field);
    }
    sobject.validation_rules = rules;
    schema.replace_object(sobject);
    Arc::new(schema)
}

fn object(schema: &Schema, name: &str) -> Arc<SObject> {
    Arc::clone(schema.object(name).expect("a built-in object"))
}

#[test]
fn an_object_without_active_rules_or_defaults_gets_nothing() {
    let schema = schema_with(
        "Account",
        vec![rule("Off", false, "AnnualRevenue < 0", None)],
        &[],
    );
    assert!(WriteRules::for_object(&schema, &object(&schema, "Account")).is_none());
    assert!(WriteRules::for_object(&schema, &object(&schema, "Contact")).is_none());
}

#[test]
fn a_plan_reaches_parents_the_user_and_the_profile_once_each() {
    let schema = schema_with(
        "Contact",
        vec![
            rule(
                "A",
                true,
                "AND(Account.Owner.Email = $User.Email, Account.Site = 'x')",
                None,
            ),
            rule(
                "B",
                true,
                "AND($Profile.Name = 'x', ISCHANGED(Email))",
                None,
            ),
        ],
        &[],
    );
    let rules = WriteRules::for_object(&schema, &object(&schema, "Contact")).expect("two rules");
    assert!(
        rules.rules.broken().is_empty(),
        "{:?}",
        rules.rules.broken()
    );
    let nodes: Vec<(&str, Source)> = rules
        .plan
        .nodes
        .iter()
        .map(|n| (n.object.name.as_str(), n.source))
        .collect();
    // The row; Account through AccountId; its owner; the running user. No org has a Profile object here,
    // so `$Profile.Name` reads blank rather than failing.
    assert_eq!(nodes.len(), 4, "{nodes:?}");
    assert_eq!(nodes[0], ("Contact", Source::Row));
    assert!(matches!(
        nodes[1],
        ("Account", Source::Lookup { from: 0, .. })
    ));
    assert!(matches!(nodes[2], ("User", Source::Lookup { from: 1, .. })));
    assert!(nodes.contains(&("User", Source::User)));
    assert_eq!(rules.rule_slots[1].globals, vec![Slot::Blank]);
    // The Email the second rule reads is the row's own, read from the stored record for ISCHANGED.
    let email = schema
        .object("Contact")
        .and_then(|c| c.field_index("Email"))
        .expect("Contact.Email");
    assert!(
        rules.rule_slots[1]
            .fields
            .iter()
            .any(|s| matches!(s, Slot::Own { field, .. } if *field == email))
    );
}

/// A store on real files with `schema`, and its default org's admin.
fn store(schema: Arc<Schema>) -> (tempfile::TempDir, SqliteStore, crate::Principal) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let store = SqliteStore::open(dir.path(), schema).expect("the store opens");
    let admin = store.ensure_default_org().expect("the default org");
    (dir, store, admin)
}

/// Applies rows of `cells` for `operation` on `object` in one REST write unit; the outcomes.
fn apply(
    store: &SqliteStore,
    admin: &crate::Principal,
    operation: Operation,
    object: &str,
    header: &[&str],
    rows: &[&[&str]],
) -> Vec<RowOutcome> {
    let schema = store.schema();
    let sobject = Arc::clone(schema.object(object).expect("a built-in object"));
    let header: Vec<String> = header.iter().map(|h| (*h).to_owned()).collect();
    let plan = IngestPlan::new(schema, sobject, operation, None, &header).expect("a valid header");
    let built: Vec<_> = rows
        .iter()
        .map(|cells| plan.build_row(&cells.iter().copied().collect::<Record>()))
        .collect();
    let mut outcomes = Vec::new();
    store
        .write_unit(
            admin.org_id,
            admin.user_id,
            &mut |unit: &mut dyn RecordUnit| {
                outcomes = unit.apply(&plan, built.clone())?;
                Ok(UnitEnd::Commit)
            },
        )
        .expect("the unit commits");
    outcomes
}

fn created(outcome: &RowOutcome) -> SfId {
    match outcome {
        RowOutcome::Created(id) => *id,
        other => panic!("the row is created, got {other:?}"),
    }
}

fn stored(store: &SqliteStore, org: SfId, object: &str, id: SfId, field: &str) -> Option<String> {
    store
        .get_record(org, object, id)
        .expect("the record reads")
        .and_then(|fields| fields.into_iter().find(|(n, _)| n == field))
        .and_then(|(_, v)| v)
}

#[test]
fn defaults_read_the_running_user_and_the_clock_and_leave_set_fields_alone() {
    let schema = schema_with(
        "Account",
        vec![],
        &[
            ("Site", "$User.Id & '@' & TEXT(YEAR(TODAY()))"),
            ("Description", "'fixed'"),
        ],
    );
    let (_dir, store, admin) = store(schema);
    let outcomes = apply(
        &store,
        &admin,
        Operation::Insert,
        "Account",
        &["Name", "Description"],
        &[&["Defaulted", ""], &["Own", "mine"]],
    );
    let (defaulted, own) = (created(&outcomes[0]), created(&outcomes[1]));
    let site = stored(&store, admin.org_id, "Account", defaulted, "Site").expect("a default site");
    assert!(
        site.starts_with(&format!("{}@", admin.user_id.as_str())),
        "{site}"
    );
    let description = |id| stored(&store, admin.org_id, "Account", id, "Description");
    assert_eq!(description(defaulted).as_deref(), Some("fixed"));
    assert_eq!(description(own).as_deref(), Some("mine"));
}

#[test]
fn a_second_update_of_a_record_in_one_chunk_sees_the_first() {
    let schema = schema_with(
        "Account",
        vec![rule(
            "Number_Fixed",
            true,
            "AND(ISCHANGED(AccountNumber), NOT(ISBLANK(PRIORVALUE(AccountNumber))))",
            Some("AccountNumber"),
        )],
        &[],
    );
    let (_dir, store, admin) = store(schema);
    let id = created(
        &apply(
            &store,
            &admin,
            Operation::Insert,
            "Account",
            &["Name"],
            &[&["A"]],
        )[0],
    );
    // The first row sets the number (it was blank); the second changes it, now set: refused.
    let outcomes = apply(
        &store,
        &admin,
        Operation::Update,
        "Account",
        &["Id", "AccountNumber"],
        &[&[id.as_str(), "N1"], &[id.as_str(), "N2"]],
    );
    assert_eq!(outcomes[0], RowOutcome::Updated(id));
    match &outcomes[1] {
        RowOutcome::Failed { id: failed, error } => {
            assert_eq!(*failed, Some(id));
            assert_eq!(
                error.to_string(),
                "FIELD_CUSTOM_VALIDATION_EXCEPTION:Number_Fixed failed.:AccountNumber --"
            );
        }
        other => panic!("the second update fails, got {other:?}"),
    }
    assert_eq!(
        stored(&store, admin.org_id, "Account", id, "AccountNumber").as_deref(),
        Some("N1")
    );
}

#[test]
fn a_failed_row_carries_every_failing_rule_in_name_order_and_shows_the_first() {
    let schema = schema_with(
        "Account",
        vec![
            rule(
                "B_Revenue",
                true,
                "AnnualRevenue < 0",
                Some("AnnualRevenue"),
            ),
            rule("C_Passes", true, "ISBLANK(Name)", None),
            rule("A_Number", true, "ISBLANK(AccountNumber)", None),
        ],
        &[],
    );
    let (_dir, store, admin) = store(schema);
    let outcomes = apply(
        &store,
        &admin,
        Operation::Insert,
        "Account",
        &["Name", "AnnualRevenue"],
        &[&["A", "-1"]],
    );
    match &outcomes[0] {
        RowOutcome::Failed { id: None, error } => {
            assert_eq!(
                error.to_string(),
                "FIELD_CUSTOM_VALIDATION_EXCEPTION:A_Number failed.:--",
                "Bulk's sf__Error shows the first rule only"
            );
            let messages: Vec<&str> = error.all().map(|e| e.message.as_str()).collect();
            assert_eq!(messages, ["A_Number failed.", "B_Revenue failed."]);
        }
        other => panic!("the insert fails, got {other:?}"),
    }
}
