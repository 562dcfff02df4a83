//! Formula fields: no column, computed when read. A query selects, filters and sorts them like any field,
//! with the values Salesforce computes (blank numbers as zero or as blank per field, IF/CASE/TEXT, date
//! functions, a parent's fields through a lookup), typed as the field's describe type stores them; a row
//! that writes one fails as for any field that is not createable.

use super::{Backend, Feed, Fixture, chunk_of};
use crate::{ChunkCommit, QueryOptions, Result, RowOutcome, StoreError};
use bulkforce_core::csv::Record;
use bulkforce_core::ingest::IngestPlan;
use bulkforce_core::job::Operation;
use bulkforce_core::schema::{FormulaSpec, Schema};
use bulkforce_core::value::Value;
use bulkforce_soql::{BindContext, Mode};
use std::sync::Arc;

/// Account's formula fields (name, describe type, formula, blank as zero) and a stored date they read.
const ACCOUNT_FORMULAS: [(&str, &str, &str, bool); 5] = [
    ("Revenue_K__c", "double", "AnnualRevenue / 1000", true),
    ("Revenue_Plus__c", "double", "AnnualRevenue + 1", false),
    (
        "Tier__c",
        "string",
        r#"IF(AnnualRevenue >= 1000000, "Large", CASE(Industry, "Retail", "Shop", "Other")) & "-" & TEXT(NumberOfEmployees)"#,
        true,
    ),
    ("Big__c", "boolean", "NumberOfEmployees > 100", true),
    ("Renewal__c", "date", "ADDMONTHS(Since__c, 1)", true),
];

/// The conformance schema with formula fields on Account and, reading Account's, on Contact.
pub fn schema() -> Arc<Schema> {
    let mut schema = (*super::schema()).clone();
    let mut fields = vec![
        r#"{"name":"Since__c","type":"date","nillable":true,"createable":true,"updateable":true}"#
            .to_owned(),
    ];
    for (name, ftype, _, _) in ACCOUNT_FORMULAS {
        fields.push(format!(
            r#"{{"name":"{name}","type":"{ftype}","length":1300,"precision":18,"scale":2,"nillable":true,"createable":false,"updateable":false,"calculated":true}}"#
        ));
    }
    schema
        .merge_describe(&format!(
            r#"{{"name":"Account","fields":[{}]}}"#,
            fields.join(",")
        ))
        .expect("the Account describe is valid");
    schema
        .merge_describe(
            r#"{"name":"Contact","fields":[{"name":"Account_Label__c","type":"string","length":1300,"nillable":true,"createable":false,"updateable":false,"calculated":true}]}"#,
        )
        .expect("the Contact describe is valid");
    let formulas: Vec<(&str, &str, &str, bool)> = ACCOUNT_FORMULAS
        .iter()
        .map(|(name, _, source, zero)| ("Account", *name, *source, *zero))
        .chain([(
            "Contact",
            "Account_Label__c",
            r#"Account.Name & " (" & TEXT(Account.Industry) & ")""#,
            true,
        )])
        .collect();
    for (object, name, source, blanks_as_zero) in formulas {
        let mut sobject = (**schema.object(object).expect("built in")).clone();
        let mut field = sobject.field(name).expect("just merged").clone();
        field.traits.formula = Some(FormulaSpec {
            source: source.to_owned(),
            blanks_as_zero,
        });
        sobject.upsert_field(field);
        schema.replace_object(sobject);
    }
    Arc::new(schema)
}

fn open(backend: &dyn Backend) -> Result<Fixture> {
    let store = backend.open(schema())?;
    let admin = store.ensure_default_org()?;
    Ok(Fixture { store, admin })
}

/// The plan of an insert of `header` into `object` (an error: the plan's refusal).
fn plan(f: &Fixture, object: &str, header: &[&str]) -> std::result::Result<IngestPlan, String> {
    let schema = f.store.schema();
    let sobject = schema.object(object).expect("a built-in object").clone();
    let header: Vec<String> = header.iter().map(|h| (*h).to_owned()).collect();
    IngestPlan::new(schema, sobject, Operation::Insert, None, &header)
}

/// Inserts rows of cells into `object` in one chunk of a claimed job; the outcomes.
fn insert(f: &Fixture, object: &str, header: &[&str], rows: &[&[&str]]) -> Result<Vec<RowOutcome>> {
    let job = f.uploaded(Operation::Insert, object)?;
    let claimed = f
        .store
        .claim_job()?
        .ok_or_else(|| StoreError::Invalid("no job to claim".into()))?;
    assert_eq!(claimed.job.id, job.id, "the only waiting job is claimed");
    let plan = plan(f, object, header).expect("the headers name createable fields");
    let built = rows
        .iter()
        .map(|cells| plan.build_row(&cells.iter().copied().collect::<Record>()))
        .collect();
    let mut feed = Feed::default();
    let ending =
        f.store
            .apply_chunks(f.org(), &claimed.job, &plan, chunk_of(0, built), &mut feed)?;
    assert_eq!(ending, ChunkCommit::Committed, "the job takes its chunk");
    let (_, outcomes) = feed
        .applied
        .pop()
        .ok_or_else(|| StoreError::Invalid("the chunk reported no outcomes".into()))?;
    Ok(outcomes)
}

/// Three accounts: a large bank, a small shop, and one with every number, picklist and date blank.
fn seed(f: &Fixture) -> Result<Vec<RowOutcome>> {
    insert(
        f,
        "Account",
        &[
            "Name",
            "AnnualRevenue",
            "Industry",
            "NumberOfEmployees",
            "Since__c",
        ],
        &[
            &["Big Bank", "2500000", "Banking", "500", "2024-01-31"],
            &["Small Shop", "1500", "Retail", "5", "2023-06-15"],
            &["Blank Co", "", "", "", ""],
        ],
    )
}

