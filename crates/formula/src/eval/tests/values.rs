//! `FValue`'s helpers for writers: blank test, TEXT() rendering, reading stored text by type.

use super::*;

#[test]
fn blank_and_rendering() {
    assert!(NULL.is_blank());
    assert!(s("").is_blank());
    assert!(!s(" ").is_blank());
    assert!(!n(0.0).is_blank());
    assert!(!b(false).is_blank());
    assert_eq!(n(1.5).to_text().as_deref(), Some("1.5"));
    assert_eq!(n(-12.0).to_text().as_deref(), Some("-12"));
    assert_eq!(n(1e-7).to_text().as_deref(), Some("0.0000001"));
    assert_eq!(b(true).to_text().as_deref(), Some("true"));
    assert_eq!(d(2024, 2, 29).to_text().as_deref(), Some("2024-02-29"));
    assert_eq!(
        dt(2024, 2, 29, 1, 2, 3).to_text().as_deref(),
        Some("2024-02-29 01:02:03Z")
    );
    assert_eq!(tm(13, 5, 0, 7).to_text().as_deref(), Some("13:05:00.007"));
    assert_eq!(s("").to_text(), None);
    assert_eq!(NULL.to_text(), None);
}

#[test]
fn from_text_reads_stored_values() {
    let ok: [(FType, &str, FValue); 16] = [
        (FType::Number, "12.50", n(12.5)),
        (FType::Number, "-3", n(-3.0)),
        (FType::Number, "1.5E3", n(1500.0)),
        (FType::Number, "", NULL),
        (FType::Text, "abc", s("abc")),
        (FType::Picklist, "Hot", s("Hot")),
        (FType::MultiPicklist, "a;b", s("a;b")),
        (FType::Boolean, "true", b(true)),
        (FType::Boolean, "FALSE", b(false)),
        (FType::Boolean, "1", b(true)),
        (FType::Date, "2024-02-29", d(2024, 2, 29)),
        (
            FType::DateTime,
            "2024-02-29T01:02:03.000Z",
            dt(2024, 2, 29, 1, 2, 3),
        ),
        (
            FType::DateTime,
            "2024-02-29T03:02:03.000+0200",
            dt(2024, 2, 29, 1, 2, 3),
        ),
        (
            FType::DateTime,
            "2024-02-29 01:02:03",
            dt(2024, 2, 29, 1, 2, 3),
        ),
        (FType::Time, "13:05:00.007Z", tm(13, 5, 0, 7)),
        (FType::Time, "13:05:00", tm(13, 5, 0, 0)),
    ];
    for (ty, text, expected) in ok {
        assert_eq!(FValue::from_text(ty, text), Ok(expected), "{ty:?} {text:?}");
    }
    for (ty, text) in [
        (FType::Number, "abc"),
        (FType::Number, "inf"),
        (FType::Number, "NaN"),
        (FType::Boolean, "yes"),
        (FType::Date, "2024-02-30"),
        (FType::DateTime, "yesterday"),
        (FType::Time, "25:00:00"),
    ] {
        assert!(FValue::from_text(ty, text).is_err(), "{ty:?} {text:?}");
    }
}
