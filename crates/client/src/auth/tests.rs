//! Tests of the login answers and errors, without a server.

use super::soap::{instance_from_server_url, parse_soap_login, soap_login_envelope};
use super::*;

const SOAP_OK: &str = r#"<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns="urn:partner.soap.sforce.com" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><loginResponse><result><metadataServerUrl>https://na15-api.salesforce.com/services/Soap/m/29.0/00Di0000000icUB</metadataServerUrl><passwordExpired>false</passwordExpired><sandbox>false</sandbox><serverUrl>https://na15-api.salesforce.com/services/Soap/u/29.0/00Di0000000icUB</serverUrl><sessionId>00Di0000000icUB!AQ0AQ&amp;x</sessionId><userId>005i0000002MUqLAAW</userId><userInfo><organizationId>00Di0000000icUBEAY</organizationId><profileId xsi:nil="true"/><userId>005i0000002MUqLAAW</userId><userName>ann@acme.com</userName></userInfo></result></loginResponse></soapenv:Body></soapenv:Envelope>"#;

const SOAP_FAULT: &str = r#"<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:sf="urn:fault.partner.soap.sforce.com" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><soapenv:Fault><faultcode>sf:INVALID_LOGIN</faultcode><faultstring>INVALID_LOGIN: Invalid username, password, security token; or user locked out.</faultstring><detail><sf:LoginFault xsi:type="sf:LoginFault"><sf:exceptionCode>INVALID_LOGIN</sf:exceptionCode><sf:exceptionMessage>Invalid username, password, security token; or user locked out.</sf:exceptionMessage></sf:LoginFault></detail></soapenv:Fault></soapenv:Body></soapenv:Envelope>"#;

#[test]
fn soap_answer_becomes_a_session_on_the_instance_host() {
    let session = parse_soap_login(200, SOAP_OK.as_bytes()).unwrap();
    assert_eq!(session.instance_url, "https://na15.salesforce.com");
    assert_eq!(session.access_token, "00Di0000000icUB!AQ0AQ&x");
    assert_eq!(session.username.as_deref(), Some("ann@acme.com"));
    assert_eq!(session.org_id.as_deref(), Some("00Di0000000icUBEAY"));
    assert_eq!(session.user_id.as_deref(), Some("005i0000002MUqLAAW"));
    assert!(session.refresh_token.is_none());
}

#[test]
fn soap_fault_is_an_auth_error_with_the_exception_code() {
    let e = parse_soap_login(500, SOAP_FAULT.as_bytes()).unwrap_err();
    assert!(
        matches!(&e, Error::Auth { code, message } if code == "INVALID_LOGIN"
            && message == "Invalid username, password, security token; or user locked out."),
        "{e:?}"
    );
    assert!(e.is_auth());
    // A fault with only faultcode/faultstring (other clients' servers) still names the code.
    let bare = r#"<e:Envelope xmlns:e="x"><e:Body><e:Fault><faultcode>sf:LOGIN_MUST_USE_SECURITY_TOKEN</faultcode><faultstring>use a token</faultstring></e:Fault></e:Body></e:Envelope>"#;
    let e = parse_soap_login(500, bare.as_bytes()).unwrap_err();
    assert!(
        matches!(&e, Error::Auth { code, message } if code == "LOGIN_MUST_USE_SECURITY_TOKEN" && message == "use a token"),
        "{e:?}"
    );
}

#[test]
fn soap_non_xml_failures_and_odd_answers_are_not_auth_errors() {
    let e = parse_soap_login(503, b"Service Unavailable").unwrap_err();
    assert!(e.is_network() && !e.is_auth(), "{e:?}");
    let e = parse_soap_login(200, b"<ok/>").unwrap_err();
    assert!(matches!(e, Error::Protocol(_)), "{e:?}");
    let expired = SOAP_OK.replace("<passwordExpired>false", "<passwordExpired>true");
    let e = parse_soap_login(200, expired.as_bytes()).unwrap_err();
    assert!(matches!(&e, Error::Auth { code, .. } if code == "PASSWORD_EXPIRED"));
}

#[test]
fn server_url_keeps_scheme_host_and_port() {
    assert_eq!(
        instance_from_server_url("http://127.0.0.1:8080/services/Soap/u/62.0/00D000000000001")
            .unwrap(),
        "http://127.0.0.1:8080"
    );
    assert_eq!(
        instance_from_server_url(
            "https://acme.my.salesforce.com/services/Soap/u/62.0/00D000000000001"
        )
        .unwrap(),
        "https://acme.my.salesforce.com"
    );
    assert!(instance_from_server_url("not a url").is_err());
}

#[test]
fn envelope_escapes_credentials() {
    let body = soap_login_envelope("a&b@x.test", "p<w>\"'");
    assert!(body.contains("<n1:username>a&amp;b@x.test</n1:username>"));
    assert!(body.contains("<n1:password>p&lt;w&gt;&quot;&apos;</n1:password>"));
}

#[test]
fn token_answer_parses_ids_and_issue_time() {
    let session = parse_token_response(
        br#"{"access_token":"00D!x","instance_url":"https://acme.my.salesforce.com/",
             "id":"https://login.salesforce.com/id/00Dx0000000BV7z/005x00000012Q9P",
             "issued_at":"1278448832702","token_type":"Bearer"}"#,
    )
    .unwrap();
    assert_eq!(session.instance_url, "https://acme.my.salesforce.com");
    assert_eq!(session.issued_at, 1278448832702);
    assert_eq!(session.org_id.as_deref(), Some("00Dx0000000BV7z"));
    assert_eq!(session.user_id.as_deref(), Some("005x00000012Q9P"));
    assert!(parse_token_response(br#"{"instance_url":"https://x"}"#).is_err());
    assert!(parse_token_response(br#"{"access_token":"t","instance_url":"ftp://x"}"#).is_err());
}

#[test]
fn oauth_errors_are_auth_only_when_the_server_said_so() {
    let e = oauth_error(
        400,
        br#"{"error":"invalid_grant","error_description":"authentication failure"}"#,
    );
    assert!(
        matches!(&e, Error::Auth { code, message } if code == "invalid_grant" && message == "authentication failure")
    );
    let e = oauth_error(503, br#"{"error":"unavailable"}"#);
    assert!(matches!(e, Error::Api { status: 503, .. }));
    let e = oauth_error(404, b"<html>not here</html>");
    assert!(matches!(e, Error::Api { status: 404, .. }));
}

#[test]
fn session_json_round_trips_and_debug_hides_tokens() {
    let mut session = Session::new("http://h", "secret-access");
    session.refresh_token = Some("secret-refresh".to_owned());
    let json = serde_json::to_string(&session).unwrap();
    assert!(json.contains("\"instanceUrl\":\"http://h\""), "{json}");
    assert_eq!(serde_json::from_str::<Session>(&json).unwrap(), session);
    let debug = format!("{session:?}");
    assert!(!debug.contains("secret-access") && !debug.contains("secret-refresh"));
}
