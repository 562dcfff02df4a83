//! Orgs, users, passwords, tokens and connected apps: what the login routes and the bearer check use.

use super::{Backend, Fixture};
use crate::{LockoutPolicy, LoginOutcome, Result, StoreError, TokenKind};
use chrono::{DateTime, Duration, Utc};

/// Milliseconds since the Unix epoch, for token expiry.
fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

pub fn the_default_org_is_created_once(backend: &dyn Backend) -> Result<()> {
    let f = Fixture::open(backend)?;
    let again = f.store.ensure_default_org()?;
    assert_eq!(
        again, f.admin,
        "the default org and admin are the same on every start"
    );
    let orgs = f.store.list_orgs()?;
    assert_eq!(orgs.len(), 1);
    assert_eq!(orgs[0].id, f.org());
    assert!(orgs[0].is_default);
    drop(f);
    let reopened = Fixture::open(backend)?;
    assert_eq!(reopened.admin, again, "and after a restart");
    assert_eq!(reopened.store.list_orgs()?.len(), 1);
    Ok(())
}

pub fn orgs_and_users_are_listed(backend: &dyn Backend) -> Result<()> {
    let f = Fixture::open(backend)?;
    let admin = f
        .store
        .create_org("Second", "boss@second.test", Some("pw"))?;
    assert_ne!(admin.org_id, f.org());
    assert_eq!(admin.username, "boss@second.test");
    let user = f
        .store
        .create_user(admin.org_id, "clerk@second.test", None, "Clerk", "Carla")?;
    assert_eq!(user.org_id, admin.org_id);
    assert_ne!(user.user_id, admin.user_id);

    let orgs = f.store.list_orgs()?;
    let second = orgs
        .iter()
        .find(|o| o.id == admin.org_id)
        .expect("the new org is listed");
    assert_eq!(second.name, "Second");
    assert!(!second.is_default);
    assert_eq!(orgs.iter().filter(|o| o.is_default).count(), 1);

    let mut users = f.store.list_users(admin.org_id)?;
    users.sort_by(|a, b| a.username.cmp(&b.username));
    assert_eq!(users, vec![admin.clone(), user.clone()]);
    assert_eq!(
        f.store.find_user("CLERK@second.test")?,
        Some(user.clone()),
        "case-insensitive"
    );
    assert_eq!(f.store.find_user("nobody@second.test")?, None);

    // A user is a User record of its org, which the identity routes read.
    let record = f
        .store
        .get_record(admin.org_id, "User", user.user_id)?
        .expect("the User record exists");
    let field = |name: &str| {
        record
            .iter()
            .find(|(n, _)| n == name)
            .and_then(|(_, v)| v.clone())
    };
    assert_eq!(field("Username").as_deref(), Some("clerk@second.test"));
    assert_eq!(field("LastName").as_deref(), Some("Clerk"));
    assert_eq!(field("FirstName").as_deref(), Some("Carla"));
    Ok(())
}

pub fn a_username_is_taken_once_across_orgs(backend: &dyn Backend) -> Result<()> {
    let f = Fixture::open(backend)?;
    let admin = f.store.create_org("Second", "boss@second.test", None)?;
    let taken = f.store.create_org("Third", "BOSS@second.test", None);
    assert!(matches!(taken, Err(StoreError::Invalid(_))), "{taken:?}");
    let taken = f
        .store
        .create_user(f.org(), "boss@second.test", None, "Boss", "Again");
    assert!(matches!(taken, Err(StoreError::Invalid(_))), "{taken:?}");
    assert_eq!(f.store.list_users(admin.org_id)?.len(), 1);
    assert_eq!(
        f.store.list_orgs()?.len(),
        2,
        "the refused org was not created"
    );
    Ok(())
}

pub fn passwords_are_checked(backend: &dyn Backend) -> Result<()> {
    let f = Fixture::open(backend)?;
    let admin = f
        .store
        .create_org("Second", "boss@second.test", Some("s3cret"))?;
    let store = &f.store;
    assert_eq!(
        store.login_password("boss@second.test", "s3cret")?,
        Some(admin.clone())
    );
    assert_eq!(
        store.login_password("Boss@Second.test", "s3cret")?,
        Some(admin.clone())
    );
    assert_eq!(store.login_password("boss@second.test", "S3CRET")?, None);
    assert_eq!(store.login_password("nobody@second.test", "s3cret")?, None);
    let token_only = store.create_user(admin.org_id, "api@second.test", None, "Api", "")?;
    assert_eq!(
        store.login_password("api@second.test", "")?,
        None,
        "a user without a password cannot log in"
    );
    assert!(store.set_password("api@second.test", "n3w")?);
    assert_eq!(
        store.login_password("api@second.test", "n3w")?,
        Some(token_only)
    );
    assert!(!store.set_password("nobody@second.test", "x")?);
    assert!(store.set_password("boss@second.test", "changed")?);
    assert_eq!(store.login_password("boss@second.test", "s3cret")?, None);
    assert_eq!(
        store.login_password("boss@second.test", "changed")?,
        Some(admin)
    );
    Ok(())
}

