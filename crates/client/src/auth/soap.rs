//! The SOAP `login` call of the partner API: the request envelope, and the answer or fault read back.

use super::{Session, snippet};
use crate::{Error, Result};
use quick_xml::Reader;
use quick_xml::events::Event;

/// The partner `login` envelope, username and password escaped.
pub(super) fn soap_login_envelope(username: &str, password: &str) -> String {
    let (username, password) = (
        quick_xml::escape::escape(username),
        quick_xml::escape::escape(password),
    );
    format!(
        r#"<?xml version="1.0" encoding="utf-8" ?><env:Envelope xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:env="http://schemas.xmlsoap.org/soap/envelope/" xmlns:urn="urn:partner.soap.sforce.com"><env:Header><urn:CallOptions><urn:client>bulkforce</urn:client></urn:CallOptions></env:Header><env:Body><n1:login xmlns:n1="urn:partner.soap.sforce.com"><n1:username>{username}</n1:username><n1:password>{password}</n1:password></n1:login></env:Body></env:Envelope>"#
    )
}

/// The elements of a SOAP login answer or fault that matter, whatever their namespace prefix.
#[derive(Default, Debug)]
struct SoapFields {
    server_url: Option<String>,
    session_id: Option<String>,
    user_id: Option<String>,
    organization_id: Option<String>,
    user_name: Option<String>,
    password_expired: Option<String>,
    faultcode: Option<String>,
    faultstring: Option<String>,
    exception_code: Option<String>,
    exception_message: Option<String>,
}

impl SoapFields {
    fn read(xml: &str) -> SoapFields {
        let mut reader = Reader::from_str(xml);
        let mut fields = SoapFields::default();
        let mut current: Option<Vec<u8>> = None;
        loop {
            match reader.read_event() {
                Ok(Event::Start(e)) => current = Some(e.local_name().as_ref().to_vec()),
                Ok(Event::Text(text)) => {
                    let Some(name) = current.as_deref() else {
                        continue;
                    };
                    let slot = match name {
                        b"serverUrl" => &mut fields.server_url,
                        b"sessionId" => &mut fields.session_id,
                        b"userId" => &mut fields.user_id,
                        b"organizationId" => &mut fields.organization_id,
                        b"userName" => &mut fields.user_name,
                        b"passwordExpired" => &mut fields.password_expired,
                        b"faultcode" => &mut fields.faultcode,
                        b"faultstring" => &mut fields.faultstring,
                        b"exceptionCode" => &mut fields.exception_code,
                        b"exceptionMessage" => &mut fields.exception_message,
                        _ => continue,
                    };
                    if slot.is_none() {
                        *slot = text.unescape().ok().map(|t| t.trim().to_owned());
                    }
                }
                Ok(Event::End(_)) => current = None,
                Ok(Event::Eof) | Err(_) => break,
                _ => {}
            }
        }
        fields
    }
}

/// A SOAP login answer as a session; a fault (Salesforce sends them with HTTP 500) as [`Error::Auth`].
pub(super) fn parse_soap_login(status: u16, body: &[u8]) -> Result<Session> {
    let text = String::from_utf8_lossy(body);
    let fields = SoapFields::read(&text);
    if fields.faultcode.is_some() || fields.exception_code.is_some() {
        let code = fields
            .exception_code
            .or_else(|| {
                fields
                    .faultcode
                    .map(|c| c.rsplit(':').next().unwrap_or_default().to_owned())
            })
            .unwrap_or_default();
        let message = fields
            .exception_message
            .or(fields.faultstring)
            .unwrap_or_default();
        return Err(Error::Auth { code, message });
    }
    if !(200..300).contains(&status) {
        return Err(Error::from_response_body(status, body));
    }
    let (Some(server_url), Some(session_id)) = (fields.server_url, fields.session_id) else {
        return Err(Error::Protocol(format!(
            "SOAP login answer without serverUrl and sessionId: {}",
            snippet(body)
        )));
    };
    if fields.password_expired.as_deref() == Some("true") {
        return Err(Error::Auth {
            code: "PASSWORD_EXPIRED".to_owned(),
            message: "the password has expired; set a new one in Salesforce first".to_owned(),
        });
    }
    let mut session = Session::new(instance_from_server_url(&server_url)?, session_id);
    session.username = fields.user_name;
    session.org_id = fields.organization_id;
    session.user_id = fields.user_id;
    Ok(session)
}

/// `https://acme.my.salesforce.com/services/Soap/u/62.0/00D…` -> `https://acme.my.salesforce.com`. Like
/// simple-salesforce, a legacy `-api` host (`na15-api.salesforce.com`) becomes the plain one.
pub(super) fn instance_from_server_url(server_url: &str) -> Result<String> {
    let url = reqwest::Url::parse(server_url)
        .map_err(|e| Error::Protocol(format!("SOAP serverUrl {server_url:?}: {e}")))?;
    let host = url
        .host_str()
        .ok_or_else(|| Error::Protocol(format!("SOAP serverUrl {server_url:?} has no host")))?;
    let host = match host.split_once('.') {
        Some((first, rest)) if first.ends_with("-api") => {
            format!("{}.{rest}", &first[..first.len() - 4])
        }
        _ => host.to_owned(),
    };
    Ok(match url.port() {
        Some(port) => format!("{}://{host}:{port}", url.scheme()),
        None => format!("{}://{host}", url.scheme()),
    })
}
