//! What every backend does the same way with credentials: argon2 for passwords and client secrets
//! (bounded in concurrency and memory: [`hashing`]), SHA-256 for tokens (random and high-entropy, so a
//! token can be found by its hash), random secrets, the lockout's end, and the default org's names.
//! Nothing secret is ever stored in clear, whichever backend stores it.

pub(crate) mod hashing;

use crate::{LockoutPolicy, Result, StoreError};
use sha2::{Digest, Sha256};

pub(crate) use hashing::DUMMY_HASH;

/// The org every store has, made on the first start.
pub(crate) const DEFAULT_ORG_NAME: &str = "bulkforce";
/// The default org's admin (without a password: the `--access-token` logs in as it).
pub(crate) const DEFAULT_ADMIN_USERNAME: &str = "admin@bulkforce.local";

/// Connected-app ids use Salesforce's `0H4` prefix.
pub(crate) const APP_PREFIX: &str = "0H4";

/// `locked_until_ms` of a lockout that lasts until an administrator ends it.
pub(crate) const FOREVER: i64 = i64::MAX;

/// The stored form of a token: its SHA-256, in lower-case hex.
pub(crate) fn hash_token(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A new argon2 hash of a password or client secret; `StoreError::Busy` when no hashing permit came
/// free in time.
pub(crate) fn hash_secret(secret: &str) -> Result<String> {
    hashing::hasher().hash(secret).map_err(|e| match e {
        hashing::HashError::Busy => StoreError::Busy,
        e => StoreError::Invalid(format!("hashing failed: {e}")),
    })
}

/// Whether `secret` matches `hash`; `StoreError::Busy` when no hashing permit came free in time.
pub(crate) fn verify_secret(secret: &str, hash: &str) -> Result<bool> {
    hashing::hasher()
        .verify(secret, hash)
        .map_err(|hashing::Busy| StoreError::Busy)
}

/// A hashing permit of the process, held across a login's lockout bookkeeping and its one argon2 run;
/// `StoreError::Busy` when none came free in time.
pub(crate) fn hashing_permit() -> Result<hashing::Permit<'static>> {
    hashing::hasher()
        .permit()
        .map_err(|hashing::Busy| StoreError::Busy)
}

/// A random secret of `len` characters from `[A-Za-z0-9]`.
pub(crate) fn random_secret(len: usize) -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    (0..len)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

/// When a lockout starting at `now_ms` ends under `policy` ([`FOREVER`] when it has no duration).
pub(crate) fn lock_end(policy: &LockoutPolicy, now_ms: i64) -> i64 {
    match policy.duration {
        Some(duration) => {
            now_ms.saturating_add(i64::try_from(duration.as_millis()).unwrap_or(FOREVER))
        }
        None => FOREVER,
    }
}

/// A login attempt, counted towards a lockout before its password is checked.
pub(crate) struct Attempt {
    pub(crate) principal: crate::Principal,
    pub(crate) password_hash: String,
}

/// Where a backend keeps the lockout counts: the three steps of a password login that touch storage.
pub(crate) trait LoginLedger {
    /// Counts an attempt of a user with a password who is not locked out and returns the hash to check;
    /// `None` for an unknown user, a user without a password and a locked-out user (not counted).
    fn count_attempt(
        &self,
        username: &str,
        policy: &crate::LockoutPolicy,
        now_ms: i64,
    ) -> crate::Result<Option<Attempt>>;
    /// Whether the user is locked out at `now_ms`.
    fn is_locked(&self, username: &str, now_ms: i64) -> crate::Result<bool>;
    /// A right password: the count of wrong ones restarts.
    fn clear_failures(&self, user: &crate::Principal) -> crate::Result<()>;
}

/// A password login, the same on every backend: a hashing permit first (bounded memory), the attempt counted
/// before its password is checked (concurrent guesses get no more checks than the policy allows), and exactly
/// one argon2 check whatever the user, against a dummy hash when there is no real one (same timing).
pub(crate) fn password_login(
    ledger: &impl LoginLedger,
    username: &str,
    password: &str,
    policy: &crate::LockoutPolicy,
    now: chrono::DateTime<chrono::Utc>,
) -> crate::Result<crate::LoginOutcome> {
    use crate::LoginOutcome;
    let mut permit = hashing_permit()?;
    let now_ms = now.timestamp_millis();
    let Some(attempt) = ledger.count_attempt(username, policy, now_ms)? else {
        let outcome = if ledger.is_locked(username, now_ms)? {
            LoginOutcome::LockedOut
        } else {
            LoginOutcome::Refused
        };
        // Only for the time it takes: the user's hash is not checked.
        permit.verify(password, DUMMY_HASH);
        return Ok(outcome);
    };
    if !permit.verify(password, &attempt.password_hash) {
        return Ok(LoginOutcome::Refused);
    }
    drop(permit);
    ledger.clear_failures(&attempt.principal)?;
    Ok(LoginOutcome::Accepted(attempt.principal))
}