pub fn tokens_are_issued_verified_and_revoked(backend: &dyn Backend) -> Result<()> {
    let f = Fixture::open(backend)?;
    let (store, admin) = (&f.store, &f.admin);
    let (app, _) = store.create_app(f.org(), "Loader", None)?;
    store.save_token(
        admin,
        "access-1",
        TokenKind::Access,
        Some(app.id),
        Some(now_ms() + 60_000),
    )?;
    store.save_token(admin, "refresh-1", TokenKind::Refresh, Some(app.id), None)?;
    store.register_token(admin, "admin-token")?;

    assert_eq!(
        store.token_principal("access-1", TokenKind::Access)?,
        Some((admin.clone(), Some(app.id)))
    );
    assert_eq!(store.authenticate("access-1")?, Some(admin.clone()));
    assert_eq!(store.authenticate("admin-token")?, Some(admin.clone()));
    assert_eq!(
        store.token_principal("admin-token", TokenKind::Access)?,
        Some((admin.clone(), None))
    );
    assert_eq!(
        store.token_principal("access-1", TokenKind::Refresh)?,
        None,
        "a token is only good as its kind"
    );
    assert_eq!(
        store.authenticate("refresh-1")?,
        None,
        "a refresh token is no bearer"
    );
    assert_eq!(
        store.token_principal("refresh-1", TokenKind::Refresh)?,
        Some((admin.clone(), Some(app.id)))
    );
    assert_eq!(store.authenticate("never-issued")?, None);

    assert!(store.revoke_token("access-1")?);
    assert_eq!(store.authenticate("access-1")?, None);
    assert!(!store.revoke_token("access-1")?, "already revoked");
    assert!(!store.revoke_token("never-issued")?);
    assert!(store.revoke_token("refresh-1")?, "either kind is revoked");
    assert_eq!(
        store.token_principal("refresh-1", TokenKind::Refresh)?,
        None
    );
    assert_eq!(
        store.authenticate("admin-token")?,
        Some(admin.clone()),
        "others stay"
    );

    drop(f);
    let f = Fixture::open(backend)?;
    assert_eq!(
        f.store.authenticate("admin-token")?,
        Some(f.admin.clone()),
        "tokens survive a restart"
    );
    assert_eq!(
        f.store.authenticate("access-1")?,
        None,
        "and so do revocations"
    );
    Ok(())
}

pub fn expired_tokens_are_refused(backend: &dyn Backend) -> Result<()> {
    let f = Fixture::open(backend)?;
    let (store, admin) = (&f.store, &f.admin);
    store.save_token(
        admin,
        "expired",
        TokenKind::Access,
        None,
        Some(now_ms() - 1_000),
    )?;
    store.save_token(
        admin,
        "live",
        TokenKind::Access,
        None,
        Some(now_ms() + 60_000),
    )?;
    store.save_token(
        admin,
        "old-refresh",
        TokenKind::Refresh,
        None,
        Some(now_ms() - 1),
    )?;
    assert_eq!(store.authenticate("expired")?, None);
    assert_eq!(store.authenticate("live")?, Some(admin.clone()));
    assert_eq!(
        store.token_principal("old-refresh", TokenKind::Refresh)?,
        None
    );
    Ok(())
}

