//! OAuth 2.0 as Salesforce speaks it: the token endpoint (password, client_credentials, refresh_token and
//! JWT bearer grants), userinfo, the identity URL, and revocation. Errors are `{"error","error_description"}`.

use crate::state::AppState;
use crate::wire::{self, form_pairs};
use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::response::Response;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use bulkforce_core::ApiError;
use bulkforce_core::id::SfId;
use bulkforce_store::{App, LockoutPolicy, LoginOutcome, Principal, Store, StoreError, TokenKind};
use hmac::{Hmac, Mac};
use serde_json::{Value as Json, json};
use sha2::Sha256;

/// An OAuth error answer.
pub struct OAuthError {
    status: StatusCode,
    error: &'static str,
    description: &'static str,
}

impl OAuthError {
    const fn new(error: &'static str, description: &'static str) -> Self {
        OAuthError {
            status: StatusCode::BAD_REQUEST,
            error,
            description,
        }
    }

    pub fn response(&self) -> Response {
        wire::json(
            self.status,
            &json!({ "error": self.error, "error_description": self.description }),
        )
    }
}

const AUTHENTICATION_FAILURE: OAuthError =
    OAuthError::new("invalid_grant", "authentication failure");
const INVALID_CLIENT_ID: OAuthError =
    OAuthError::new("invalid_client_id", "client identifier invalid");
const INVALID_CLIENT: OAuthError = OAuthError::new("invalid_client", "invalid client credentials");
const UNSUPPORTED_GRANT: OAuthError =
    OAuthError::new("unsupported_grant_type", "grant type not supported");
const INVALID_REFRESH: OAuthError =
    OAuthError::new("invalid_grant", "expired access/refresh token");
const INVALID_ASSERTION: OAuthError = OAuthError::new("invalid_grant", "invalid assertion");
const NOT_APPROVED: OAuthError =
    OAuthError::new("invalid_grant", "user hasn't approved this consumer");

/// A new access token in the `00D…!…` shape tools expect.
pub fn new_access_token(org: SfId) -> String {
    format!("{}!{}", &org.as_str()[..15], random_token(96))
}

fn random_token(len: usize) -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._";
    let mut rng = rand::rng();
    (0..len)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

/// The identity URL of a user.
pub fn identity_url(base: &str, principal: &Principal) -> String {
    format!("{base}/id/{}/{}", principal.org_id, principal.user_id)
}

/// Salesforce's `signature`: base64 HMAC-SHA256 of `id + issued_at`, keyed with the client secret.
fn signature(secret: &str, id: &str, issued_at: &str) -> String {
    let mut mac =
        <Hmac<Sha256>>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(id.as_bytes());
    mac.update(issued_at.as_bytes());
    BASE64.encode(mac.finalize().into_bytes())
}

struct Issued {
    principal: Principal,
    app: Option<App>,
    secret: Option<String>,
    refresh_token: Option<String>,
}

