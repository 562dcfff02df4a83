//! Error codes of fault rules. A row error's code is `&'static str` in core (every code the server itself
//! produces is a literal), so a row rule's code is interned: each distinct code is leaked once and reused by
//! every later rule with it. The number of distinct codes is capped, so posting rules cannot grow memory
//! without bound.

use super::rule::RuleError;
use parking_lot::Mutex;
use std::collections::BTreeSet;

/// Distinct row error codes kept at most (Salesforce has a few hundred status codes in all).
const MAX_CODES: usize = 1_000;
/// The longest error code accepted.
const MAX_CODE_CHARS: usize = 80;

static CODES: Mutex<BTreeSet<&'static str>> = Mutex::new(BTreeSet::new());

/// A code in Salesforce's shape: upper-case letters, digits and underscores, starting with a letter.
pub(super) fn check(code: &str) -> Result<String, RuleError> {
    let shaped = code.len() <= MAX_CODE_CHARS
        && code.starts_with(|c: char| c.is_ascii_uppercase())
        && code
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_');
    if shaped {
        Ok(code.to_owned())
    } else {
        Err(RuleError::from_message(format!(
            "`errorCode` must look like Salesforce's (upper-case letters, digits and _, at most \
             {MAX_CODE_CHARS}), such as UNABLE_TO_LOCK_ROW, not {code:?}"
        )))
    }
}

/// The `'static` copy of `code`, made once per distinct code.
pub(super) fn intern(code: &str) -> Result<&'static str, RuleError> {
    let mut codes = CODES.lock();
    if let Some(known) = codes.get(code) {
        return Ok(known);
    }
    if codes.len() >= MAX_CODES {
        return Err(RuleError::from_message(format!(
            "too many distinct row error codes (at most {MAX_CODES} per process)"
        )));
    }
    let leaked: &'static str = Box::leak(code.to_owned().into_boxed_str());
    codes.insert(leaked);
    Ok(leaked)
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_code_is_interned_once() {
        let a = super::intern("SOME_CODE_1").unwrap();
        let b = super::intern("SOME_CODE_1").unwrap();
        assert!(std::ptr::eq(a, b));
        assert!(super::check("UNABLE_TO_LOCK_ROW").is_ok());
        assert!(super::check("unable").is_err());
        assert!(super::check("").is_err());
    }
}
