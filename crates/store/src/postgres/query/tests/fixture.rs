//! The same rows in a real SQLite store and in a fresh PostgreSQL database, and SOQL compiled against
//! their schema.

use crate::conformance::pg_database::TestDatabase;
use crate::postgres::ddl;
use crate::sqlite::SqliteStore;
use crate::{QueryOptions, Store};
use bulkforce_core::id::SfId;
use bulkforce_core::schema::Schema;
use bulkforce_core::value::Value;
use bulkforce_soql::bound::Query;
use bulkforce_soql::{BindContext, Mode};
use chrono::{DateTime, TimeZone, Utc};
use std::sync::Arc;

/// A multi-select picklist for INCLUDES / EXCLUDES (the built-in objects have none).
const REGIONS: &str = r#"{"name": "Account", "fields": [
  {"name": "Regions__c", "label": "Regions", "type": "multipicklist", "length": 255, "nillable": true,
   "picklistValues": [{"value": "North", "label": "North"}, {"value": "South", "label": "South"},
                      {"value": "East", "label": "East"}, {"value": "West", "label": "West"}]}
]}"#;

/// "Now" for date literals: Friday 2024-03-15, noon UTC.
pub(super) fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 3, 15, 12, 0, 0)
        .single()
        .expect("a valid instant")
}

/// An 18-character id from a 15-character one (the stored form; case matters in the first 15).
pub(super) fn id(id15: &str) -> String {
    SfId::parse(id15).expect("a test id").as_str().to_owned()
}

const ACCOUNT_COLUMNS: &str = "\"Id\", \"Name\", \"Industry\", \"NumberOfEmployees\", \"Rating\", \"Site\", \
     \"AnnualRevenue\", \"IsDeleted\", \"CreatedDate\", \"Regions__c\"";

/// Accounts: case variants, a non-ASCII capital, LIKE's wildcards in values, nulls in every column, a
/// soft-deleted row, ids that differ only in case, dates around month and year ends.
fn accounts() -> Vec<String> {
    [
        ("001xx00000000Ab", "'alpha'", "'Banking'", "10", "'Hot'", "'x'", "1000.5", "0", "'2024-03-15T11:00:00.000Z'", "'East;West'"),
        ("001xx00000000aB", "'Beta'", "'banking'", "20", "NULL", "NULL", "250.25", "0", "'2024-03-14T23:30:00.000Z'", "'West'"),
        ("001xx00000000AB", "'BETA2'", "'Energy'", "30", "'Cold'", "'y'", "NULL", "0", "'2023-12-31T23:59:59.999Z'", "NULL"),
        ("001xx00000000ab", "'Ärger'", "NULL", "NULL", "'Warm'", "NULL", "99.0", "0", "'2024-01-01T00:00:00.000Z'", "'North;East;South'"),
        ("001xx00000000Zz", "'Delta 50%'", "'Energy'", "50", "'Hot'", "'z'", "5.0", "0", "'2024-02-29T08:15:00.000Z'", "'South'"),
        ("001xx00000000zZ", "'under_score'", "'energy'", "5", "'hot'", "''", "7.5", "0", "'2024-03-01T00:00:00.000Z'", "''"),
        ("001xx00000000a0", "NULL", "'Banking'", "40", "NULL", "NULL", "NULL", "0", "NULL", "NULL"),
        ("001xx00000000d1", "'deleted one'", "'Banking'", "1", "NULL", "NULL", "NULL", "1", "'2024-03-15T00:00:00.000Z'", "NULL"),
        ("001xx00000000b9", "'zeta'", "'Énergie'", "60", "'ärger'", "'it''s'", "-3.25", "0", "'2024-04-01T00:00:00.000Z'", "'north'"),
    ]
    .iter()
    .map(|(i, name, industry, employees, rating, site, revenue, deleted, created, regions)| {
        format!(
            "('{}', {name}, {industry}, {employees}, {rating}, {site}, {revenue}, {deleted}, {created}, {regions})",
            id(i)
        )
    })
    .collect()
}

const CONTACT_COLUMNS: &str =
    "\"Id\", \"LastName\", \"FirstName\", \"AccountId\", \"Birthdate\", \"IsDeleted\"";

