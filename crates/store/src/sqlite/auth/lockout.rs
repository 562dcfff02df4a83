//! Password logins with Salesforce's lockout: wrong passwords in a row lock a user out for a while, and
//! the count and the lock live in the control database, so they survive restarts and hold for every
//! process sharing it.
//!
//! An attempt is counted *before* its password is checked, by one SQL statement that also refuses a
//! locked-out user ([`SqliteStore::count_attempt`]); the attempt that reaches the policy's count sets
//! the lock in that same statement. Checking first and counting after let every login that started
//! before the lock was written check its guess: a flood of concurrent wrong logins got several times
//! the allowed guesses, and a right guess among them was accepted. Now, however many logins run at once
//! and in however many processes, at most `attempts` passwords are checked against a user's hash before
//! the lock; later ones find it. A right password restarts the count (and lifts the lock: a lock set
//! since this attempt was counted was set by attempts counted after it, and whoever made this one
//! knows the password); a wrong one stays counted. The hashing permit is taken before the attempt is
//! counted, so a login refused as busy counts nothing and there is nothing to give back.
//!
//! Every login runs one argon2 check, whatever happens: against the user's hash, or [`DUMMY_HASH`] for
//! an unknown user, a user without a password or a locked-out user. A locked-out user, a wrong password
//! and an unknown username therefore take the same time, and tell nothing apart.

use super::to_principal;
use crate::auth::{Attempt, FOREVER, LoginLedger, lock_end, password_login};
use crate::sqlite::SqliteStore;
use crate::{LockedUser, LockoutPolicy, LoginOutcome, Principal, Result};
use chrono::{DateTime, TimeZone, Utc};
use rusqlite::{Connection, OptionalExtension, params};

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

impl SqliteStore {
    pub(crate) fn password_login(
        &self,
        username: &str,
        password: &str,
        policy: &LockoutPolicy,
        now: DateTime<Utc>,
    ) -> Result<LoginOutcome> {
        password_login(self, username, password, policy, now)
    }

    /// Counts an attempt of a user with a password who is not locked out, in one statement (SET
    /// expressions all see the row as it was), and returns the user's hash to check; `None` for an
    /// unknown user, a user without a password and a locked-out user, who are not counted. An ended
    /// lockout restarts the count; the attempt that reaches the policy's count locks the user at once,
    /// before its password is checked, so that no further attempt gets a check.
    fn count_attempt_now(
        &self,
        username: &str,
        policy: &LockoutPolicy,
        now_ms: i64,
    ) -> Result<Option<Attempt>> {
        let row = self
            .control
            .lock()
            .query_row(
                "UPDATE users SET
                    failed_logins = CASE WHEN locked_until_ms <= ?2 THEN 1 ELSE failed_logins + 1 END,
                    locked_until_ms = CASE
                        WHEN ?3 > 0
                            AND (CASE WHEN locked_until_ms <= ?2 THEN 1 ELSE failed_logins + 1 END) >= ?3
                            THEN ?4
                        ELSE NULL END
                 WHERE username = ?1 AND password_hash IS NOT NULL
                   AND (locked_until_ms IS NULL OR locked_until_ms <= ?2)
                 RETURNING org_id, id, username, password_hash",
                params![username, now_ms, policy.attempts, lock_end(policy, now_ms)],
                |r| Ok(((r.get(0)?, r.get(1)?, r.get(2)?), r.get::<_, String>(3)?)),
            )
            .optional()?;
        row.map(|(principal, password_hash)| {
            Ok(Attempt {
                principal: to_principal(principal)?,
                password_hash,
            })
        })
        .transpose()
    }

    /// Whether `username` is a user with a password, locked out at `now_ms`.
    fn is_locked_now(&self, username: &str, now_ms: i64) -> Result<bool> {
        Ok(self.control.lock().query_row(
            "SELECT EXISTS (SELECT 1 FROM users
                WHERE username = ?1 AND password_hash IS NOT NULL AND locked_until_ms > ?2)",
            params![username, now_ms],
            |r| r.get(0),
        )?)
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

impl LoginLedger for SqliteStore {
    fn count_attempt(
        &self,
        username: &str,
        policy: &LockoutPolicy,
        now_ms: i64,
    ) -> Result<Option<Attempt>> {
        self.count_attempt_now(username, policy, now_ms)
    }

    fn is_locked(&self, username: &str, now_ms: i64) -> Result<bool> {
        self.is_locked_now(username, now_ms)
    }

    fn clear_failures(&self, user: &Principal) -> Result<()> {
        self.control.lock().execute(
            "UPDATE users SET failed_logins = 0, locked_until_ms = NULL WHERE id = ?1",
            [user.user_id.as_str()],
        )?;
        Ok(())
    }
}
