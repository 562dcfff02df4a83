//! Orgs: a row in `bulkforce.orgs` with a shard of its own (ids minted in the org carry it), a schema
//! of its own for records, its Organization record and its admin user, all in one transaction.
//!
//! Org creation is serialized across instances by an advisory lock, so that two instances starting at
//! once make one default org (the second finds the first's), and shards are handed out one by one.

use super::records::{self, OrgTarget};
use super::settings::STORED_CLOCK;
use super::users::{NewUser, add_user};
use super::{parse_id, principal_at, username_taken};
use crate::auth::{DEFAULT_ADMIN_USERNAME, DEFAULT_ORG_NAME, hash_secret};
use crate::postgres::{PgStore, ddl};
use crate::{Org, Principal, Result, StoreError};
use bulkforce_core::id::{KeyPrefix, SHARDS, SfId};
use bulkforce_core::value::format_datetime;
use postgres::GenericClient;

/// The advisory lock key org creation takes (an arbitrary constant: "bf-orgs!" in ASCII).
const ORGS_LOCK: i64 = 0x6266_2d6f_7267_7321;

/// The default org's first user, if the default org exists, with the stored clock setting's text
/// read along ([`STORED_CLOCK`]).
fn default_principal(
    client: &mut impl GenericClient,
) -> Result<Option<(Principal, Option<String>)>> {
    client
        .query_opt(
            &format!(
                "SELECT o.id, u.id, u.username, {STORED_CLOCK} FROM bulkforce.orgs o
                 JOIN bulkforce.users u ON u.org_id = o.id
                 WHERE o.is_default ORDER BY u.created_ms, u.id LIMIT 1"
            ),
            &[],
        )?
        .map(|row| Ok((principal_at(&row, 0)?, row.try_get(3)?)))
        .transpose()
}

/// The next free shard (shards are never reused while an org holds one).
fn next_shard(client: &mut impl GenericClient) -> Result<u16> {
    let next: i32 = client
        .query_one(
            "SELECT COALESCE(MAX(shard), 0) + 1 FROM bulkforce.orgs",
            &[],
        )?
        .get(0);
    u16::try_from(next)
        .ok()
        .filter(|shard| *shard < SHARDS)
        .ok_or_else(|| StoreError::Invalid("no more org shards".into()))
}

/// An org to create.
struct NewOrg<'a> {
    name: &'a str,
    username: &'a str,
    password_hash: Option<String>,
    is_default: bool,
}

impl PgStore {
    pub(in crate::postgres) fn pg_ensure_default_org(&self) -> Result<Principal> {
        // Every request made with `--access-token` comes here: it follows the stored clock too.
        if let Some((principal, clock)) = default_principal(&mut *self.conn()?)? {
            self.follow_stored_clock(clock.as_deref())?;
            return Ok(principal);
        }
        self.new_org(NewOrg {
            name: DEFAULT_ORG_NAME,
            username: DEFAULT_ADMIN_USERNAME,
            password_hash: None,
            is_default: true,
        })
    }

    pub(in crate::postgres) fn pg_create_org(
        &self,
        name: &str,
        username: &str,
        password: Option<&str>,
    ) -> Result<Principal> {
        self.new_org(NewOrg {
            name,
            username,
            password_hash: password.map(hash_secret).transpose()?,
            is_default: false,
        })
    }

    /// Creates an org with its schema, its admin (User record and login) and its Organization record;
    /// nothing of it when any step fails (a taken username). A default org already made (by another
    /// instance, a moment ago) is answered with its admin instead.
    fn new_org(&self, new: NewOrg<'_>) -> Result<Principal> {
        let mut conn = self.conn()?;
        let mut tx = conn.transaction()?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&ORGS_LOCK])?;
        if new.is_default
            && let Some((principal, _)) = default_principal(&mut tx)?
        {
            return Ok(principal);
        }
        let taken = tx
            .query_opt(
                "SELECT 1 FROM bulkforce.users WHERE lower(username) = lower($1)",
                &[&new.username],
            )?
            .is_some();
        if taken {
            return Err(username_taken(new.username));
        }
        let shard = next_shard(&mut tx)?;
        let org = SfId::mint(KeyPrefix::ORG, 0, u64::from(shard));
        tx.execute(
            "INSERT INTO bulkforce.orgs (id, name, shard, is_default, created_ms)
             VALUES ($1, $2, $3, $4, $5)",
            &[
                &org.as_str(),
                &new.name,
                &i32::from(shard),
                &new.is_default,
                &self.now_ms(),
            ],
        )?;
        ddl::migrate_org(&mut tx, &self.schema, org)?;
        let target = OrgTarget {
            schema: &self.schema,
            org,
            shard,
            now: format_datetime(&self.clock.now()),
        };
        let admin = NewUser {
            username: new.username,
            password_hash: new.password_hash,
            last_name: "Admin",
            first_name: "Bulkforce",
        };
        let admin = add_user(&mut tx, &target, admin, self.now_ms())?;
        records::insert_organization(&mut tx, &target, new.name, admin.user_id)?;
        tx.commit()?;
        // Its schema is up to date: no migration on first use.
        self.orgs.write().insert(org, shard);
        Ok(admin)
    }

    pub(in crate::postgres) fn pg_list_orgs(&self) -> Result<Vec<Org>> {
        self.conn()?
            .query(
                "SELECT id, name, is_default FROM bulkforce.orgs ORDER BY id",
                &[],
            )?
            .iter()
            .map(|row| {
                Ok(Org {
                    id: parse_id(row.try_get(0)?)?,
                    name: row.try_get(1)?,
                    is_default: row.try_get(2)?,
                })
            })
            .collect()
    }
}
