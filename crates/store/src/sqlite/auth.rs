//! Orgs, users, connected apps and tokens in the control database.
//!
//! Passwords and client secrets are hashed with argon2 (bounded in concurrency and memory: `crate::auth`);
//! tokens (random, high-entropy) with SHA-256, so that a token can be found by its hash. Nothing secret
//! is stored in clear. Password logins and lockouts are in `lockout`.

mod lockout;

use super::{OrgDb, SqliteStore, records};
use crate::auth::{APP_PREFIX, hash_secret, hash_token, random_secret, verify_secret};
use crate::{App, Org, Principal, Result, StoreError, TokenKind};
use bulkforce_core::id::{KeyPrefix, SHARDS, SfId};
use rusqlite::{Connection, OptionalExtension, Row, params};

pub(crate) const SCHEMA: &str = "
    CREATE TABLE IF NOT EXISTS orgs (
        id TEXT PRIMARY KEY NOT NULL, name TEXT NOT NULL, shard INTEGER NOT NULL UNIQUE,
        is_default INTEGER NOT NULL DEFAULT 0, created_ms INTEGER NOT NULL);
    CREATE TABLE IF NOT EXISTS users (
        id TEXT PRIMARY KEY NOT NULL, org_id TEXT NOT NULL REFERENCES orgs(id),
        username TEXT NOT NULL UNIQUE COLLATE NOCASE, password_hash TEXT, created_ms INTEGER NOT NULL);
    CREATE TABLE IF NOT EXISTS apps (
        id TEXT PRIMARY KEY NOT NULL, org_id TEXT NOT NULL REFERENCES orgs(id), name TEXT NOT NULL,
        client_id TEXT NOT NULL UNIQUE, secret_hash TEXT NOT NULL, certificate TEXT,
        created_ms INTEGER NOT NULL);
    CREATE TABLE IF NOT EXISTS tokens (
        hash TEXT PRIMARY KEY NOT NULL, org_id TEXT NOT NULL, user_id TEXT NOT NULL, app_id TEXT,
        kind TEXT NOT NULL DEFAULT 'access', created_ms INTEGER NOT NULL, expires_ms INTEGER,
        revoked_ms INTEGER);
    CREATE INDEX IF NOT EXISTS tokens_user ON tokens (user_id);";

fn id(text: &str) -> Result<SfId> {
    SfId::parse(text).map_err(|e| StoreError::Corrupt(format!("{text}: {e}")))
}

fn principal(row: &Row<'_>) -> rusqlite::Result<(String, String, String)> {
    Ok((row.get(0)?, row.get(1)?, row.get(2)?))
}

fn to_principal((org, user, username): (String, String, String)) -> Result<Principal> {
    Ok(Principal {
        org_id: id(&org)?,
        user_id: id(&user)?,
        username,
    })
}

impl SqliteStore {
    pub(crate) fn default_principal(&self) -> Result<Option<Principal>> {
        let row = self
            .control
            .lock()
            .query_row(
                "SELECT o.id, u.id, u.username FROM orgs o JOIN users u ON u.org_id = o.id
                 WHERE o.is_default = 1 ORDER BY u.created_ms, u.id LIMIT 1",
                [],
                principal,
            )
            .optional()?;
        row.map(to_principal).transpose()
    }

    /// Creates an org and its first (admin) user.
    pub(crate) fn new_org(
        &self,
        name: &str,
        username: &str,
        password: Option<&str>,
        is_default: bool,
    ) -> Result<Principal> {
        let org_id = {
            let control = self.control.lock();
            let taken: Option<String> = control
                .query_row(
                    "SELECT id FROM users WHERE username = ?1",
                    [username],
                    |r| r.get(0),
                )
                .optional()?;
            if taken.is_some() {
                return Err(StoreError::Invalid(format!(
                    "the username {username} is already taken"
                )));
            }
            let shard: u16 =
                control.query_row("SELECT COUNT(*) + 1 FROM orgs", [], |r| r.get(0))?;
            if shard >= SHARDS {
                return Err(StoreError::Invalid("no more org shards".into()));
            }
            let org_id = SfId::mint(KeyPrefix::ORG, 0, u64::from(shard));
            control.execute(
                "INSERT INTO orgs (id, name, shard, is_default, created_ms) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![org_id.as_str(), name, shard, is_default, self.now_ms()],
            )?;
            org_id
        };
        let principal = self.new_user(org_id, username, password, "Admin", "Bulkforce")?;
        records::insert_organization(&*self.org(org_id)?, org_id, name, principal.user_id)?;
        Ok(principal)
    }