/// `POST /services/oauth2/token`.
pub async fn token(state: &AppState, base: &str, request: Request) -> Response {
    let basic = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|v| BASE64.decode(v.trim()).ok())
        .and_then(|v| String::from_utf8(v).ok())
        .and_then(|v| v.split_once(':').map(|(a, b)| (a.to_owned(), b.to_owned())));
    let query = request.uri().query().unwrap_or_default().to_owned();
    let body = match crate::wire::read_small_body(request, 64 * 1024).await {
        Ok(body) => String::from_utf8_lossy(&body).into_owned(),
        Err(_) => return OAuthError::new("invalid_request", "request too large").response(),
    };
    let mut form: std::collections::HashMap<String, String> =
        form_pairs(&query).into_iter().collect();
    form.extend(form_pairs(&body));
    let field = |name: &str| form.get(name).cloned().unwrap_or_default();
    let (client_id, client_secret) = match basic {
        Some((id, secret)) => (id, secret),
        None => (field("client_id"), field("client_secret")),
    };
    let grant = field("grant_type");
    let outcome: Result<Result<Issued, OAuthError>, ApiError> = match grant.as_str() {
        "password" => {
            let (username, password) = (field("username"), field("password"));
            let policy = state.config.lockout;
            state
                .with_store(move |store| {
                    unless_busy(password_grant(
                        store,
                        &client_id,
                        &client_secret,
                        &Login {
                            username: &username,
                            password: &password,
                            policy: &policy,
                        },
                    ))
                })
                .await
        }
        "client_credentials" => {
            state
                .with_store(move |store| {
                    unless_busy(client_credentials(store, &client_id, &client_secret))
                })
                .await
        }
        "refresh_token" => {
            let refresh = field("refresh_token");
            state
                .with_store(move |store| {
                    unless_busy(refresh_grant(store, &client_id, &client_secret, &refresh))
                })
                .await
        }
        "urn:ietf:params:oauth:grant-type:jwt-bearer" => {
            let assertion = field("assertion");
            state
                .with_store(move |store| jwt_grant(store, &assertion))
                .await
        }
        _ => Ok(Err(UNSUPPORTED_GRANT)),
    };
    let issued = match outcome {
        Ok(Ok(issued)) => issued,
        Ok(Err(e)) => return e.response(),
        Err(e) => return failure(&e),
    };
    match issue(state, base, issued).await {
        Ok(body) => wire::json(StatusCode::OK, &body),
        Err(e) => failure(&e),
    }
}

/// The storage out of reach (a 503 `SERVER_UNAVAILABLE` from the store): OAuth's own
/// `temporarily_unavailable`, which OAuth clients retry; other failures keep the API's error envelope.
const UNAVAILABLE: OAuthError = OAuthError {
    status: StatusCode::SERVICE_UNAVAILABLE,
    error: "temporarily_unavailable",
    description: "the server is temporarily unavailable, try again later",
};

/// A failed store call at the token endpoint, answered in OAuth's shape when the client may retry.
fn failure(e: &ApiError) -> Response {
    if e.error_code == wire::SERVER_UNAVAILABLE {
        UNAVAILABLE.response()
    } else {
        wire::error(e)
    }
}

/// Too many password or secret checks at once (see `bulkforce_store::StoreError::Busy`): 503 with
/// OAuth's `temporarily_unavailable`, so that clients retry later rather than report bad credentials. The
/// attempt is not counted towards a lockout.
const BUSY: OAuthError = OAuthError {
    status: StatusCode::SERVICE_UNAVAILABLE,
    error: "temporarily_unavailable",
    description: "too many logins at once, try again later",
};

/// A grant's answer, with a store that ran out of hashing permits answered as [`BUSY`].
fn unless_busy(
    outcome: Result<Result<Issued, OAuthError>, StoreError>,
) -> Result<Result<Issued, OAuthError>, StoreError> {
    match outcome {
        Err(StoreError::Busy) => Ok(Err(BUSY)),
        other => other,
    }
}

/// The user's side of a password grant.
struct Login<'a> {
    username: &'a str,
    password: &'a str,
    policy: &'a LockoutPolicy,
}

/// A locked-out user gets the same `authentication failure` as a wrong password, as in Salesforce.
///
/// A user of another org than the app's is refused before the login: a right password there would
/// restart the user's count of wrong passwords for a grant that is refused anyway. The refusal spends
/// one password check (against the app's secret, which costs what a user's hash does) so that it takes
/// as long as an unknown username's, and does not tell that the username exists elsewhere.
fn password_grant(
    store: &dyn Store,
    client_id: &str,
    client_secret: &str,
    login: &Login<'_>,
) -> Result<Result<Issued, OAuthError>, StoreError> {
    let app = match checked_app(store, client_id, client_secret)? {
        Ok(app) => app,
        Err(e) => return Ok(Err(e)),
    };
    if store
        .find_user(login.username)?
        .is_some_and(|user| user.org_id != app.org_id)
    {
        store.check_app(client_id, login.password)?;
        return Ok(Err(AUTHENTICATION_FAILURE));
    }
    let outcome = store.login(
        login.username,
        login.password,
        login.policy,
        store.clock().now(),
    )?;
    let LoginOutcome::Accepted(principal) = outcome else {
        return Ok(Err(AUTHENTICATION_FAILURE));
    };
    if principal.org_id != app.org_id {
        return Ok(Err(AUTHENTICATION_FAILURE));
    }
    Ok(Ok(Issued {
        principal,
        app: Some(app),
        secret: Some(client_secret.to_owned()),
        refresh_token: None,
    }))
}

