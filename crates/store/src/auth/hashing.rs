//! Argon2 hashing of passwords and client secrets, with bounded concurrency and memory.
//!
//! One argon2 run with the default parameters (Argon2id, m = 19 MiB, t = 2) needs 19 MiB of working
//! memory. Allocated afresh for every check, a flood of wrong logins on the blocking-thread pool made
//! every thread's malloc arena keep its peak: 32 parallel login loops took the server from 12 MB to
//! 2.35 GB of RSS, without any credentials. So every argon2 run here takes one of a few permits (as many
//! as the machine has cores, at most [`MAX_PERMITS`]), and each permit owns a memory block that is
//! reused from run to run: the process never holds more than `permits × 19 MiB` for hashing. A caller
//! that finds no permit free waits at most [`MAX_WAIT`]; past it, or when [`MAX_WAITING`] callers are
//! already waiting, it gets [`Busy`] at once (the server answers "try again later", and the attempt does
//! not count as a failed login).
//!
//! Hashes stay in the PHC string format `argon2::PasswordHash` writes and reads, so hashes made before
//! (or by `argon2`'s own `PasswordHasher`) verify here, and the other way round.

use argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use std::sync::{Condvar, Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::{Duration, Instant};

/// Argon2 runs at the same time in one process, whatever the number of cores: each holds 19 MiB.
const MAX_PERMITS: usize = 8;
/// How long a check waits for a permit before giving up.
pub(crate) const MAX_WAIT: Duration = Duration::from_secs(5);
/// Callers allowed to wait for a permit; more are refused at once, so that a flood cannot take every
/// thread of the blocking pool (which every other store call needs too).
const MAX_WAITING: usize = 64;
/// The largest argon2 memory a stored hash may ask for (a corrupt or hostile hash must not make the
/// process allocate gigabytes): 64 MiB, in 1 KiB blocks.
const MAX_BLOCKS: usize = 64 * 1024;

/// No hashing permit came free in time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Busy;

/// The hash unknown usernames are checked against, so that a wrong password for a real user and any
/// password for an unknown one take the same time. Made with the default parameters (as every new hash
/// is) from a random password nobody knows; a test checks the parameters.
pub(crate) const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$L4Muwbqde85AF/KJM34WIA$Gb2A0tsXWo3HvXxeJCC3VeVv1yvxf88jrL7KgSk2TiU";

/// The permits and the memory blocks they own.
pub(crate) struct Hasher {
    permits: usize,
    pool: Mutex<Pool>,
    freed: Condvar,
}

#[derive(Default)]
struct Pool {
    /// Memory blocks of permits nobody holds.
    idle: Vec<Vec<Block>>,
    /// Permits created so far (held or idle); never more than `permits`.
    created: usize,
    waiting: usize,
}

/// A held permit: its memory goes back to the pool when dropped. A login takes one before it touches
/// the lockout count, so that running out of permits ([`Busy`]) happens before an attempt is counted.
pub(crate) struct Permit<'a> {
    hasher: &'a Hasher,
    memory: Vec<Block>,
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        let memory = std::mem::take(&mut self.memory);
        self.hasher.lock().idle.push(memory);
        self.hasher.freed.notify_one();
    }
}

impl Permit<'_> {
    /// At least `blocks` blocks of working memory, grown once and kept for the next run.
    fn memory(&mut self, blocks: usize) -> Option<&mut [Block]> {
        if blocks > MAX_BLOCKS {
            return None;
        }
        if self.memory.len() < blocks {
            self.memory.resize(blocks, Block::default());
        }
        Some(&mut self.memory[..blocks])
    }

    /// Whether `secret` matches the PHC `hash` (false for a hash that cannot be read or asks for too
    /// much memory), run with this permit's memory.
    pub(crate) fn verify(&mut self, secret: &str, hash: &str) -> bool {
        let Some(stored) = StoredHash::parse(hash) else {
            return false;
        };
        let Some(memory) = self.memory(stored.params.block_count()) else {
            return false;
        };
        let mut out = vec![0u8; stored.expected.len()];
        let computed = Argon2::new(stored.algorithm, stored.version, stored.params.clone())
            .hash_password_into_with_memory(secret.as_bytes(), &stored.salt, &mut out, memory);
        // `Output`'s equality is constant-time.
        computed.is_ok() && Output::new(&out).is_ok_and(|out| out == stored.expected)
    }
}

/// The process's hasher: permits are per process, as the memory they bound is.
pub(crate) fn hasher() -> &'static Hasher {
    static HASHER: OnceLock<Hasher> = OnceLock::new();
    HASHER.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        Hasher::new(cores.clamp(1, MAX_PERMITS))
    })
}

