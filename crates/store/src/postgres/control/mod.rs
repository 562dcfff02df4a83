//! The control plane in the shared `bulkforce` schema: orgs, users, logins and lockouts, connected apps,
//! tokens, settings (clock, seed marker) and API usage. Every instance reads and writes the same rows, so
//! a token issued by one works on all, a lockout counts every instance's attempts, and API usage is one
//! total per org.
//!
//! What is not about PostgreSQL (argon2 with its permits, token hashing, random secrets, the lockout's
//! end) is `crate::auth`, shared with the SQLite backend; each module here is one concern's SQL.

mod apps;
mod lockout;
mod orgs;
mod records;
mod settings;
mod tokens;
mod usage;
mod users;

// What a reset of an org does to the control plane (`data_ops`).
pub(in crate::postgres) use settings::clear_seed_marker;
pub(in crate::postgres) use usage::forget_usage;

use crate::{Principal, Result, StoreError};
use bulkforce_core::id::SfId;
use postgres::Row;
use postgres::error::SqlState;

/// An id read back from a control table.
fn parse_id(text: &str) -> Result<SfId> {
    SfId::parse(text).map_err(|e| StoreError::Corrupt(format!("{text}: {e}")))
}

/// The principal in columns `at..at + 3` of `row`: org id, user id, username.
fn principal_at(row: &Row, at: usize) -> Result<Principal> {
    Ok(Principal {
        org_id: parse_id(row.try_get(at)?)?,
        user_id: parse_id(row.try_get(at + 1)?)?,
        username: row.try_get(at + 2)?,
    })
}

/// Whether `e` is a unique-constraint violation (a username taken by a concurrent insert).
fn is_unique_violation(e: &postgres::Error) -> bool {
    e.code() == Some(&SqlState::UNIQUE_VIOLATION)
}

/// What a taken username is answered with, by every path that can find it taken.
fn username_taken(username: &str) -> StoreError {
    StoreError::Invalid(format!("the username {username} is already taken"))
}
