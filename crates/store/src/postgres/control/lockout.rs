//! Password logins with Salesforce's lockout, shared by every instance: the count and the lock are
//! columns of `bulkforce.users`, so attempts made on any instance count towards one lock.
//!
//! The policy is the SQLite backend's (`sqlite/auth/lockout.rs` says why in full): an attempt is
//! counted *before* its password is checked, by one `UPDATE … RETURNING` that also refuses a locked-out
//! user and sets the lock when it reaches the policy's count. PostgreSQL row-locks the user for that
//! statement and re-reads the row a concurrent attempt just changed, so however many logins run at once
//! on however many instances, at most `attempts` passwords are checked before the lock; later ones find
//! it. A right password restarts the count and lifts the lock; a wrong one stays counted. The hashing
//! permit is taken before counting, so a login refused as busy counts nothing.
//!
//! Every login runs one argon2 check (against [`DUMMY_HASH`] when there is no hash to check), so a
//! locked-out user, a wrong password and an unknown username take the same time.

use super::principal_at;
use crate::auth::{Attempt, FOREVER, LoginLedger, lock_end, password_login};
use crate::postgres::PgStore;
use crate::{LockedUser, LockoutPolicy, LoginOutcome, Principal, Result};
use chrono::{DateTime, TimeZone, Utc};

impl PgStore {
    pub(in crate::postgres) fn pg_login(
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
    /// lockout restarts the count; the attempt that reaches the policy's count locks the user at once.
    fn count_attempt_now(
        &self,
        username: &str,
        policy: &LockoutPolicy,
        now_ms: i64,
    ) -> Result<Option<Attempt>> {
        let attempts = i64::from(policy.attempts);
        let row = self.conn()?.query_opt(
            "UPDATE bulkforce.users SET
                failed_logins = CASE WHEN locked_until_ms <= $2 THEN 1 ELSE failed_logins + 1 END,
                locked_until_ms = CASE
                    WHEN $3::bigint > 0
                        AND (CASE WHEN locked_until_ms <= $2 THEN 1 ELSE failed_logins + 1 END)
                            >= $3::bigint
                        THEN $4::bigint
                    ELSE NULL END
             WHERE lower(username) = lower($1) AND password_hash IS NOT NULL
               AND (locked_until_ms IS NULL OR locked_until_ms <= $2)
             RETURNING org_id, id, username, password_hash",
            &[&username, &now_ms, &attempts, &lock_end(policy, now_ms)],
        )?;
        row.map(|row| {
            Ok(Attempt {
                principal: principal_at(&row, 0)?,
                password_hash: row.try_get(3)?,
            })
        })
        .transpose()
    }

    /// Whether `username` is a user with a password, locked out at `now_ms`.
    fn is_locked_now(&self, username: &str, now_ms: i64) -> Result<bool> {
        Ok(self
            .conn()?
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM bulkforce.users
                    WHERE lower(username) = lower($1) AND password_hash IS NOT NULL
                      AND locked_until_ms > $2)",
                &[&username, &now_ms],
            )?
            .try_get(0)?)
    }

    pub(in crate::postgres) fn pg_locked_users(
        &self,
        now: DateTime<Utc>,
    ) -> Result<Vec<LockedUser>> {
        self.conn()?
            .query(
                "SELECT org_id, id, username, locked_until_ms FROM bulkforce.users
                 WHERE locked_until_ms > $1 ORDER BY lower(username), username",
                &[&now.timestamp_millis()],
            )?
            .iter()
            .map(|row| {
                let until: i64 = row.try_get(3)?;
                Ok(LockedUser {
                    principal: principal_at(row, 0)?,
                    until: (until != FOREVER)
                        .then(|| Utc.timestamp_millis_opt(until).single())
                        .flatten(),
                })
            })
            .collect()
    }

    /// Ends a lockout (and restarts the count), as an administrator's unlock or a password reset does.
    pub(in crate::postgres) fn pg_unlock_user(&self, username: &str) -> Result<bool> {
        let updated = self.conn()?.execute(
            "UPDATE bulkforce.users SET failed_logins = 0, locked_until_ms = NULL
             WHERE lower(username) = lower($1)",
            &[&username],
        )?;
        Ok(updated > 0)
    }
}

impl LoginLedger for PgStore {
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
        self.conn()?.execute(
            "UPDATE bulkforce.users SET failed_logins = 0, locked_until_ms = NULL WHERE id = $1",
            &[&user.user_id.as_str()],
        )?;
        Ok(())
    }
}
