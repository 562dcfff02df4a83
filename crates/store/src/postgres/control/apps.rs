//! Connected apps: a random client id (stored as is: it is public) and a random client secret (stored
//! as an argon2 hash only; the caller gets it once).

use super::parse_id;
use crate::auth::{APP_PREFIX, hash_secret, random_secret, verify_secret};
use crate::postgres::{PgStore, ids};
use crate::{App, Result};
use bulkforce_core::id::{KeyPrefix, SfId};
use postgres::Row;

/// The columns [`app_of`] reads, in its order.
const APP_COLUMNS: &str = "id, org_id, name, client_id, certificate";

fn app_of(row: &Row) -> Result<App> {
    Ok(App {
        id: parse_id(row.try_get(0)?)?,
        org_id: parse_id(row.try_get(1)?)?,
        name: row.try_get(2)?,
        client_id: row.try_get(3)?,
        certificate: row.try_get(4)?,
    })
}

impl PgStore {
    /// Creates an app of `org`; returns it with its client secret, which is stored only hashed. Its id
    /// is minted in the org's shard, so ids of apps of different orgs never meet.
    pub(in crate::postgres) fn pg_create_app(
        &self,
        org: SfId,
        name: &str,
        certificate: Option<&str>,
    ) -> Result<(App, String)> {
        let shard = self.org(org)?;
        let client_id = format!("3MVG9{}", random_secret(80));
        let secret = random_secret(64);
        let secret_hash = hash_secret(&secret)?;
        let prefix = KeyPrefix::parse(APP_PREFIX).expect("0H4 is a valid key prefix");
        let mut conn = self.conn()?;
        let mut tx = conn.transaction()?;
        let id = ids::mint(&mut tx, org, shard, prefix, 1)?
            .next()
            .expect("one id was minted");
        tx.execute(
            "INSERT INTO bulkforce.apps (id, org_id, name, client_id, secret_hash, certificate, created_ms)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
            &[
                &id.as_str(),
                &org.as_str(),
                &name,
                &client_id,
                &secret_hash,
                &certificate,
                &self.now_ms(),
            ],
        )?;
        tx.commit()?;
        let app = App {
            id,
            org_id: org,
            name: name.to_owned(),
            client_id,
            certificate: certificate.map(str::to_owned),
        };
        Ok((app, secret))
    }

    /// The app with `client_id` and its secret's hash.
    fn app_row(&self, client_id: &str) -> Result<Option<(App, String)>> {
        self.conn()?
            .query_opt(
                &format!(
                    "SELECT {APP_COLUMNS}, secret_hash FROM bulkforce.apps WHERE client_id = $1"
                ),
                &[&client_id],
            )?
            .map(|row| Ok((app_of(&row)?, row.try_get(5)?)))
            .transpose()
    }

    pub(in crate::postgres) fn pg_find_app(&self, client_id: &str) -> Result<Option<App>> {
        Ok(self.app_row(client_id)?.map(|(app, _)| app))
    }

    /// The app when `secret` is its client secret.
    pub(in crate::postgres) fn pg_check_app(
        &self,
        client_id: &str,
        secret: &str,
    ) -> Result<Option<App>> {
        match self.app_row(client_id)? {
            Some((app, hash)) if verify_secret(secret, &hash)? => Ok(Some(app)),
            _ => Ok(None),
        }
    }

    pub(in crate::postgres) fn pg_list_apps(&self, org: SfId) -> Result<Vec<App>> {
        self.conn()?
            .query(
                &format!("SELECT {APP_COLUMNS} FROM bulkforce.apps WHERE org_id = $1 ORDER BY id"),
                &[&org.as_str()],
            )?
            .iter()
            .map(app_of)
            .collect()
    }
}