fn checked_app(
    store: &dyn Store,
    client_id: &str,
    client_secret: &str,
) -> Result<Result<App, OAuthError>, StoreError> {
    if store.find_app(client_id)?.is_none() {
        return Ok(Err(INVALID_CLIENT_ID));
    }
    Ok(store
        .check_app(client_id, client_secret)?
        .ok_or(INVALID_CLIENT))
}

/// The app acts as its org's first user, as a "run as" user.
fn client_credentials(
    store: &dyn Store,
    client_id: &str,
    client_secret: &str,
) -> Result<Result<Issued, OAuthError>, StoreError> {
    let app = match checked_app(store, client_id, client_secret)? {
        Ok(app) => app,
        Err(e) => return Ok(Err(e)),
    };
    let Some(principal) = store.list_users(app.org_id)?.into_iter().next() else {
        return Ok(Err(AUTHENTICATION_FAILURE));
    };
    Ok(Ok(Issued {
        principal,
        app: Some(app),
        secret: Some(client_secret.to_owned()),
        refresh_token: None,
    }))
}

fn refresh_grant(
    store: &dyn Store,
    client_id: &str,
    client_secret: &str,
    refresh: &str,
) -> Result<Result<Issued, OAuthError>, StoreError> {
    let Some((principal, app_id)) = store.token_principal(refresh, TokenKind::Refresh)? else {
        return Ok(Err(INVALID_REFRESH));
    };
    let app = match store.find_app(client_id)? {
        Some(app) if Some(app.id) == app_id || app_id.is_none() => app,
        Some(_) => return Ok(Err(INVALID_REFRESH)),
        None => return Ok(Err(INVALID_CLIENT_ID)),
    };
    // The secret is optional for refreshes, but a wrong one is refused.
    if !client_secret.is_empty() && store.check_app(client_id, client_secret)?.is_none() {
        return Ok(Err(INVALID_CLIENT));
    }
    let secret = (!client_secret.is_empty()).then(|| client_secret.to_owned());
    Ok(Ok(Issued {
        principal,
        app: Some(app),
        secret,
        refresh_token: None,
    }))
}

#[derive(serde::Deserialize)]
struct Claims {
    iss: String,
    sub: String,
}

fn jwt_grant(store: &dyn Store, assertion: &str) -> Result<Result<Issued, OAuthError>, StoreError> {
    // Read the issuer first, to find whose certificate verifies the signature.
    let mut peek = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    peek.insecure_disable_signature_validation();
    peek.validate_exp = false;
    peek.validate_aud = false;
    peek.required_spec_claims.clear();
    let Ok(unverified) = jsonwebtoken::decode::<Claims>(
        assertion,
        &jsonwebtoken::DecodingKey::from_secret(&[]),
        &peek,
    ) else {
        return Ok(Err(INVALID_ASSERTION));
    };
    let claims = unverified.claims;
    let Some(app) = store.find_app(&claims.iss)? else {
        return Ok(Err(INVALID_CLIENT_ID));
    };
    let Some(key) = app.certificate.as_deref().and_then(decoding_key) else {
        return Ok(Err(INVALID_ASSERTION));
    };
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    validation.validate_aud = false;
    validation.set_required_spec_claims(&["exp", "iss", "sub"]);
    if jsonwebtoken::decode::<Claims>(assertion, &key, &validation).is_err() {
        return Ok(Err(INVALID_ASSERTION));
    }
    match store.find_user(&claims.sub)? {
        Some(principal) if principal.org_id == app.org_id => Ok(Ok(Issued {
            principal,
            app: Some(app),
            secret: None,
            refresh_token: None,
        })),
        _ => Ok(Err(NOT_APPROVED)),
    }
}