    /// Adds a user: a User record in the org and a login in the control database.
    pub(crate) fn new_user(
        &self,
        org: SfId,
        username: &str,
        password: Option<&str>,
        last_name: &str,
        first_name: &str,
    ) -> Result<Principal> {
        let password_hash = password.map(hash_secret).transpose()?;
        let db: std::sync::Arc<OrgDb> = self.org(org)?;
        let user_id = records::insert_user(&db, username, last_name, first_name)?;
        let inserted = self.control.lock().execute(
            "INSERT INTO users (id, org_id, username, password_hash, created_ms) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![user_id.as_str(), org.as_str(), username, password_hash, self.now_ms()],
        );
        match inserted {
            Ok(_) => Ok(Principal {
                org_id: org,
                user_id,
                username: username.to_owned(),
            }),
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == rusqlite::ErrorCode::ConstraintViolation =>
            {
                Err(StoreError::Invalid(format!(
                    "the username {username} is already taken"
                )))
            }
            Err(e) => Err(e.into()),
        }
    }

    pub(crate) fn user_by_name(
        &self,
        username: &str,
    ) -> Result<Option<(Principal, Option<String>)>> {
        let row = self
            .control
            .lock()
            .query_row(
                "SELECT org_id, id, username, password_hash FROM users WHERE username = ?1",
                [username],
                |r| {
                    Ok((
                        (r.get(0)?, r.get(1)?, r.get(2)?),
                        r.get::<_, Option<String>>(3)?,
                    ))
                },
            )
            .optional()?;
        row.map(|(p, hash)| Ok((to_principal(p)?, hash)))
            .transpose()
    }

    /// Sets a password; like Salesforce's password reset, it also ends a lockout.
    pub(crate) fn set_user_password(&self, username: &str, password: &str) -> Result<bool> {
        let hash = hash_secret(password)?;
        Ok(self.control.lock().execute(
            "UPDATE users SET password_hash = ?2, failed_logins = 0, locked_until_ms = NULL
             WHERE username = ?1",
            params![username, hash],
        )? > 0)
    }

