//! The control plane's records: orgs, users (as principals), connected apps, tokens and login lockouts,
//! as every backend returns them.

use bulkforce_core::id::SfId;
use chrono::{DateTime, Utc};

/// Who a token belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub org_id: SfId,
    pub user_id: SfId,
    pub username: String,
}

/// An org.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Org {
    pub id: SfId,
    pub name: String,
    pub is_default: bool,
}

/// A connected app: OAuth clients authenticate as one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct App {
    pub id: SfId,
    pub org_id: SfId,
    pub name: String,
    pub client_id: String,
    /// PEM certificate whose key signs JWT bearer assertions.
    pub certificate: Option<String>,
}

/// Access tokens authorise API calls; refresh tokens obtain new access tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    Access,
    Refresh,
}

/// When wrong passwords lock a user out, as Salesforce's password policy (defaults: 10 attempts, 15
/// minutes). The counter restarts at a successful login and when a lockout ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockoutPolicy {
    /// Wrong passwords in a row that lock the user out; 0: never.
    pub attempts: u32,
    /// How long a lockout lasts; `None`: until an administrator unlocks the user (Salesforce's "Forever").
    pub duration: Option<std::time::Duration>,
}

impl LockoutPolicy {
    /// No lockout at all.
    pub const NEVER: LockoutPolicy = LockoutPolicy {
        attempts: 0,
        duration: None,
    };
}

impl Default for LockoutPolicy {
    fn default() -> Self {
        LockoutPolicy {
            attempts: 10,
            duration: Some(std::time::Duration::from_secs(15 * 60)),
        }
    }
}

/// What a password login came to. Callers answer `Refused` and `LockedOut` the same way (Salesforce's
/// `INVALID_LOGIN` covers both); they differ for logs and tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginOutcome {
    Accepted(Principal),
    /// Unknown user, user without a password, or wrong password.
    Refused,
    /// The user is locked out: refused even with the right password.
    LockedOut,
}

/// A user whose wrong passwords locked them out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockedUser {
    pub principal: Principal,
    /// When the lockout ends; `None`: when an administrator unlocks the user.
    pub until: Option<DateTime<Utc>>,
}