/// The rows of `soql`.
fn rows(f: &Fixture, soql: &str) -> Result<Vec<Vec<Value>>> {
    let context = BindContext {
        now: chrono::Utc::now(),
        fiscal_year_start_month: 1,
    };
    let query = bulkforce_soql::compile(soql, f.store.schema(), &context, Mode::Rest)
        .unwrap_or_else(|e| panic!("{soql}: {e:?}"));
    let mut out = Vec::new();
    f.store
        .run_query(f.org(), &query, QueryOptions::default(), &mut |row| {
            out.push(row.to_vec());
            Ok(true)
        })?;
    Ok(out)
}

/// The first column of every row of `soql`, as text.
fn names(f: &Fixture, soql: &str) -> Result<Vec<String>> {
    Ok(rows(f, soql)?
        .into_iter()
        .map(|row| match row.first() {
            Some(Value::Text(s)) => s.clone(),
            other => panic!("{soql}: a name, got {other:?}"),
        })
        .collect())
}

fn text(s: &str) -> Value {
    Value::Text(s.to_owned())
}

pub fn formula_fields_are_computed_when_read(backend: &dyn Backend) -> Result<()> {
    let f = open(backend)?;
    seed(&f)?;
    let got = rows(
        &f,
        "SELECT Name, Revenue_K__c, Revenue_Plus__c, Tier__c, Big__c, Renewal__c FROM Account ORDER BY Name",
    )?;
    assert_eq!(
        got,
        vec![
            vec![
                text("Big Bank"),
                Value::Real(2500.0),
                Value::Real(2500001.0),
                text("Large-500"),
                Value::Integer(1),
                text("2024-02-29"),
            ],
            vec![
                text("Blank Co"),
                Value::Real(0.0),
                Value::Null,
                text("Other-0"),
                Value::Integer(0),
                Value::Null,
            ],
            vec![
                text("Small Shop"),
                Value::Real(1.5),
                Value::Real(1501.0),
                text("Shop-5"),
                Value::Integer(0),
                text("2023-07-15"),
            ],
        ],
        "blank as zero (Revenue_K__c) and as blank (Revenue_Plus__c), IF/CASE/TEXT, a checkbox, ADDMONTHS \
         from the last day of a month"
    );
    Ok(())
}

pub fn formula_fields_filter_and_sort(backend: &dyn Backend) -> Result<()> {
    let f = open(backend)?;
    seed(&f)?;
    assert_eq!(
        names(
            &f,
            "SELECT Name FROM Account WHERE Revenue_K__c > 1 ORDER BY Revenue_K__c DESC"
        )?,
        ["Big Bank", "Small Shop"]
    );
    assert_eq!(
        names(&f, "SELECT Name FROM Account WHERE Tier__c = 'shop-5'")?,
        ["Small Shop"],
        "text compares without case, as SOQL does"
    );
    assert_eq!(
        names(&f, "SELECT Name FROM Account WHERE Big__c = true")?,
        ["Big Bank"]
    );
    assert_eq!(
        names(&f, "SELECT Name FROM Account WHERE Renewal__c = 2024-02-29")?,
        ["Big Bank"]
    );
    assert_eq!(
        names(&f, "SELECT Name FROM Account WHERE Revenue_Plus__c = null")?,
        ["Blank Co"]
    );
    assert_eq!(
        names(&f, "SELECT Name FROM Account ORDER BY Tier__c DESC")?,
        ["Small Shop", "Blank Co", "Big Bank"]
    );
    Ok(())
}

pub fn a_formula_reads_the_parent_through_a_lookup(backend: &dyn Backend) -> Result<()> {
    let f = open(backend)?;
    let accounts = seed(&f)?;
    let bank = super::succeeded(&accounts[0]).expect("the bank is inserted");
    let contacts = insert(
        &f,
        "Contact",
        &["LastName", "AccountId"],
        &[&["Banker", bank.as_str()], &["Loner", ""]],
    )?;
    assert!(
        contacts.iter().all(|o| super::succeeded(o).is_some()),
        "{contacts:?}"
    );
    let got = rows(
        &f,
        "SELECT LastName, Account_Label__c, Account.Tier__c FROM Contact ORDER BY LastName",
    )?;
    assert_eq!(
        got,
        vec![
            vec![
                text("Banker"),
                text("Big Bank (Banking)"),
                text("Large-500")
            ],
            vec![text("Loner"), text(" ()"), Value::Null],
        ]
    );
    assert_eq!(
        names(
            &f,
            "SELECT LastName FROM Contact WHERE Account_Label__c LIKE 'big%'"
        )?,
        ["Banker"]
    );
    Ok(())
}

pub fn a_formula_field_is_not_written(backend: &dyn Backend) -> Result<()> {
    let f = open(backend)?;
    let plan = plan(&f, "Account", &["Name", "Tier__c"]).expect("the header names fields");
    let row = plan.build_row(&["Written", "Tier"].into_iter().collect::<Record>());
    let refusal = match row {
        Err(failure) => format!("{failure:?}"),
        Ok(_) => panic!("a row writing a formula field is refused"),
    };
    assert!(
        refusal.contains("INVALID_FIELD_FOR_INSERT_UPDATE") && refusal.contains("Tier__c"),
        "{refusal}"
    );
    Ok(())
}