/// The RSA key of a PEM certificate or public key.
fn decoding_key(pem: &str) -> Option<jsonwebtoken::DecodingKey> {
    if pem.contains("BEGIN CERTIFICATE") {
        let (_, pem) = x509_parser::pem::parse_x509_pem(pem.as_bytes()).ok()?;
        let cert = pem.parse_x509().ok()?;
        Some(jsonwebtoken::DecodingKey::from_rsa_der(
            &cert.public_key().subject_public_key.data,
        ))
    } else {
        jsonwebtoken::DecodingKey::from_rsa_pem(pem.as_bytes()).ok()
    }
}

/// Stores a new access token and builds Salesforce's token response.
async fn issue(state: &AppState, base: &str, issued: Issued) -> Result<Json, ApiError> {
    let token = new_access_token(issued.principal.org_id);
    let now = state.clock.now().timestamp_millis();
    let expires = now + state.config.session_timeout.as_millis() as i64;
    let (principal, app_id) = (issued.principal.clone(), issued.app.as_ref().map(|a| a.id));
    let saved = token.clone();
    state
        .with_store(move |store| {
            store.save_token(&principal, &saved, TokenKind::Access, app_id, Some(expires))
        })
        .await?;
    let id = identity_url(base, &issued.principal);
    let issued_at = now.to_string();
    let mut body = serde_json::Map::new();
    body.insert("access_token".into(), json!(token));
    if let Some(refresh) = &issued.refresh_token {
        body.insert("refresh_token".into(), json!(refresh));
    }
    body.insert("instance_url".into(), json!(base));
    body.insert("id".into(), json!(id));
    body.insert("token_type".into(), json!("Bearer"));
    body.insert("issued_at".into(), json!(issued_at));
    if let Some(secret) = &issued.secret {
        body.insert(
            "signature".into(),
            json!(signature(secret, &id, &issued_at)),
        );
    }
    body.insert("scope".into(), json!("api web refresh_token"));
    Ok(Json::Object(body))
}

/// `POST /services/oauth2/revoke` (`token=…` in the body or the query).
pub async fn revoke(state: &AppState, request: Request) -> Response {
    let query = request.uri().query().unwrap_or_default().to_owned();
    let body = crate::wire::read_small_body(request, 64 * 1024)
        .await
        .unwrap_or_default();
    let token = form_pairs(&query)
        .into_iter()
        .chain(form_pairs(&String::from_utf8_lossy(&body)))
        .find(|(k, _)| k == "token")
        .map(|(_, v)| v)
        .unwrap_or_default();
    match state
        .with_store(move |store| store.revoke_token(&token))
        .await
    {
        Ok(true) => wire::empty(StatusCode::OK),
        Ok(false) => {
            OAuthError::new("unsupported_token_type", "this token type is not supported").response()
        }
        Err(e) => failure(&e),
    }
}

/// The User record's fields that identity answers show.
struct Person {
    email: String,
    first_name: String,
    last_name: String,
    time_zone: String,
    locale: String,
    language: String,
    modified: String,
}