    pub(crate) fn new_app(
        &self,
        org: SfId,
        name: &str,
        certificate: Option<&str>,
    ) -> Result<(App, String)> {
        let client_id = format!("3MVG9{}", random_secret(80));
        let secret = random_secret(64);
        let control = self.control.lock();
        let count: u64 = control.query_row("SELECT COUNT(*) + 1 FROM apps", [], |r| r.get(0))?;
        let prefix = KeyPrefix::parse(APP_PREFIX).expect("valid prefix");
        let app_id = SfId::mint(prefix, 0, count);
        control.execute(
            "INSERT INTO apps (id, org_id, name, client_id, secret_hash, certificate, created_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                app_id.as_str(),
                org.as_str(),
                name,
                client_id,
                hash_secret(&secret)?,
                certificate,
                self.now_ms()
            ],
        )?;
        Ok((
            App {
                id: app_id,
                org_id: org,
                name: name.to_owned(),
                client_id,
                certificate: certificate.map(str::to_owned),
            },
            secret,
        ))
    }

    fn app_row(&self, client_id: &str) -> Result<Option<(App, String)>> {
        let row = self
            .control
            .lock()
            .query_row(
                "SELECT id, org_id, name, client_id, certificate, secret_hash FROM apps WHERE client_id = ?1",
                [client_id],
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, Option<String>>(4)?,
                        r.get::<_, String>(5)?,
                    ))
                },
            )
            .optional()?;
        row.map(|(app_id, org, name, client_id, certificate, hash)| {
            Ok((
                App {
                    id: id(&app_id)?,
                    org_id: id(&org)?,
                    name,
                    client_id,
                    certificate,
                },
                hash,
            ))
        })
        .transpose()
    }

    pub(crate) fn app(&self, client_id: &str) -> Result<Option<App>> {
        Ok(self.app_row(client_id)?.map(|(app, _)| app))
    }

    pub(crate) fn app_with_secret(&self, client_id: &str, secret: &str) -> Result<Option<App>> {
        match self.app_row(client_id)? {
            Some((app, hash)) if verify_secret(secret, &hash)? => Ok(Some(app)),
            _ => Ok(None),
        }
    }

    pub(crate) fn save_token(
        &self,
        principal: &Principal,
        token: &str,
        kind: TokenKind,
        app: Option<SfId>,
        expires_ms: Option<i64>,
    ) -> Result<()> {
        let kind = match kind {
            TokenKind::Access => "access",
            TokenKind::Refresh => "refresh",
        };
        self.control.lock().execute(
            "INSERT OR IGNORE INTO tokens (hash, org_id, user_id, app_id, kind, created_ms, expires_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                hash_token(token),
                principal.org_id.as_str(),
                principal.user_id.as_str(),
                app.map(|a| a.as_str().to_owned()),
                kind,
                self.now_ms(),
                expires_ms
            ],
        )?;
        Ok(())
    }

    /// The principal and app of a live (unexpired, unrevoked) token of `kind`.
    pub(crate) fn live_token(
        &self,
        token: &str,
        kind: TokenKind,
    ) -> Result<Option<(Principal, Option<SfId>)>> {
        let kind = match kind {
            TokenKind::Access => "access",
            TokenKind::Refresh => "refresh",
        };
        let row = self
            .control
            .lock()
            .query_row(
                "SELECT t.org_id, t.user_id, u.username, t.app_id FROM tokens t JOIN users u ON u.id = t.user_id
                 WHERE t.hash = ?1 AND t.kind = ?2 AND t.revoked_ms IS NULL
                   AND (t.expires_ms IS NULL OR t.expires_ms > ?3)",
                params![hash_token(token), kind, self.now_ms()],
                |r| Ok(((r.get(0)?, r.get(1)?, r.get(2)?), r.get::<_, Option<String>>(3)?)),
            )
            .optional()?;
        row.map(|(p, app)| Ok((to_principal(p)?, app.map(|a| id(&a)).transpose()?)))
            .transpose()
    }

    pub(crate) fn revoke(&self, token: &str) -> Result<bool> {
        Ok(self.control.lock().execute(
            "UPDATE tokens SET revoked_ms = ?2 WHERE hash = ?1 AND revoked_ms IS NULL",
            params![hash_token(token), self.now_ms()],
        )? > 0)
    }

    pub(crate) fn all_orgs(&self) -> Result<Vec<Org>> {
        let control = self.control.lock();
        let mut stmt = control.prepare("SELECT id, name, is_default FROM orgs ORDER BY id")?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, bool>(2)?,
            ))
        })?;
        rows.map(|row| {
            let (org, name, is_default) = row?;
            Ok(Org {
                id: id(&org)?,
                name,
                is_default,
            })
        })
        .collect()
    }

    pub(crate) fn org_users(&self, org: SfId) -> Result<Vec<Principal>> {
        let control = self.control.lock();
        let mut stmt = control
            .prepare("SELECT org_id, id, username FROM users WHERE org_id = ?1 ORDER BY id")?;
        let rows = stmt.query_map([org.as_str()], principal)?;
        rows.map(|row| to_principal(row?)).collect()
    }

    pub(crate) fn org_apps(&self, org: SfId) -> Result<Vec<App>> {
        let ids: Vec<String> = {
            let control = self.control.lock();
            let mut stmt =
                control.prepare("SELECT client_id FROM apps WHERE org_id = ?1 ORDER BY id")?;
            stmt.query_map([org.as_str()], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?
        };
        ids.iter().filter_map(|c| self.app(c).transpose()).collect()
    }
}

/// Used by `SqliteStore::open`.
pub(crate) fn create_schema(conn: &Connection) -> Result<()> {
    conn.execute_batch(SCHEMA)?;
    lockout::add_columns(conn)
}