pub fn apps_check_their_client_secret(backend: &dyn Backend) -> Result<()> {
    let f = Fixture::open(backend)?;
    let (app, secret) =
        f.store
            .create_app(f.org(), "Loader", Some("-----BEGIN CERTIFICATE-----"))?;
    assert_eq!(app.org_id, f.org());
    assert_eq!(app.name, "Loader");
    assert_eq!(
        app.certificate.as_deref(),
        Some("-----BEGIN CERTIFICATE-----")
    );
    assert!(!secret.is_empty());
    let (other, other_secret) = f.store.create_app(f.org(), "Other", None)?;
    assert_ne!(app.id, other.id);
    assert_ne!(app.client_id, other.client_id);
    assert_ne!(secret, other_secret);

    assert_eq!(f.store.find_app(&app.client_id)?, Some(app.clone()));
    assert_eq!(f.store.find_app("unknown-client")?, None);
    assert_eq!(
        f.store.check_app(&app.client_id, &secret)?,
        Some(app.clone())
    );
    assert_eq!(f.store.check_app(&app.client_id, &other_secret)?, None);
    assert_eq!(f.store.check_app(&app.client_id, "")?, None);
    assert_eq!(f.store.check_app("unknown-client", &secret)?, None);
    let mut listed = f.store.list_apps(f.org())?;
    listed.sort_by(|a, b| a.name.cmp(&b.name));
    assert_eq!(listed, vec![app, other]);
    Ok(())
}

/// Salesforce's defaults, spelled out: 10 wrong passwords lock for 15 minutes.
fn ten_for_15_minutes() -> LockoutPolicy {
    LockoutPolicy {
        attempts: 10,
        duration: Some(std::time::Duration::from_secs(15 * 60)),
    }
}

fn wrong_logins(
    store: &dyn crate::Store,
    username: &str,
    n: usize,
    policy: &LockoutPolicy,
    at: DateTime<Utc>,
) -> Result<()> {
    for _ in 0..n {
        assert_eq!(
            store.login(username, "wrong", policy, at)?,
            LoginOutcome::Refused
        );
    }
    Ok(())
}

pub fn wrong_passwords_lock_a_user_out_for_a_while(backend: &dyn Backend) -> Result<()> {
    let f = Fixture::open(backend)?;
    let store = &*f.store;
    let boss = store.create_org("Second", "boss@second.test", Some("s3cret"))?;
    let policy = ten_for_15_minutes();
    let t0 = Utc::now();

    // Nine wrong passwords, then the right one: the count restarts.
    wrong_logins(store, "boss@second.test", 9, &policy, t0)?;
    assert_eq!(
        store.login("boss@second.test", "s3cret", &policy, t0)?,
        LoginOutcome::Accepted(boss.clone())
    );
    wrong_logins(store, "boss@second.test", 9, &policy, t0)?;
    assert!(store.locked_users(t0)?.is_empty(), "nine do not lock");

    // The tenth in a row locks: even the right password is refused, and the lock is listed.
    wrong_logins(store, "BOSS@second.test", 1, &policy, t0)?;
    assert_eq!(
        store.login("boss@second.test", "s3cret", &policy, t0)?,
        LoginOutcome::LockedOut
    );
    let locked = store.locked_users(t0)?;
    assert_eq!(locked.len(), 1);
    assert_eq!(locked[0].principal, boss);
    let until = locked[0].until.expect("a lockout with an end");
    assert!((until - (t0 + Duration::minutes(15))).num_seconds().abs() <= 1);

    // Only that user: another user of the org logs in.
    store.create_user(boss.org_id, "clerk@second.test", Some("pw"), "Clerk", "")?;
    assert!(matches!(
        store.login("clerk@second.test", "pw", &policy, t0)?,
        LoginOutcome::Accepted(_)
    ));

    // Still locked a minute before the end; free after it, with a fresh count.
    let almost = t0 + Duration::minutes(14);
    assert_eq!(
        store.login("boss@second.test", "s3cret", &policy, almost)?,
        LoginOutcome::LockedOut
    );
    let later = t0 + Duration::minutes(16);
    assert!(store.locked_users(later)?.is_empty());
    wrong_logins(store, "boss@second.test", 9, &policy, later)?;
    assert_eq!(
        store.login("boss@second.test", "s3cret", &policy, later)?,
        LoginOutcome::Accepted(boss)
    );

    // Unknown users and users without a password are refused and never listed.
    wrong_logins(store, "nobody@second.test", 11, &policy, later)?;
    store.create_user(f.org(), "api@first.test", None, "Api", "")?;
    wrong_logins(store, "api@first.test", 11, &policy, later)?;
    assert!(store.locked_users(later)?.is_empty());
    Ok(())
}

