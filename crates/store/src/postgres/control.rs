//! Orgs, users, apps, tokens, logins and lockouts, settings (clock, seed marker) and API usage, in the
//! shared `bulkforce` schema. (Being built: each method answers `not_built` until it lands.)

use super::{PgStore, not_built};
use crate::usage::ApiCounter;
use crate::{App, LockedUser, LockoutPolicy, LoginOutcome, Org, Principal, Result, TokenKind};
use bulkforce_core::clock::ClockSetting;
use bulkforce_core::id::SfId;
use chrono::{DateTime, Utc};

impl PgStore {
    pub(super) fn stored_clock_setting(&self) -> Result<ClockSetting> {
        Ok(ClockSetting::Real)
    }

    pub(super) fn pg_set_clock_setting(&self, _setting: ClockSetting) -> Result<()> {
        Err(not_built("the clock"))
    }

    pub(super) fn pg_seed_marker(&self) -> Result<Option<String>> {
        Err(not_built("seed markers"))
    }

    pub(super) fn pg_set_seed_marker(&self, _marker: &str) -> Result<()> {
        Err(not_built("seed markers"))
    }

    pub(super) fn pg_ensure_default_org(&self) -> Result<Principal> {
        Err(not_built("orgs"))
    }

    pub(super) fn pg_create_org(
        &self,
        _name: &str,
        _username: &str,
        _password: Option<&str>,
    ) -> Result<Principal> {
        Err(not_built("orgs"))
    }

    pub(super) fn pg_create_user(
        &self,
        _org: SfId,
        _username: &str,
        _password: Option<&str>,
        _last_name: &str,
        _first_name: &str,
    ) -> Result<Principal> {
        Err(not_built("users"))
    }

    pub(super) fn pg_set_password(&self, _username: &str, _password: &str) -> Result<bool> {
        Err(not_built("users"))
    }

    pub(super) fn pg_login(
        &self,
        _username: &str,
        _password: &str,
        _policy: &LockoutPolicy,
        _now: DateTime<Utc>,
    ) -> Result<LoginOutcome> {
        Err(not_built("logins"))
    }

    pub(super) fn pg_locked_users(&self, _now: DateTime<Utc>) -> Result<Vec<LockedUser>> {
        Err(not_built("lockouts"))
    }

    pub(super) fn pg_unlock_user(&self, _username: &str) -> Result<bool> {
        Err(not_built("lockouts"))
    }

    pub(super) fn pg_find_user(&self, _username: &str) -> Result<Option<Principal>> {
        Err(not_built("users"))
    }

    pub(super) fn pg_create_app(
        &self,
        _org: SfId,
        _name: &str,
        _certificate: Option<&str>,
    ) -> Result<(App, String)> {
        Err(not_built("apps"))
    }

    pub(super) fn pg_find_app(&self, _client_id: &str) -> Result<Option<App>> {
        Err(not_built("apps"))
    }

    pub(super) fn pg_check_app(&self, _client_id: &str, _secret: &str) -> Result<Option<App>> {
        Err(not_built("apps"))
    }

    pub(super) fn pg_save_token(
        &self,
        _principal: &Principal,
        _token: &str,
        _kind: TokenKind,
        _app: Option<SfId>,
        _expires_ms: Option<i64>,
    ) -> Result<()> {
        Err(not_built("tokens"))
    }

    pub(super) fn pg_token_principal(
        &self,
        _token: &str,
        _kind: TokenKind,
    ) -> Result<Option<(Principal, Option<SfId>)>> {
        Err(not_built("tokens"))
    }

    pub(super) fn pg_revoke_token(&self, _token: &str) -> Result<bool> {
        Err(not_built("tokens"))
    }

    pub(super) fn pg_list_orgs(&self) -> Result<Vec<Org>> {
        Err(not_built("orgs"))
    }

    pub(super) fn pg_list_users(&self, _org: SfId) -> Result<Vec<Principal>> {
        Err(not_built("users"))
    }

    pub(super) fn pg_list_apps(&self, _org: SfId) -> Result<Vec<App>> {
        Err(not_built("apps"))
    }

    pub(super) fn pg_add_api_usage(
        &self,
        _org: SfId,
        _counter: ApiCounter,
        _n: u64,
        _now: DateTime<Utc>,
    ) -> Result<u64> {
        Err(not_built("API usage"))
    }

    pub(super) fn pg_api_usage(
        &self,
        _org: SfId,
        _counter: ApiCounter,
        _now: DateTime<Utc>,
    ) -> Result<u64> {
        Err(not_built("API usage"))
    }
}