impl Hasher {
    pub(crate) fn new(permits: usize) -> Hasher {
        Hasher {
            permits,
            pool: Mutex::new(Pool::default()),
            freed: Condvar::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Pool> {
        // The pool's data stays consistent whatever panicked while it was held.
        self.pool.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A permit, waiting at most [`MAX_WAIT`] for one.
    pub(crate) fn permit(&self) -> Result<Permit<'_>, Busy> {
        self.acquire(MAX_WAIT)
    }

    fn acquire(&self, wait: Duration) -> Result<Permit<'_>, Busy> {
        let deadline = Instant::now() + wait;
        let mut pool = self.lock();
        loop {
            if let Some(memory) = pool.idle.pop() {
                return Ok(Permit {
                    hasher: self,
                    memory,
                });
            }
            if pool.created < self.permits {
                pool.created += 1;
                return Ok(Permit {
                    hasher: self,
                    memory: Vec::new(),
                });
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() || pool.waiting >= MAX_WAITING {
                return Err(Busy);
            }
            pool.waiting += 1;
            pool = self
                .freed
                .wait_timeout(pool, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
            pool.waiting -= 1;
        }
    }

    /// A new PHC hash of `secret` with argon2's default parameters and a random salt.
    pub(crate) fn hash(&self, secret: &str) -> Result<String, HashError> {
        let salt_bytes: [u8; 16] = rand::random();
        let salt = SaltString::encode_b64(&salt_bytes)?;
        let params = Params::default();
        let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
        {
            let mut permit = self.acquire(MAX_WAIT)?;
            let memory = permit
                .memory(params.block_count())
                .ok_or(HashError::Argon2(argon2::Error::MemoryTooMuch))?;
            Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
                .hash_password_into_with_memory(secret.as_bytes(), &salt_bytes, &mut out, memory)?;
        }
        let hash = PasswordHash {
            algorithm: Algorithm::Argon2id.ident(),
            version: Some(Version::V0x13.into()),
            params: ParamsString::try_from(&params)?,
            salt: Some(salt.as_salt()),
            hash: Some(Output::new(&out)?),
        };
        Ok(hash.to_string())
    }

    /// Whether `secret` matches the PHC `hash` (false for a hash that cannot be read).
    pub(crate) fn verify(&self, secret: &str, hash: &str) -> Result<bool, Busy> {
        Ok(self.permit()?.verify(secret, hash))
    }
}

/// What a PHC hash string says, owned.
struct StoredHash {
    algorithm: Algorithm,
    version: Version,
    params: Params,
    salt: Vec<u8>,
    expected: Output,
}

impl StoredHash {
    fn parse(hash: &str) -> Option<StoredHash> {
        let parsed = PasswordHash::new(hash).ok()?;
        let algorithm = Algorithm::try_from(parsed.algorithm).ok()?;
        let version = match parsed.version {
            Some(v) => Version::try_from(v).ok()?,
            None => Version::default(),
        };
        let params = Params::try_from(&parsed).ok()?;
        let mut salt = [0u8; 64];
        let salt = parsed.salt?.decode_b64(&mut salt).ok()?.to_vec();
        Some(StoredHash {
            algorithm,
            version,
            params,
            salt,
            expected: parsed.hash?,
        })
    }
}

/// Why a new hash could not be made.
#[derive(Debug, thiserror::Error)]
pub(crate) enum HashError {
    #[error("too many password checks at once")]
    Busy,
    // argon2's errors implement `Display` but not `std::error::Error` (no `std` feature): no `#[from]`.
    #[error("argon2: {0}")]
    Argon2(argon2::Error),
    #[error("password hash: {0}")]
    Format(argon2::password_hash::Error),
}

impl From<argon2::Error> for HashError {
    fn from(e: argon2::Error) -> Self {
        HashError::Argon2(e)
    }
}

impl From<argon2::password_hash::Error> for HashError {
    fn from(e: argon2::password_hash::Error) -> Self {
        HashError::Format(e)
    }
}

impl From<Busy> for HashError {
    fn from(_: Busy) -> Self {
        HashError::Busy
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::password_hash::{PasswordHasher, PasswordVerifier};
    use std::sync::Arc;

    #[test]
    fn new_hashes_and_argon2s_own_hashes_verify_both_ways() {
        let hasher = Hasher::new(1);
        let ours = hasher.hash("s3cret").unwrap();
        assert!(ours.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(
            Argon2::default()
                .verify_password(b"s3cret", &parsed)
                .is_ok()
        );
        assert!(
            Argon2::default()
                .verify_password(b"other", &parsed)
                .is_err()
        );

        let salt = SaltString::encode_b64(b"sixteen-byte-slt").unwrap();
        let theirs = Argon2::default()
            .hash_password(b"s3cret", &salt)
            .unwrap()
            .to_string();
        assert_eq!(hasher.verify("s3cret", &theirs), Ok(true));
        assert_eq!(hasher.verify("S3cret", &theirs), Ok(false));
        assert_eq!(hasher.verify("s3cret", &ours), Ok(true));
        assert_eq!(hasher.verify("s3cret", "not a hash"), Ok(false));
    }

    #[test]
    fn the_dummy_hash_costs_what_a_real_one_does() {
        let dummy = PasswordHash::new(DUMMY_HASH).unwrap();
        let real = Hasher::new(1).hash("x").unwrap();
        let real = PasswordHash::new(&real).unwrap();
        assert_eq!(dummy.algorithm, real.algorithm);
        assert_eq!(dummy.version, real.version);
        assert_eq!(dummy.params, real.params);
        assert_eq!(Hasher::new(1).verify("", DUMMY_HASH), Ok(false));
    }

    #[test]
    fn a_hash_asking_for_too_much_memory_is_refused_without_allocating() {
        let huge = "$argon2id$v=19$m=4194304,t=1,p=1$L4Muwbqde85AF/KJM34WIA$Gb2A0tsXWo3HvXxeJCC3VeVv1yvxf88jrL7KgSk2TiU";
        assert_eq!(Hasher::new(1).verify("x", huge), Ok(false));
    }

    #[test]
    fn runs_wait_for_a_permit_and_give_up_after_the_wait() {
        let hasher = Arc::new(Hasher::new(1));
        let held = hasher.acquire(MAX_WAIT).unwrap();
        assert!(matches!(
            hasher.acquire(Duration::from_millis(20)),
            Err(Busy)
        ));
        let waiter = {
            let hasher = hasher.clone();
            std::thread::spawn(move || hasher.acquire(Duration::from_secs(5)).is_ok())
        };
        std::thread::sleep(Duration::from_millis(50));
        drop(held);
        assert!(waiter.join().unwrap());
        // The memory block of the one permit is reused, never a second one made.
        assert_eq!(hasher.lock().created, 1);
    }
}
