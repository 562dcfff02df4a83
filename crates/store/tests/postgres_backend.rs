//! What only the PostgreSQL backend promises: several `PgStore` instances over one database are one
//! service. Each test gets a database of its own on the test server (`scripts/services`).

use bulkforce_core::clock::Clock;
use bulkforce_store::conformance::pg_database::TestDatabase;
use bulkforce_store::postgres::{PgOptions, PgStore};
use bulkforce_store::{Result, Store};

/// An instance named `instance` over `database`, as `serve --database-url` opens one.
fn instance(database: &TestDatabase, instance: &str) -> Result<PgStore> {
    let options = PgOptions::new(database.url.clone(), instance);
    PgStore::connect(
        options,
        bulkforce_store::conformance::schema(),
        Clock::real(),
    )
}

mod control_plane {
    use super::instance;
    use bulkforce_store::conformance::pg_database::TestDatabase;
    use bulkforce_store::{
        ApiCounter, LockoutPolicy, LoginOutcome, Result, Store, StoreError, TokenKind,
    };
    use chrono::Utc;

    #[test]
    fn instances_starting_at_once_make_one_default_org() -> Result<()> {
        let database = TestDatabase::create();
        let admins: Vec<_> = std::thread::scope(|scope| {
            let starts: Vec<_> = (0..4)
                .map(|i| {
                    let database = &database;
                    scope.spawn(move || {
                        instance(database, &format!("start-{i}"))?.ensure_default_org()
                    })
                })
                .collect();
            starts
                .into_iter()
                .map(|s| s.join().expect("a starting instance panicked"))
                .collect::<Result<_>>()
        })?;
        assert!(admins.iter().all(|a| *a == admins[0]), "{admins:?}");
        let orgs = instance(&database, "check")?.list_orgs()?;
        assert_eq!(orgs.len(), 1, "{orgs:?}");
        assert!(orgs[0].is_default);
        Ok(())
    }

    #[test]
    fn instances_see_each_others_orgs_users_apps_and_tokens() -> Result<()> {
        let database = TestDatabase::create();
        let (a, b) = (instance(&database, "a")?, instance(&database, "b")?);
        let admin = a.ensure_default_org()?;
        assert_eq!(b.ensure_default_org()?, admin);

        let boss = a.create_org("Second", "boss@second.test", Some("s3cret"))?;
        assert_eq!(b.find_user("BOSS@second.test")?, Some(boss.clone()));
        assert_eq!(
            b.login(
                "boss@second.test",
                "s3cret",
                &LockoutPolicy::NEVER,
                Utc::now()
            )?,
            LoginOutcome::Accepted(boss.clone())
        );
        let (app, secret) = b.create_app(boss.org_id, "Loader", None)?;
        assert_eq!(a.check_app(&app.client_id, &secret)?, Some(app.clone()));

        a.save_token(&boss, "issued-on-a", TokenKind::Access, Some(app.id), None)?;
        assert_eq!(
            b.token_principal("issued-on-a", TokenKind::Access)?,
            Some((boss.clone(), Some(app.id)))
        );
        assert!(b.revoke_token("issued-on-a")?);
        assert_eq!(a.token_principal("issued-on-a", TokenKind::Access)?, None);
        assert!(
            !a.revoke_token("issued-on-a")?,
            "revoked once, on any instance"
        );
        Ok(())
    }

    #[test]
    fn instances_count_api_usage_together() -> Result<()> {
        let database = TestDatabase::create();
        let (a, b) = (instance(&database, "a")?, instance(&database, "b")?);
        let org = a.ensure_default_org()?.org_id;
        let now = Utc::now();
        assert_eq!(a.add_api_usage(org, ApiCounter::ApiRequests, 3, now)?, 3);
        assert_eq!(b.add_api_usage(org, ApiCounter::ApiRequests, 2, now)?, 5);
        assert_eq!(a.api_usage(org, ApiCounter::ApiRequests, now)?, 5);

        // Many requests on both at once: none is lost.
        std::thread::scope(|scope| {
            for store in [&a, &b] {
                for _ in 0..4 {
                    scope.spawn(move || {
                        for _ in 0..25 {
                            store
                                .add_api_usage(org, ApiCounter::ApiRequests, 1, now)
                                .expect("usage is counted");
                        }
                    });
                }
            }
        });
        assert_eq!(b.api_usage(org, ApiCounter::ApiRequests, now)?, 205);
        assert_eq!(a.api_usage(org, ApiCounter::QueryJobs, now)?, 0);
        Ok(())
    }

