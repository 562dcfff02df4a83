//! Users: a login row in `bulkforce.users` (username unique across orgs, case-insensitively) and a User
//! record in the org's schema, written in one transaction.

use super::records::{self, OrgTarget};
use super::{is_unique_violation, principal_at, username_taken};
use crate::auth::hash_secret;
use crate::postgres::PgStore;
use crate::{Principal, Result};
use bulkforce_core::id::SfId;
use bulkforce_core::value::format_datetime;
use postgres::GenericClient;

/// A user to add: who, and the argon2 hash of their password (none: token-only).
pub(super) struct NewUser<'a> {
    pub username: &'a str,
    pub password_hash: Option<String>,
    pub last_name: &'a str,
    pub first_name: &'a str,
}

/// Adds a user in the caller's transaction: the User record, then the login row. A username taken (by
/// any org, in any case) is `StoreError::Invalid`, and the caller's transaction must be dropped.
pub(super) fn add_user(
    client: &mut impl GenericClient,
    target: &OrgTarget<'_>,
    user: NewUser<'_>,
    now_ms: i64,
) -> Result<Principal> {
    let user_id = records::insert_user(
        client,
        target,
        user.username,
        user.last_name,
        user.first_name,
    )?;
    let inserted = client.execute(
        "INSERT INTO bulkforce.users (id, org_id, username, password_hash, created_ms)
         VALUES ($1, $2, $3, $4, $5)",
        &[
            &user_id.as_str(),
            &target.org.as_str(),
            &user.username,
            &user.password_hash,
            &now_ms,
        ],
    );
    match inserted {
        Ok(_) => Ok(Principal {
            org_id: target.org,
            user_id,
            username: user.username.to_owned(),
        }),
        Err(e) if is_unique_violation(&e) => Err(username_taken(user.username)),
        Err(e) => Err(e.into()),
    }
}

impl PgStore {
    /// Where records of `org` go now, its schema migrated on first use.
    pub(super) fn org_target(&self, org: SfId) -> Result<OrgTarget<'_>> {
        Ok(OrgTarget {
            schema: &self.schema,
            org,
            shard: self.org(org)?,
            now: format_datetime(&self.clock.now()),
        })
    }

    pub(in crate::postgres) fn pg_create_user(
        &self,
        org: SfId,
        username: &str,
        password: Option<&str>,
        last_name: &str,
        first_name: &str,
    ) -> Result<Principal> {
        // Hashed before any connection is taken: argon2 is slow and needs no database.
        let password_hash = password.map(hash_secret).transpose()?;
        let target = self.org_target(org)?;
        let mut conn = self.conn()?;
        let mut tx = conn.transaction()?;
        let user = NewUser {
            username,
            password_hash,
            last_name,
            first_name,
        };
        let principal = add_user(&mut tx, &target, user, self.now_ms())?;
        tx.commit()?;
        Ok(principal)
    }

    /// Sets a password; like Salesforce's password reset, it also ends a lockout.
    pub(in crate::postgres) fn pg_set_password(
        &self,
        username: &str,
        password: &str,
    ) -> Result<bool> {
        let hash = hash_secret(password)?;
        let updated = self.conn()?.execute(
            "UPDATE bulkforce.users SET password_hash = $2, failed_logins = 0, locked_until_ms = NULL
             WHERE lower(username) = lower($1)",
            &[&username, &hash],
        )?;
        Ok(updated > 0)
    }

    pub(in crate::postgres) fn pg_find_user(&self, username: &str) -> Result<Option<Principal>> {
        self.conn()?
            .query_opt(
                "SELECT org_id, id, username FROM bulkforce.users WHERE lower(username) = lower($1)",
                &[&username],
            )?
            .map(|row| principal_at(&row, 0))
            .transpose()
    }

    pub(in crate::postgres) fn pg_list_users(&self, org: SfId) -> Result<Vec<Principal>> {
        self.conn()?
            .query(
                "SELECT org_id, id, username FROM bulkforce.users WHERE org_id = $1 ORDER BY id",
                &[&org.as_str()],
            )?
            .iter()
            .map(|row| principal_at(row, 0))
            .collect()
    }
}