pub fn a_lockout_survives_a_restart_and_ends_by_unlock(backend: &dyn Backend) -> Result<()> {
    let policy = ten_for_15_minutes();
    let t0 = Utc::now();
    let boss = {
        let f = Fixture::open(backend)?;
        let boss = f
            .store
            .create_org("Second", "boss@second.test", Some("s3cret"))?;
        wrong_logins(&*f.store, "boss@second.test", 10, &policy, t0)?;
        boss
    };
    let f = Fixture::open(backend)?;
    let store = &*f.store;
    assert_eq!(
        store.login("boss@second.test", "s3cret", &policy, t0)?,
        LoginOutcome::LockedOut,
        "the lock is stored"
    );
    assert_eq!(store.locked_users(t0)?.len(), 1);
    assert!(!store.unlock_user("nobody@second.test")?);
    assert!(store.unlock_user("Boss@Second.test")?);
    assert!(store.locked_users(t0)?.is_empty());
    assert_eq!(
        store.login("boss@second.test", "s3cret", &policy, t0)?,
        LoginOutcome::Accepted(boss.clone())
    );

    // A password reset unlocks too, as in Salesforce.
    wrong_logins(store, "boss@second.test", 10, &policy, t0)?;
    assert!(store.set_password("boss@second.test", "n3w")?);
    assert_eq!(
        store.login("boss@second.test", "n3w", &policy, t0)?,
        LoginOutcome::Accepted(boss)
    );
    Ok(())
}

pub fn a_lockout_may_last_until_unlocked_or_never_come(backend: &dyn Backend) -> Result<()> {
    let f = Fixture::open(backend)?;
    let store = &*f.store;
    let boss = store.create_org("Second", "boss@second.test", Some("s3cret"))?;
    let t0 = Utc::now();

    // attempts 0: no lockout, however many wrong passwords.
    wrong_logins(store, "boss@second.test", 12, &LockoutPolicy::NEVER, t0)?;
    assert_eq!(
        store.login_password("boss@second.test", "s3cret")?,
        Some(boss.clone())
    );

    // No duration: locked until an administrator unlocks, a year later still.
    let forever = LockoutPolicy {
        attempts: 3,
        duration: None,
    };
    wrong_logins(store, "boss@second.test", 3, &forever, t0)?;
    let year = t0 + Duration::days(365);
    let locked = store.locked_users(year)?;
    assert_eq!(locked.len(), 1);
    assert_eq!(locked[0].until, None);
    assert_eq!(
        store.login("boss@second.test", "s3cret", &forever, year)?,
        LoginOutcome::LockedOut
    );
    assert_eq!(
        store.login_password("boss@second.test", "s3cret")?,
        None,
        "a lock holds whatever policy the caller has"
    );
    assert!(store.unlock_user("boss@second.test")?);
    assert_eq!(
        store.login("boss@second.test", "s3cret", &forever, year)?,
        LoginOutcome::Accepted(boss)
    );
    Ok(())
}

/// A flood of concurrent wrong logins gets no more checks than the policy allows: each attempt is
/// counted before its password is checked, so once `attempts` are counted every later one finds the
/// lock (`LockedOut`) rather than a check (`Refused`), whether it started before or after.
pub fn concurrent_wrong_logins_get_no_more_checks_than_the_policy_allows(
    backend: &dyn Backend,
) -> Result<()> {
    let f = Fixture::open(backend)?;
    let store = &*f.store;
    store.create_org("Second", "boss@second.test", Some("s3cret"))?;
    let policy = ten_for_15_minutes();
    let t0 = Utc::now();
    let login = || loop {
        // A login refused as busy is not counted: try it again.
        match store.login("boss@second.test", "wrong", &policy, t0) {
            Err(StoreError::Busy) => std::thread::yield_now(),
            outcome => return outcome,
        }
    };
    let outcomes: Vec<LoginOutcome> = std::thread::scope(|scope| {
        let threads: Vec<_> = (0..32).map(|_| scope.spawn(login)).collect();
        threads
            .into_iter()
            .map(|t| t.join().expect("a login thread panicked"))
            .collect::<Result<_>>()
    })?;
    let checked = outcomes
        .iter()
        .filter(|o| **o == LoginOutcome::Refused)
        .count();
    let locked = outcomes
        .iter()
        .filter(|o| **o == LoginOutcome::LockedOut)
        .count();
    assert_eq!(
        (checked, locked),
        (10, 22),
        "ten wrong passwords checked, then every login locked out"
    );
    assert_eq!(
        store.login("boss@second.test", "s3cret", &policy, t0)?,
        LoginOutcome::LockedOut,
        "the right password during the lock is refused"
    );
    assert_eq!(store.locked_users(t0)?.len(), 1);
    Ok(())
}
