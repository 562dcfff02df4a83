//! The SOAP `login` call of the partner (`/services/Soap/u/XX.X`) and enterprise (`/services/Soap/c/XX.X`)
//! APIs, which Data Loader, simple-salesforce and jsforce use for username/password logins.

use super::oauth::new_access_token;
use crate::state::AppState;
use crate::wire;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use bulkforce_core::ApiError;
use bulkforce_store::{LoginOutcome, StoreError, TokenKind};
use quick_xml::Reader;
use quick_xml::events::Event;

/// The call in a SOAP envelope, from the elements that matter (any namespace prefix).
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Call {
    pub(crate) logout: bool,
    pub(crate) username: Option<String>,
    pub(crate) password: Option<String>,
    pub(crate) session_id: Option<String>,
}

pub(crate) fn read_call(xml: &str) -> Call {
    let mut reader = Reader::from_str(xml);
    let mut call = Call::default();
    let mut current: Option<&'static str> = None;
    loop {
        match reader.read_event() {
            Ok(Event::Empty(e)) if e.local_name().as_ref() == b"logout" => call.logout = true,
            Ok(Event::Start(e)) => {
                current = match e.local_name().as_ref() {
                    b"username" => Some("username"),
                    b"password" => Some("password"),
                    b"sessionId" => Some("sessionId"),
                    b"logout" => {
                        call.logout = true;
                        None
                    }
                    _ => None,
                };
            }
            Ok(Event::Text(text)) => {
                if let Some(name) = current {
                    let value = text
                        .unescape()
                        .map(std::borrow::Cow::into_owned)
                        .unwrap_or_default();
                    match name {
                        "username" => call.username.get_or_insert(value),
                        "password" => call.password.get_or_insert(value),
                        _ => call.session_id.get_or_insert(value),
                    };
                }
            }
            Ok(Event::End(_)) => current = None,
            Ok(Event::Eof) | Err(_) => break,
            _ => {}
        }
    }
    call
}

/// Every value written into a response goes through this, whatever its source: the base URL comes from
/// the request's Host header when `--public-url` is not set, and must never add elements.
fn escape(text: &str) -> String {
    quick_xml::escape::escape(text).into_owned()
}

fn xml(status: StatusCode, body: String) -> Response {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/xml;charset=UTF-8"),
    );
    response
}

/// A SOAP fault as Salesforce sends it: HTTP 500, `sf:` exception code and message.
fn fault(code: &str, message: &str) -> Response {
    xml(
        StatusCode::INTERNAL_SERVER_ERROR,
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:sf="urn:fault.partner.soap.sforce.com" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><soapenv:Fault><faultcode>sf:{code}</faultcode><faultstring>{code}: {message}</faultstring><detail><sf:LoginFault xsi:type="sf:LoginFault"><sf:exceptionCode>{code}</sf:exceptionCode><sf:exceptionMessage>{message}</sf:exceptionMessage></sf:LoginFault></detail></soapenv:Fault></soapenv:Body></soapenv:Envelope>"#,
            code = escape(code),
            message = escape(message)
        ),
    )
}

/// The fault code of a failed store call: `SERVER_UNAVAILABLE` when the storage is out of reach (the client
/// may retry), else `UNKNOWN_EXCEPTION`.
fn failure_code(e: &ApiError) -> &'static str {
    if e.error_code == wire::SERVER_UNAVAILABLE {
        wire::SERVER_UNAVAILABLE
    } else {
        "UNKNOWN_EXCEPTION"
    }
}

