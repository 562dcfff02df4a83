//! Password logins with Salesforce's lockout: wrong passwords in a row lock a user out for a while, and
//! the count and the lock live in the control database, so they survive restarts and hold for every
//! process sharing it (each change is one SQL statement, so concurrent logins cannot lose a count).
//!
//! Every login runs one argon2 check, whatever happens: against the user's hash, or [`DUMMY_HASH`] for
//! an unknown user or a user without a password, and before looking at the lock. A locked-out user, a
//! wrong password and an unknown username therefore take the same time, and tell nothing apart.

use super::hashing::DUMMY_HASH;
use super::{to_principal, verify_secret};
use crate::sqlite::SqliteStore;
use crate::{LockedUser, LockoutPolicy, LoginOutcome, Principal, Result};
use chrono::{DateTime, TimeZone, Utc};
use rusqlite::{Connection, OptionalExtension, params};

/// `locked_until_ms` of a lockout that lasts until an administrator ends it.
const FOREVER: i64 = i64::MAX;

/// The lockout columns, added to a control database made before they existed.
pub(super) fn add_columns(conn: &Connection) -> Result<()> {
    let mut stmt = conn.prepare("SELECT name FROM pragma_table_info('users')")?;
    let columns: Vec<String> = stmt
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    for (column, ddl) in [
        (
            "failed_logins",
            "ALTER TABLE users ADD COLUMN failed_logins INTEGER NOT NULL DEFAULT 0",
        ),
        (
            "locked_until_ms",
            "ALTER TABLE users ADD COLUMN locked_until_ms INTEGER",
        ),
    ] {
        if !columns.iter().any(|c| c == column) {
            conn.execute(ddl, [])?;
        }
    }
    Ok(())
}

/// A login's user as the control database has it.
struct Account {
    principal: Principal,
    password_hash: Option<String>,
    locked_until_ms: Option<i64>,
}

impl SqliteStore {
    fn account(&self, username: &str) -> Result<Option<Account>> {
        let row = self
            .control
            .lock()
            .query_row(
                "SELECT org_id, id, username, password_hash, locked_until_ms FROM users
                 WHERE username = ?1",
                [username],
                |r| {
                    Ok((
                        (r.get(0)?, r.get(1)?, r.get(2)?),
                        r.get::<_, Option<String>>(3)?,
                        r.get::<_, Option<i64>>(4)?,
                    ))
                },
            )
            .optional()?;
        row.map(|(p, password_hash, locked_until_ms)| {
            Ok(Account {
                principal: to_principal(p)?,
                password_hash,
                locked_until_ms,
            })
        })
        .transpose()
    }

    pub(crate) fn password_login(
        &self,
        username: &str,
        password: &str,
        policy: &LockoutPolicy,
        now: DateTime<Utc>,
    ) -> Result<LoginOutcome> {
        let account = self.account(username)?;
        let hash = account
            .as_ref()
            .and_then(|a| a.password_hash.as_deref())
            .unwrap_or(DUMMY_HASH);
        let matches = verify_secret(password, hash)?;
        let Some(account) = account.filter(|a| a.password_hash.is_some()) else {
            return Ok(LoginOutcome::Refused);
        };
        let now_ms = now.timestamp_millis();
        if account.locked_until_ms.is_some_and(|until| until > now_ms) {
            return Ok(LoginOutcome::LockedOut);
        }
        let user = account.principal.user_id;
        if matches {
            // Unless a lock came meanwhile (another process counting a failure).
            let reset = self.control.lock().execute(
                "UPDATE users SET failed_logins = 0, locked_until_ms = NULL
                 WHERE id = ?1 AND (locked_until_ms IS NULL OR locked_until_ms <= ?2)",
                params![user.as_str(), now_ms],
            )?;
            return Ok(if reset > 0 {
                LoginOutcome::Accepted(account.principal)
            } else {
                LoginOutcome::LockedOut
            });
        }
        self.count_failure(user.as_str(), policy, now_ms)?;
        Ok(LoginOutcome::Refused)
    }

    /// Counts one wrong password, in one statement (SET expressions all see the row as it was): an
    /// ended lockout restarts the count; reaching the policy's attempts locks the user.
    fn count_failure(&self, user: &str, policy: &LockoutPolicy, now_ms: i64) -> Result<()> {
        let lock_until = match policy.duration {
            Some(duration) => {
                now_ms.saturating_add(i64::try_from(duration.as_millis()).unwrap_or(FOREVER))
            }
            None => FOREVER,
        };
        self.control.lock().execute(
            "UPDATE users SET
                failed_logins = CASE WHEN locked_until_ms <= ?2 THEN 1 ELSE failed_logins + 1 END,
                locked_until_ms = CASE
                    WHEN locked_until_ms > ?2 THEN locked_until_ms
                    WHEN ?3 > 0 AND (CASE WHEN locked_until_ms <= ?2 THEN 1 ELSE failed_logins + 1 END) >= ?3
                        THEN ?4
                    ELSE NULL END
             WHERE id = ?1",
            params![user, now_ms, policy.attempts, lock_until],
        )?;
        Ok(())
    }

    pub(crate) fn users_locked_at(&self, now: DateTime<Utc>) -> Result<Vec<LockedUser>> {
        let control = self.control.lock();
        let mut stmt = control.prepare(
            "SELECT org_id, id, username, locked_until_ms FROM users
             WHERE locked_until_ms > ?1 ORDER BY username",
        )?;
        let rows = stmt.query_map([now.timestamp_millis()], |r| {
            Ok(((r.get(0)?, r.get(1)?, r.get(2)?), r.get::<_, i64>(3)?))
        })?;
        rows.map(|row| {
            let (principal, until) = row?;
            Ok(LockedUser {
                principal: to_principal(principal)?,
                until: (until != FOREVER)
                    .then(|| Utc.timestamp_millis_opt(until).single())
                    .flatten(),
            })
        })
        .collect()
    }

    /// Ends a lockout (and restarts the count), as an administrator's unlock or a password reset does.
    pub(crate) fn unlock(&self, username: &str) -> Result<bool> {
        Ok(self.control.lock().execute(
            "UPDATE users SET failed_logins = 0, locked_until_ms = NULL WHERE username = ?1",
            [username],
        )? > 0)
    }
}
