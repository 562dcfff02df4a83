//! `Accept-Encoding` as RFC 9110 §12.5.3 defines it, for the one coding the server produces (gzip).
//!
//! Salesforce compresses Bulk API results "when the request has `Accept-Encoding: gzip`"; the header's
//! grammar is HTTP's: `#( codings [ OWS ";" OWS "q=" qvalue ] )` where a coding is a name (compared without
//! case), `identity` (no encoding) or `*` (any coding not listed otherwise), and
//! `qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )`. A weight of 0 means "not acceptable",
//! whatever its spelling (`q=0`, `q=0.0`, `q=0.000`). An entry whose weight breaks that grammar says
//! nothing and is skipped.

use axum::http::{HeaderMap, header};

/// Whether a result body should be gzip-compressed for this request: gzip (by name, its old alias
/// `x-gzip`, or `*`) has a weight above 0, and no higher weight is given to sending it uncompressed
/// (`identity`, or `*` when identity is not named). Without the header, or when gzip is not acceptable,
/// the body goes uncompressed, the one representation every client can read.
pub fn accepts_gzip(headers: &HeaderMap) -> bool {
    let weights = Weights::of(headers);
    let gzip = weights.gzip.or(weights.any).unwrap_or(0);
    let identity = weights.identity.or(weights.any).unwrap_or(0);
    gzip > 0 && gzip >= identity
}

/// The weights, in thousandths, the header gives to the codings that matter here (the first entry of each
/// wins); `None` when not named.
#[derive(Debug, Default, PartialEq, Eq)]
struct Weights {
    gzip: Option<u16>,
    identity: Option<u16>,
    any: Option<u16>,
}

impl Weights {
    fn of(headers: &HeaderMap) -> Weights {
        let mut weights = Weights::default();
        let entries = headers
            .get_all(header::ACCEPT_ENCODING)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','));
        for entry in entries {
            let mut parts = entry.split(';');
            let coding = parts.next().unwrap_or_default().trim();
            let Some(weight) = weight(parts) else {
                continue;
            };
            let slot =
                if coding.eq_ignore_ascii_case("gzip") || coding.eq_ignore_ascii_case("x-gzip") {
                    &mut weights.gzip
                } else if coding.eq_ignore_ascii_case("identity") {
                    &mut weights.identity
                } else if coding == "*" {
                    &mut weights.any
                } else {
                    continue;
                };
            slot.get_or_insert(weight);
        }
        weights
    }
}

/// The weight of one entry from its parameters: 1000 without a `q`, `None` when the `q` is malformed.
fn weight<'a>(parameters: impl Iterator<Item = &'a str>) -> Option<u16> {
    for parameter in parameters {
        let Some((name, value)) = parameter.split_once('=') else {
            continue;
        };
        if name.trim().eq_ignore_ascii_case("q") {
            return qvalue(value.trim());
        }
    }
    Some(1000)
}

/// A `qvalue` in thousandths: `0`, `0.5`, `0.125`, `1`, `1.000`; anything else is `None`.
fn qvalue(text: &str) -> Option<u16> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    if fraction.len() > 3 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let thousandths = fraction
        .bytes()
        .chain(std::iter::repeat(b'0'))
        .take(3)
        .fold(0u16, |n, digit| n * 10 + u16::from(digit - b'0'));
    match whole {
        "0" => Some(thousandths),
        "1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn accepts(values: &[&str]) -> bool {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append(
                header::ACCEPT_ENCODING,
                HeaderValue::from_str(value).unwrap(),
            );
        }
        accepts_gzip(&headers)
    }

    #[test]
    fn qvalues_follow_the_rfc_grammar() {
        assert_eq!(qvalue("0"), Some(0));
        assert_eq!(qvalue("0."), Some(0));
        assert_eq!(qvalue("0.000"), Some(0));
        assert_eq!(qvalue("0.5"), Some(500));
        assert_eq!(qvalue("0.125"), Some(125));
        assert_eq!(qvalue("1"), Some(1000));
        assert_eq!(qvalue("1.000"), Some(1000));
        for malformed in ["", "1.5", "2", "0.0001", "-0", "abc", "0.a", ".5"] {
            assert_eq!(qvalue(malformed), None, "{malformed}");
        }
    }

    #[test]
    fn a_zero_weight_refuses_whatever_its_spelling() {
        for refused in [
            "gzip;q=0",
            "gzip;q=0.0",
            "gzip; q=0.000",
            "GZIP;Q=0",
            "gzip ; q = 0",
        ] {
            assert!(!accepts(&[refused]), "{refused}");
        }
        for accepted in [
            "gzip",
            "gzip;q=0.5",
            "gzip;q=0.001",
            "GZip",
            "x-gzip",
            "gzip;q=1.0",
        ] {
            assert!(accepts(&[accepted]), "{accepted}");
        }
    }

    #[test]
    fn star_and_identity() {
        assert!(accepts(&["*"]));
        assert!(accepts(&["deflate, *;q=0.1"]));
        assert!(!accepts(&["*;q=0"]));
        assert!(!accepts(&["gzip;q=0, *"]));
        assert!(accepts(&["gzip, *;q=0"]));
        assert!(!accepts(&["identity"]));
        assert!(!accepts(&["identity;q=1, gzip;q=0.5"]));
        assert!(accepts(&["identity;q=0.5, gzip"]));
        assert!(accepts(&["gzip;q=0.5, identity;q=0.5"]));
        assert!(!accepts(&["identity, *;q=0.5"]));
        assert!(!accepts(&["identity;q=0"]));
    }

    #[test]
    fn entries_may_span_header_lines_and_malformed_ones_say_nothing() {
        assert!(accepts(&["deflate", "gzip"]));
        assert!(!accepts(&[]));
        assert!(!accepts(&[""]));
        assert!(!accepts(&["gzip;q=2"]));
        assert!(accepts(&["gzip;q=2, *"]));
        assert!(!accepts(&["br, deflate"]));
    }
}