/// `POST /services/Soap/{u|c}/{version}` with a `login` envelope.
pub async fn login(
    state: &AppState,
    base: &str,
    api: char,
    version: &str,
    request: Request,
) -> Response {
    let body = match crate::wire::read_small_body(request, 64 * 1024).await {
        Ok(body) => String::from_utf8_lossy(&body).into_owned(),
        Err(_) => {
            return fault(
                "INVALID_LOGIN",
                "Invalid username, password, security token; or user locked out.",
            );
        }
    };
    let call = read_call(&body);
    if call.logout {
        return logout(state, api, call.session_id).await;
    }
    let (Some(username), Some(password)) = (call.username, call.password) else {
        return fault(
            "INVALID_LOGIN",
            "Invalid username, password, security token; or user locked out.",
        );
    };
    let policy = state.config.lockout;
    let outcome = state
        .with_store(move |store| {
            match store.login(&username, &password, &policy, store.clock().now()) {
                Err(StoreError::Busy) => Ok(None),
                other => other.map(Some),
            }
        })
        .await;
    let principal = match outcome {
        Ok(Some(LoginOutcome::Accepted(principal))) => principal,
        // A locked-out user gets the same fault as a wrong password, as in Salesforce.
        Ok(Some(LoginOutcome::Refused | LoginOutcome::LockedOut)) => {
            return fault(
                "INVALID_LOGIN",
                "Invalid username, password, security token; or user locked out.",
            );
        }
        // Too many password checks at once (see `StoreError::Busy`); not counted towards a lockout.
        Ok(None) => {
            return fault(
                "SERVER_UNAVAILABLE",
                "Too many logins at once, try again later.",
            );
        }
        Err(e) => return fault(failure_code(&e), &e.message),
    };
    let token = new_access_token(principal.org_id);
    let timeout = state.config.session_timeout;
    let expires = state.clock.now().timestamp_millis() + timeout.as_millis() as i64;
    let (saved, who) = (token.clone(), principal.clone());
    if let Err(e) = state
        .with_store(move |store| {
            store.save_token(&who, &saved, TokenKind::Access, None, Some(expires))
        })
        .await
    {
        return fault(failure_code(&e), &e.message);
    }
    let org15 = &principal.org_id.as_str()[..15];
    let namespace = if api == 'c' {
        "urn:enterprise.soap.sforce.com"
    } else {
        "urn:partner.soap.sforce.com"
    };
    xml(
        StatusCode::OK,
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns="{namespace}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><loginResponse><result><metadataServerUrl>{base}/services/Soap/m/{version}/{org15}</metadataServerUrl><passwordExpired>false</passwordExpired><sandbox>false</sandbox><serverUrl>{base}/services/Soap/{api}/{version}/{org15}</serverUrl><sessionId>{token}</sessionId><userId>{user}</userId><userInfo><accessibilityMode>false</accessibilityMode><chatterExternal>false</chatterExternal><currencySymbol>$</currencySymbol><orgAttachmentFileSizeLimit>5242880</orgAttachmentFileSizeLimit><orgDefaultCurrencyIsoCode>USD</orgDefaultCurrencyIsoCode><orgDisallowHtmlAttachments>false</orgDisallowHtmlAttachments><orgHasPersonAccounts>false</orgHasPersonAccounts><organizationId>{org}</organizationId><organizationMultiCurrency>false</organizationMultiCurrency><organizationName>bulkforce</organizationName><profileId xsi:nil="true"/><roleId xsi:nil="true"/><sessionSecondsValid>{seconds}</sessionSecondsValid><userDefaultCurrencyIsoCode xsi:nil="true"/><userEmail>{username}</userEmail><userFullName>{username}</userFullName><userId>{user}</userId><userLanguage>en_US</userLanguage><userLocale>en_US</userLocale><userName>{username}</userName><userTimeZone>GMT</userTimeZone><userType>Standard</userType><userUiSkin>Theme3</userUiSkin></userInfo></result></loginResponse></soapenv:Body></soapenv:Envelope>"#,
            base = escape(base),
            version = escape(version),
            org15 = escape(org15),
            token = escape(&token),
            user = escape(principal.user_id.as_str()),
            org = escape(principal.org_id.as_str()),
            username = escape(&principal.username),
            seconds = timeout.as_secs(),
        ),
    )
}

/// `logout`: ends the session named in the `SessionHeader`.
async fn logout(state: &AppState, api: char, session_id: Option<String>) -> Response {
    let Some(session_id) = session_id else {
        return fault(
            "INVALID_SESSION_ID",
            "Invalid Session ID found in SessionHeader: Illegal Session",
        );
    };
    match state
        .with_store(move |store| store.revoke_token(&session_id))
        .await
    {
        Ok(true) => {
            let namespace = if api == 'c' {
                "urn:enterprise.soap.sforce.com"
            } else {
                "urn:partner.soap.sforce.com"
            };
            xml(
                StatusCode::OK,
                format!(
                    r#"<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns="{namespace}"><soapenv:Body><logoutResponse/></soapenv:Body></soapenv:Envelope>"#
                ),
            )
        }
        Ok(false) => fault(
            "INVALID_SESSION_ID",
            "Invalid Session ID found in SessionHeader: Illegal Session",
        ),
        Err(e) => fault(failure_code(&e), &e.message),
    }
}

#[cfg(test)]
mod tests {
    use super::read_call;

    #[test]
    fn reads_prefixed_and_unprefixed_envelopes() {
        let partner = r#"<env:Envelope xmlns:env="http://schemas.xmlsoap.org/soap/envelope/"><env:Body><n1:login xmlns:n1="urn:partner.soap.sforce.com"><n1:username>a@b.c</n1:username><n1:password>p&amp;w</n1:password></n1:login></env:Body></env:Envelope>"#;
        let call = read_call(partner);
        assert_eq!(
            (
                call.username.as_deref(),
                call.password.as_deref(),
                call.logout
            ),
            (Some("a@b.c"), Some("p&w"), false)
        );
        let plain = r#"<se:Envelope><se:Header/><se:Body><login xmlns="urn:partner.soap.sforce.com"><username>u</username><password>x</password></login></se:Body></se:Envelope>"#;
        assert_eq!(read_call(plain).username.as_deref(), Some("u"));
        let logout = r#"<se:Envelope><se:Header><SessionHeader xmlns="urn:partner.soap.sforce.com"><sessionId>00D!x</sessionId></SessionHeader></se:Header><se:Body><logout xmlns="urn:partner.soap.sforce.com"/></se:Body></se:Envelope>"#;
        let call = read_call(logout);
        assert!(call.logout);
        assert_eq!(call.session_id.as_deref(), Some("00D!x"));
    }
}
