//! Salesforce record ids: 15-character case-sensitive base-62 ids and their 18-character case-insensitive form.
//!
//! Layout (§9 of the protocol reference): a 3-character key prefix naming the object type, a 2-character pod,
//! one reserved character and a 9-character base-62 sequence. The 18-character form appends a checksum that
//! encodes which of the first 15 characters are upper case, so an 18-character id survives lower-casing.

use std::fmt;

/// The base-62 alphabet in ASCII order, so that ids of one prefix sort by their sequence number.
const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
/// The checksum alphabet of the 15 → 18 conversion.
const CHECKSUM: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ012345";
/// Number of distinct shards (the two "pod" characters after the key prefix).
pub const SHARDS: u16 = 62 * 62;
/// Largest sequence that fits in 9 base-62 digits.
pub const MAX_SEQUENCE: u64 = 62u64.pow(9) - 1;

/// Why a string is not a Salesforce id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("an id has 15 or 18 characters, not {0}")]
    Length(usize),
    #[error("an id has only letters and digits")]
    Character,
    #[error("the checksum of the 18-character id does not match")]
    Checksum,
}

/// A validated record id, always held in its canonical 18-character form.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SfId([u8; 18]);

impl SfId {
    /// Parses a 15-character (case-sensitive) or 18-character (case-insensitive) id.
    pub fn parse(text: &str) -> Result<SfId, IdError> {
        let bytes = text.as_bytes();
        if !bytes.iter().all(u8::is_ascii_alphanumeric) {
            return Err(IdError::Character);
        }
        match bytes.len() {
            15 => {
                let mut id15 = [0u8; 15];
                id15.copy_from_slice(bytes);
                Ok(Self::from_15(&id15))
            }
            18 => {
                // Restore the case of the first 15 characters from the checksum, then verify it.
                let mut id15 = [0u8; 15];
                for (chunk, check) in bytes[15..18].iter().enumerate() {
                    let bits = CHECKSUM
                        .iter()
                        .position(|c| c.eq_ignore_ascii_case(check))
                        .ok_or(IdError::Checksum)?;
                    for i in 0..5 {
                        let c = bytes[chunk * 5 + i];
                        let upper = bits & (1 << i) != 0;
                        if upper && c.is_ascii_digit() {
                            return Err(IdError::Checksum);
                        }
                        id15[chunk * 5 + i] = if upper {
                            c.to_ascii_uppercase()
                        } else {
                            c.to_ascii_lowercase()
                        };
                    }
                }
                let id = Self::from_15(&id15);
                if id.0[15..].eq_ignore_ascii_case(&bytes[15..]) {
                    Ok(id)
                } else {
                    Err(IdError::Checksum)
                }
            }
            n => Err(IdError::Length(n)),
        }
    }

    /// Builds the 18-character form of a 15-character id.
    pub fn from_15(id15: &[u8; 15]) -> SfId {
        let mut id = [0u8; 18];
        id[..15].copy_from_slice(id15);
        id[15..].copy_from_slice(&checksum(id15));
        SfId(id)
    }

    /// Mints the id with `sequence` for objects of `prefix` in `shard` (each org has its own shard, so ids
    /// never collide across orgs). Sequences up to [`MAX_SEQUENCE`] never collide within a shard.
    pub fn mint(prefix: KeyPrefix, shard: u16, sequence: u64) -> SfId {
        assert!(sequence <= MAX_SEQUENCE, "id sequence exhausted");
        let shard = shard % SHARDS;
        let mut id15 = [0u8; 15];
        id15[..3].copy_from_slice(&prefix.0);
        id15[3] = BASE62[(shard / 62) as usize];
        id15[4] = BASE62[(shard % 62) as usize];
        id15[5] = b'0';
        let mut rest = sequence;
        for slot in id15[6..].iter_mut().rev() {
            *slot = BASE62[(rest % 62) as usize];
            rest /= 62;
        }
        Self::from_15(&id15)
    }

    pub fn as_str(&self) -> &str {
        // Only ASCII alphanumerics are ever stored.
        std::str::from_utf8(&self.0).expect("ids are ASCII")
    }

    /// The first three characters, which name the object type.
    pub fn key_prefix(&self) -> KeyPrefix {
        KeyPrefix([self.0[0], self.0[1], self.0[2]])
    }
}

