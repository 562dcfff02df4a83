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