/// Contacts: one per kind of parent (an account, none, a deleted contact's account).
fn contacts() -> Vec<String> {
    [
        (
            "003xx00000000c1",
            "'One'",
            "'Ann'",
            Some("001xx00000000Ab"),
            "'2024-03-15'",
            "0",
        ),
        (
            "003xx00000000c2",
            "'Two'",
            "NULL",
            Some("001xx00000000AB"),
            "'2024-03-05'",
            "0",
        ),
        (
            "003xx00000000c3",
            "'three'",
            "'bob'",
            None,
            "'2023-02-10'",
            "0",
        ),
        (
            "003xx00000000c4",
            "'Four'",
            "''",
            Some("001xx00000000Zz"),
            "NULL",
            "0",
        ),
        (
            "003xx00000000c5",
            "'Gone'",
            "NULL",
            Some("001xx00000000aB"),
            "NULL",
            "1",
        ),
    ]
    .iter()
    .map(|(i, last, first, account, birth, deleted)| {
        let account = account.map_or("NULL".to_owned(), |a| format!("'{}'", id(a)));
        format!(
            "('{}', {last}, {first}, {account}, {birth}, {deleted})",
            id(i)
        )
    })
    .collect()
}

/// Both backends holding the same rows.
pub(super) struct Both {
    pub schema: Arc<Schema>,
    pub org: SfId,
    pub sqlite: SqliteStore,
    pub pg: postgres::Client,
    _dir: tempfile::TempDir,
    _db: TestDatabase,
}

impl Both {
    pub(super) fn load() -> Both {
        let mut schema = Schema::builtin();
        schema
            .merge_describe(REGIONS)
            .expect("the test describe file loads");
        let schema = Arc::new(schema);
        let dir = tempfile::tempdir().expect("a temp dir");
        let sqlite = SqliteStore::open(dir.path(), schema.clone()).expect("SQLite opens");
        let org = sqlite.ensure_default_org().expect("the default org").org_id;
        let db = TestDatabase::create();
        let mut pg = postgres::Client::connect(&db.url, postgres::NoTls).expect("PostgreSQL");
        ddl::migrate_org(&mut pg, &schema, org).expect("the org schema");

        let file = dir.path().join("orgs").join(format!("{org}.db"));
        let lite = rusqlite::Connection::open(file).expect("the org database");
        let tables = [
            ("Account", ACCOUNT_COLUMNS, accounts()),
            ("Contact", CONTACT_COLUMNS, contacts()),
        ];
        for (object, columns, rows) in tables {
            let values = rows.join(", ");
            lite.execute_batch(&format!(
                "DELETE FROM \"{object}\"; INSERT INTO \"{object}\" ({columns}) VALUES {values}"
            ))
            .expect("SQLite rows");
            let table = ddl::table_name(&schema, org, object).expect("a table");
            pg.batch_execute(&format!("INSERT INTO {table} ({columns}) VALUES {values}"))
                .expect("PostgreSQL rows");
        }
        Both {
            schema,
            org,
            sqlite,
            pg,
            _dir: dir,
            _db: db,
        }
    }

    pub(super) fn compile(&self, soql: &str, fiscal_year_start_month: u32) -> Query {
        let context = BindContext {
            now: now(),
            fiscal_year_start_month,
        };
        bulkforce_soql::compile(soql, &self.schema, &context, Mode::Rest)
            .unwrap_or_else(|e| panic!("{soql}: {e:?}"))
    }

    /// The rows of `soql` on SQLite and on PostgreSQL.
    pub(super) fn rows(
        &mut self,
        soql: &str,
        options: QueryOptions,
    ) -> (Vec<Vec<Value>>, Vec<Vec<Value>>) {
        let query = self.compile(soql, options.fiscal_year_start_month);
        let mut lite = Vec::new();
        self.sqlite
            .run_query(self.org, &query, options, &mut |row| {
                lite.push(row.to_vec());
                Ok(true)
            })
            .unwrap_or_else(|e| panic!("SQLite: {soql}: {e}"));
        let mut pg = Vec::new();
        super::super::run_in(&mut self.pg, self.org, &query, options, &mut |row| {
            pg.push(row.to_vec());
            Ok(true)
        })
        .unwrap_or_else(|e| panic!("PostgreSQL: {soql}: {e}"));
        (lite, pg)
    }

    /// The counts of `soql` on SQLite and on PostgreSQL.
    pub(super) fn counts(&mut self, soql: &str) -> (u64, u64) {
        let query = self.compile(soql, 1);
        let options = QueryOptions::default();
        let lite = self
            .sqlite
            .count_query(self.org, &query, options)
            .expect("a SQLite count");
        let pg = super::super::count_in(&mut self.pg, self.org, &query, options)
            .expect("a PostgreSQL count");
        (lite, pg)
    }
}