    /// The lockout counts every instance's attempts: 32 wrong logins at once, half on each instance,
    /// get exactly the policy's ten checks.
    #[test]
    fn concurrent_wrong_logins_on_two_instances_get_no_more_checks_than_the_policy_allows()
    -> Result<()> {
        let database = TestDatabase::create();
        let (a, b) = (instance(&database, "a")?, instance(&database, "b")?);
        a.ensure_default_org()?;
        a.create_org("Second", "boss@second.test", Some("s3cret"))?;
        let policy = LockoutPolicy {
            attempts: 10,
            duration: Some(std::time::Duration::from_secs(15 * 60)),
        };
        let t0 = Utc::now();
        let outcomes: Vec<LoginOutcome> = std::thread::scope(|scope| {
            let logins: Vec<_> = (0..32)
                .map(|i| {
                    let store = if i % 2 == 0 { &a } else { &b };
                    let policy = &policy;
                    scope.spawn(move || {
                        loop {
                            match store.login("boss@second.test", "wrong", policy, t0) {
                                // Refused as busy is not counted: try again.
                                Err(StoreError::Busy) => std::thread::yield_now(),
                                outcome => return outcome,
                            }
                        }
                    })
                })
                .collect();
            logins
                .into_iter()
                .map(|l| l.join().expect("a login thread panicked"))
                .collect::<Result<_>>()
        })?;
        let checked = outcomes
            .iter()
            .filter(|o| **o == LoginOutcome::Refused)
            .count();
        assert_eq!(
            (checked, outcomes.len() - checked),
            (10, 22),
            "{outcomes:?}"
        );
        assert_eq!(
            b.login("boss@second.test", "s3cret", &policy, t0)?,
            LoginOutcome::LockedOut
        );
        assert_eq!(a.locked_users(t0)?.len(), 1);
        Ok(())
    }

    /// Every text column of every shared table, scanned for the secrets the control plane was given
    /// or made: none is stored in clear (their hashes are, which the scan also finds).
    #[test]
    fn no_secret_is_stored_in_clear() -> Result<()> {
        let database = TestDatabase::create();
        let store = instance(&database, "a")?;
        let admin = store.ensure_default_org()?;
        let password = "correct-horse-battery-staple-7";
        let boss = store.create_org("Second", "boss@second.test", Some(password))?;
        store.create_user(
            boss.org_id,
            "clerk@second.test",
            Some("clerk-Passw0rd-9"),
            "C",
            "",
        )?;
        assert!(store.set_password("boss@second.test", "n3w-Passw0rd-after-reset")?);
        let (app, app_secret) = store.create_app(boss.org_id, "Loader", None)?;
        let access = "00Dxx0000001gPL!AR8AQ-access-token-in-clear";
        let refresh = "5Aep861-refresh-token-in-clear";
        store.save_token(&boss, access, TokenKind::Access, Some(app.id), None)?;
        store.save_token(&admin, refresh, TokenKind::Refresh, Some(app.id), None)?;
        assert!(store.token_principal(access, TokenKind::Access)?.is_some());

        let secrets = [
            password,
            "clerk-Passw0rd-9",
            "n3w-Passw0rd-after-reset",
            app_secret.as_str(),
            access,
            refresh,
        ];
        let mut client = postgres::Client::connect(&database.url, postgres::NoTls)?;
        let columns = client.query(
            "SELECT table_name::text, column_name::text FROM information_schema.columns
             WHERE table_schema = 'bulkforce' AND data_type = 'text'",
            &[],
        )?;
        assert!(
            columns.len() >= 10,
            "the text columns are found: {}",
            columns.len()
        );
        let mut scanned = 0;
        for column in &columns {
            let (table, name): (String, String) = (column.get(0), column.get(1));
            let values = client.query(
                &format!(
                    "SELECT \"{name}\" FROM bulkforce.\"{table}\" WHERE \"{name}\" IS NOT NULL"
                ),
                &[],
            )?;
            for value in values {
                let value: String = value.get(0);
                scanned += 1;
                for secret in secrets {
                    assert!(
                        !value.contains(secret),
                        "bulkforce.{table}.{name} holds a secret in clear"
                    );
                }
            }
        }
        assert!(scanned > 20, "the control rows were scanned: {scanned}");
        let hashed: i64 = client
            .query_one(
                "SELECT count(*) FROM bulkforce.users WHERE password_hash LIKE '$argon2id$%'",
                &[],
            )?
            .get(0);
        assert_eq!(hashed, 2, "passwords are stored as argon2 hashes");
        Ok(())
    }
}
