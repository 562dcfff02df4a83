//! The SOAP login request reader (`bulkforce_server::fuzzing::parse_login_request`, the handler's own):
//! - never panics on any body, however broken its XML;
//! - a login envelope built the way clients build it (values XML-escaped, with or without a namespace
//!   prefix) reads back with exactly its username and password, and a logout with its session id.
//!
//! Input: [mode (bits 0–1 clear: also build envelopes; bit 2 prefixes the elements)] then the body, or
//! `username NUL password`.
#![no_main]

use bulkforce_server::fuzzing::parse_login_request;
use libfuzzer_sys::fuzz_target;
use quick_xml::escape::escape;

fn login(prefix: &str, username: &str, password: &str) -> String {
    let (username, password) = (escape(username), escape(password));
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?><env:Envelope xmlns:env="http://schemas.xmlsoap.org/soap/envelope/"><env:Body><{prefix}login xmlns:n1="urn:partner.soap.sforce.com"><{prefix}username>{username}</{prefix}username><{prefix}password>{password}</{prefix}password></{prefix}login></env:Body></env:Envelope>"#
    )
}

fn logout(session_id: &str) -> String {
    let session_id = escape(session_id);
    format!(
        r#"<se:Envelope xmlns:se="http://schemas.xmlsoap.org/soap/envelope/"><se:Header><SessionHeader xmlns="urn:partner.soap.sforce.com"><sessionId>{session_id}</sessionId></SessionHeader></se:Header><se:Body><logout xmlns="urn:partner.soap.sforce.com"/></se:Body></se:Envelope>"#
    )
}

fuzz_target!(|input: &[u8]| {
    let Some((&mode, rest)) = input.split_first() else {
        return;
    };
    let request = parse_login_request(rest);
    if mode & 3 != 0 || request.logout {
        return;
    }
    // Structured: the rest is `username \0 password` (or a session id), as text a client would send.
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let (username, password) = text.split_once('\0').unwrap_or((text, "secret"));
    if username.is_empty()
        || password.is_empty()
        || username.contains('\0')
        || password.contains('\0')
    {
        return;
    }
    let prefix = if mode & 4 == 4 { "n1:" } else { "" };
    let read = parse_login_request(login(prefix, username, password).as_bytes());
    assert_eq!(
        read.username.as_deref(),
        Some(username),
        "username of {text:?}"
    );
    assert_eq!(
        read.password.as_deref(),
        Some(password),
        "password of {text:?}"
    );
    assert!(!read.logout);
    let read = parse_login_request(logout(username).as_bytes());
    assert!(read.logout);
    assert_eq!(
        read.session_id.as_deref(),
        Some(username),
        "session id {username:?}"
    );
});
