//! [`StoreError`], what every backend's failures become, and how PostgreSQL's errors map onto it: which
//! ones are the database being out of reach or momentarily contended (retried, never a reason to fail a
//! job) and which are real errors.

/// A storage failure. Row-level problems are never errors: they are [`crate::RowOutcome::Failed`].
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// A PostgreSQL error that is not about reaching the database (those are [`StoreError::Unavailable`]).
    #[error("database error: {0}")]
    Postgres(::postgres::Error),
    /// The database or object store cannot be reached right now (down, restarting, connections
    /// exhausted), or PostgreSQL gave a statement up over contention (a deadlock, a lock timeout): the
    /// request may be retried and a job resumes from its checkpoint once it is back. Never a reason to
    /// fail a job.
    #[error("storage unavailable: {0}")]
    Unavailable(String),
    /// A blob or file could not be read or written. An I/O error that carries [`Unreachable`] (a
    /// stream from the object store broken off after its retries) becomes [`StoreError::Unavailable`]
    /// instead (see the `From` impl).
    #[error("blob storage error: {0}")]
    Io(#[source] std::io::Error),
    #[error("stored data is inconsistent: {0}")]
    Corrupt(String),
    #[error("{0}")]
    Invalid(String),
    /// Too many password checks at once: the caller should answer "try again later" (see
    /// `auth::hashing` for why hashing is bounded).
    #[error("too many password checks at once; try again later")]
    Busy,
    /// What the caller named does not exist (a snapshot).
    #[error("{0}")]
    NotFound(String),
    /// The name is taken (a snapshot).
    #[error("{0}")]
    Duplicate(String),
}

impl From<::postgres::Error> for StoreError {
    /// Connection-level failures (the socket closed, PostgreSQL shutting down or refusing connections,
    /// SQLSTATE class 08 and 57P0x) and contention that a retry resolves (see [`is_contention`]) become
    /// [`StoreError::Unavailable`]; everything else stays an error.
    fn from(e: ::postgres::Error) -> StoreError {
        let unreachable = e.is_closed()
            || e.code().is_some_and(|c| {
                let code = c.code();
                code.starts_with("08") || code.starts_with("57P0")
            })
            || (e.code().is_none()
                && std::error::Error::source(&e)
                    .is_some_and(<dyn std::error::Error>::is::<std::io::Error>));
        if unreachable || e.code().is_some_and(is_contention) {
            StoreError::Unavailable(e.to_string())
        } else {
            StoreError::Postgres(e)
        }
    }
}

/// Whether PostgreSQL gave up a statement only because of other transactions: a deadlock it broke
/// (40P01), a serialization failure (40001), a lock not had within `lock_timeout` (55P03). The data is
/// fine and the same work succeeds when run again, so a job meeting one pauses and resumes from its
/// checkpoint (as for an outage) instead of failing, and a request gets a 503 to retry.
fn is_contention(code: &::postgres::error::SqlState) -> bool {
    use ::postgres::error::SqlState;
    [
        SqlState::T_R_DEADLOCK_DETECTED,
        SqlState::T_R_SERIALIZATION_FAILURE,
        SqlState::LOCK_NOT_AVAILABLE,
    ]
    .contains(code)
}

#[cfg(test)]
mod tests {
    use super::{StoreError, Unreachable};

    #[test]
    fn an_io_error_carrying_unreachable_is_unavailable() {
        let broken = Unreachable("object store s3://b: connection reset".into()).into_io();
        // Through a reader's layers (a BufReader passes the error on as it is) and `?`.
        let e: StoreError = broken.into();
        assert!(
            matches!(&e, StoreError::Unavailable(m) if m.contains("connection reset")),
            "{e:?}"
        );
    }

    #[test]
    fn other_io_errors_stay_io() {
        for e in [
            std::io::Error::other("disk full"),
            std::io::Error::from(std::io::ErrorKind::PermissionDenied),
        ] {
            assert!(matches!(StoreError::from(e), StoreError::Io(_)));
        }
    }
}

/// The storage could not be reached, as the cause inside an [`std::io::Error`]: a blob's reader and
/// writer speak `std::io`, so a failure of the object store in the middle of a stream (after its
/// retries) travels as an I/O error carrying this, and becomes [`StoreError::Unavailable`] when it
/// reaches the store's error type: the request answers 503 and a job pauses, never fails.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Unreachable(pub String);

impl Unreachable {
    /// The I/O error a stream's `read` or `write` returns for it.
    pub fn into_io(self) -> std::io::Error {
        std::io::Error::other(self)
    }
}

impl From<std::io::Error> for StoreError {
    fn from(e: std::io::Error) -> StoreError {
        match e
            .get_ref()
            .and_then(|inner| inner.downcast_ref::<Unreachable>())
        {
            Some(unreachable) => StoreError::Unavailable(unreachable.0.clone()),
            None => StoreError::Io(e),
        }
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;