async fn person(state: &AppState, principal: &Principal) -> Result<Person, ApiError> {
    let (org, user) = (principal.org_id, principal.user_id);
    let record = state
        .with_store(move |store| store.get_record(org, "User", user))
        .await?
        .ok_or_else(ApiError::not_found)?;
    let get = |name: &str| {
        record
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .and_then(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    Ok(Person {
        email: get("Email"),
        first_name: get("FirstName"),
        last_name: get("LastName"),
        time_zone: get("TimeZoneSidKey"),
        locale: get("LocaleSidKey"),
        language: get("LanguageLocaleKey"),
        modified: get("LastModifiedDate"),
    })
}

fn urls(base: &str, principal: &Principal) -> Json {
    let org15 = &principal.org_id.as_str()[..15];
    json!({
        "enterprise": format!("{base}/services/Soap/c/{{version}}/{org15}"),
        "metadata": format!("{base}/services/Soap/m/{{version}}/{org15}"),
        "partner": format!("{base}/services/Soap/u/{{version}}/{org15}"),
        "rest": format!("{base}/services/data/v{{version}}/"),
        "sobjects": format!("{base}/services/data/v{{version}}/sobjects/"),
        "search": format!("{base}/services/data/v{{version}}/search/"),
        "query": format!("{base}/services/data/v{{version}}/query/"),
        "recent": format!("{base}/services/data/v{{version}}/recent/"),
        "profile": format!("{base}/{}", principal.user_id),
        "custom_domain": base,
    })
}

/// `GET /services/oauth2/userinfo`: OpenID Connect claims of the token's user.
pub async fn userinfo(
    state: &AppState,
    base: &str,
    principal: &Principal,
) -> Result<Response, ApiError> {
    let person = person(state, principal).await?;
    let name = format!("{} {}", person.first_name, person.last_name)
        .trim()
        .to_owned();
    Ok(wire::json(
        StatusCode::OK,
        &json!({
            "sub": identity_url(base, principal),
            "user_id": principal.user_id.as_str(),
            "organization_id": principal.org_id.as_str(),
            "preferred_username": principal.username,
            "nickname": principal.username.split('@').next().unwrap_or_default(),
            "name": name,
            "email": person.email,
            "email_verified": true,
            "given_name": person.first_name,
            "family_name": person.last_name,
            "zoneinfo": person.time_zone,
            "photos": { "picture": "", "thumbnail": "" },
            "profile": format!("{base}/{}", principal.user_id),
            "picture": "",
            "address": {},
            "urls": urls(base, principal),
            "active": true,
            "user_type": "STANDARD",
            "language": person.language,
            "locale": person.locale,
            "utcOffset": 0,
            "updated_at": person.modified.replace(".000Z", "Z"),
        }),
    ))
}

/// `GET /id/{orgId}/{userId}`: the identity of a user of the token's org.
pub async fn identity(
    state: &AppState,
    base: &str,
    principal: &Principal,
    org: &str,
    user: &str,
) -> Result<Response, ApiError> {
    let (Ok(org), Ok(user)) = (SfId::parse(org), SfId::parse(user)) else {
        return Err(ApiError::not_found());
    };
    if org != principal.org_id {
        return Err(ApiError::new(
            403,
            "INSUFFICIENT_ACCESS",
            "Insufficient access rights",
        ));
    }
    let target = state
        .with_store(move |store| {
            Ok(store
                .list_users(org)?
                .into_iter()
                .find(|p| p.user_id == user))
        })
        .await?
        .ok_or_else(ApiError::not_found)?;
    let person = person(state, &target).await?;
    Ok(wire::json(
        StatusCode::OK,
        &json!({
            "id": identity_url(base, &target),
            "asserted_user": target.user_id == principal.user_id,
            "user_id": target.user_id.as_str(),
            "organization_id": target.org_id.as_str(),
            "username": target.username,
            "nick_name": target.username.split('@').next().unwrap_or_default(),
            "display_name": format!("{} {}", person.first_name, person.last_name).trim(),
            "email": person.email,
            "email_verified": true,
            "first_name": person.first_name,
            "last_name": person.last_name,
            "timezone": person.time_zone,
            "photos": { "picture": "", "thumbnail": "" },
            "status": { "created_date": null, "body": null },
            "urls": urls(base, &target),
            "active": true,
            "user_type": "STANDARD",
            "language": person.language,
            "locale": person.locale,
            "utcOffset": 0,
            "last_modified_date": person.modified.replace(".000Z", ".000+0000"),
            "is_app_installed": true,
        }),
    ))
}
