//! Tokens: stored by their SHA-256 only (a token is random and high-entropy, so its hash finds it and
//! the table never holds one in clear). Any instance verifies a token any instance issued.

use super::settings::STORED_CLOCK;
use super::{parse_id, principal_at};
use crate::auth::hash_token;
use crate::postgres::PgStore;
use crate::{Principal, Result, TokenKind};
use bulkforce_core::id::SfId;

/// The `kind` column's value.
fn kind_name(kind: TokenKind) -> &'static str {
    match kind {
        TokenKind::Access => "access",
        TokenKind::Refresh => "refresh",
    }
}

impl PgStore {
    /// Stores a token; the same token saved again keeps its first row (as SQLite's `INSERT OR IGNORE`).
    pub(in crate::postgres) fn pg_save_token(
        &self,
        principal: &Principal,
        token: &str,
        kind: TokenKind,
        app: Option<SfId>,
        expires_ms: Option<i64>,
    ) -> Result<()> {
        self.conn()?.execute(
            "INSERT INTO bulkforce.tokens (hash, org_id, user_id, app_id, kind, created_ms, expires_ms)
             VALUES ($1, $2, $3, $4, $5, $6, $7)
             ON CONFLICT (hash) DO NOTHING",
            &[
                &hash_token(token),
                &principal.org_id.as_str(),
                &principal.user_id.as_str(),
                &app.map(|a| a.as_str().to_owned()),
                &kind_name(kind),
                &self.now_ms(),
                &expires_ms,
            ],
        )?;
        Ok(())
    }

    /// The principal and app of a live (unexpired on the store's clock, unrevoked) token of `kind`.
    /// A live token's lookup also brings this instance's clock to the stored setting.
    pub(in crate::postgres) fn pg_token_principal(
        &self,
        token: &str,
        kind: TokenKind,
    ) -> Result<Option<(Principal, Option<SfId>)>> {
        let row = self.conn()?.query_opt(
            &format!(
                "SELECT t.org_id, t.user_id, u.username, t.app_id, {STORED_CLOCK}
                 FROM bulkforce.tokens t JOIN bulkforce.users u ON u.id = t.user_id
                 WHERE t.hash = $1 AND t.kind = $2 AND t.revoked_ms IS NULL
                   AND (t.expires_ms IS NULL OR t.expires_ms > $3)"
            ),
            &[&hash_token(token), &kind_name(kind), &self.now_ms()],
        )?;
        let Some(row) = row else {
            return Ok(None);
        };
        self.follow_stored_clock(row.try_get(4)?)?;
        let app: Option<&str> = row.try_get(3)?;
        Ok(Some((
            principal_at(&row, 0)?,
            app.map(parse_id).transpose()?,
        )))
    }

    /// Revokes a token of either kind; false when it was never issued or is revoked already.
    pub(in crate::postgres) fn pg_revoke_token(&self, token: &str) -> Result<bool> {
        let revoked = self.conn()?.execute(
            "UPDATE bulkforce.tokens SET revoked_ms = $2 WHERE hash = $1 AND revoked_ms IS NULL",
            &[&hash_token(token), &self.now_ms()],
        )?;
        Ok(revoked > 0)
    }
}