/// The 3-character checksum Salesforce appends to a 15-character id.
pub fn checksum(id15: &[u8; 15]) -> [u8; 3] {
    let mut out = [0u8; 3];
    for (chunk, slot) in out.iter_mut().enumerate() {
        let mut bits = 0usize;
        for i in 0..5 {
            if id15[chunk * 5 + i].is_ascii_uppercase() {
                bits |= 1 << i;
            }
        }
        *slot = CHECKSUM[bits];
    }
    out
}

impl fmt::Display for SfId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for SfId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SfId({})", self.as_str())
    }
}

impl std::str::FromStr for SfId {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        SfId::parse(s)
    }
}

/// The three characters at the start of an id that name its object type (`001` Account, `750` job, …).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyPrefix([u8; 3]);

impl KeyPrefix {
    pub const JOB: KeyPrefix = KeyPrefix(*b"750");
    pub const USER: KeyPrefix = KeyPrefix(*b"005");
    pub const ORG: KeyPrefix = KeyPrefix(*b"00D");
    /// Cursor ids, used in job-list locators.
    pub const QUERY_CURSOR: KeyPrefix = KeyPrefix(*b"01g");

    /// Parses three ASCII letters or digits.
    pub fn parse(text: &str) -> Option<KeyPrefix> {
        let b = text.as_bytes();
        (b.len() == 3 && b.iter().all(u8::is_ascii_alphanumeric))
            .then(|| KeyPrefix([b[0], b[1], b[2]]))
    }

    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).expect("prefixes are ASCII")
    }

    /// The `n`-th prefix handed to custom objects: `a00`, `a01`, … `a0z`, `a10`, ….
    pub fn custom(n: usize) -> KeyPrefix {
        let n = n % (62 * 62);
        KeyPrefix([b'a', BASE62[n / 62], BASE62[n % 62]])
    }
}

impl fmt::Display for KeyPrefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for KeyPrefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyPrefix({})", self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksums_match_real_salesforce_ids() {
        for (id15, id18) in [
            ("001D000000IqhSL", "001D000000IqhSLIAZ"),
            ("0013h00000Ffg19", "0013h00000Ffg19AAB"),
            ("7503h00000CV7Gp", "7503h00000CV7GpAAL"),
            ("0053h000002xQ5s", "0053h000002xQ5sAAE"),
            ("7504x00000XkfyM", "7504x00000XkfyMAAR"),
            ("750R0000000zxr8", "750R0000000zxr8IAA"),
            ("00Di0000000icUB", "00Di0000000icUBEAY"),
        ] {
            assert_eq!(SfId::parse(id15).unwrap().as_str(), id18);
            assert_eq!(SfId::parse(id18).unwrap().as_str(), id18);
        }
    }

    #[test]
    fn eighteen_character_ids_are_case_insensitive() {
        let id = SfId::parse("001d000000iqhsliaz").unwrap();
        assert_eq!(id.as_str(), "001D000000IqhSLIAZ");
    }

    #[test]
    fn bad_ids_are_refused() {
        assert_eq!(SfId::parse("abc"), Err(IdError::Length(3)));
        assert_eq!(SfId::parse("001D000000IqhS!"), Err(IdError::Character));
        assert_eq!(SfId::parse("001D000000IqhSL5AZ"), Err(IdError::Checksum));
    }

    #[test]
    fn minted_ids_sort_by_sequence_and_round_trip() {
        let a = SfId::mint(KeyPrefix::JOB, 7, 61);
        let b = SfId::mint(KeyPrefix::JOB, 7, 62);
        assert!(a < b);
        assert_eq!(a.key_prefix(), KeyPrefix::JOB);
        assert_eq!(SfId::parse(a.as_str()).unwrap(), a);
        assert_eq!(SfId::parse(&a.as_str().to_lowercase()).unwrap(), a);
        assert_eq!(
            SfId::mint(KeyPrefix::USER, 5 * 62 + 37, 1).as_str(),
            "0055b0000000001AAA"
        );
    }

    #[test]
    fn custom_prefixes_are_distinct() {
        assert_eq!(KeyPrefix::custom(0).as_str(), "a00");
        assert_eq!(KeyPrefix::custom(63).as_str(), "a11");
    }
}
