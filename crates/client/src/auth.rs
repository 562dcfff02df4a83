//! Logging in: an access token and the instance URL to use it on, obtained from a login URL
//! (`https://login.salesforce.com`, `https://test.salesforce.com`, a My Domain, or `bulkforce serve`).
//!
//! Four ways in, as Salesforce offers them to programs:
//! - [`Login::password`]: OAuth 2.0 username-password flow, for a connected app's client id and secret;
//! - [`Login::soap`]: the SOAP `login` call, for users without a connected app (what Data Loader and
//!   simple-salesforce do);
//! - [`Login::client_credentials`]: OAuth 2.0 client credentials (the app runs as its configured user);
//! - [`Login::jwt`]: OAuth 2.0 JWT bearer, an RS256 assertion signed with the app's private key.
//!
//! Each gives a [`Session`]. A refused login is [`Error::Auth`] (OAuth's `{"error","error_description"}` or a
//! SOAP fault), so callers can tell "wrong password" from "server down". Nothing here stores anything: keeping
//! sessions is the caller's business (the `bulkforce` CLI keeps one file per alias).
//!
//! ```no_run
//! use bulkforce_client::auth::Login;
//! # async fn run() -> bulkforce_client::Result<()> {
//! let login = Login::new("http://127.0.0.1:8080")?;
//! let session = login.soap("ann@acme.test", "s3cret!", "62.0").await?;
//! login.verify(&session, "62.0").await?;
//! let client = session.client("62.0")?;
//! # Ok(()) }
//! ```

use crate::{Client, Error, Result};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

mod soap;

/// The login URL of production and developer orgs.
///
/// ```
/// assert_eq!(bulkforce_client::auth::PRODUCTION_LOGIN_URL, "https://login.salesforce.com");
/// ```
pub const PRODUCTION_LOGIN_URL: &str = "https://login.salesforce.com";

/// The login URL of sandboxes.
///
/// ```
/// assert_eq!(bulkforce_client::auth::SANDBOX_LOGIN_URL, "https://test.salesforce.com");
/// ```
pub const SANDBOX_LOGIN_URL: &str = "https://test.salesforce.com";

/// The OAuth grant type of the JWT bearer flow.
const JWT_BEARER_GRANT: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";

/// How far ahead a JWT assertion expires: Salesforce accepts at most three minutes.
const JWT_LIFETIME_SECS: u64 = 180;

/// An authenticated session: the instance URL every API call goes to and the bearer token to send there.
///
/// Serializes to camelCase JSON (tokens included: whoever stores it must protect the file). `Debug` never
/// shows the tokens.
///
/// ```
/// let session = bulkforce_client::auth::Session::new("http://127.0.0.1:8080/", "00D000000000001!token");
/// assert_eq!(session.instance_url, "http://127.0.0.1:8080");
/// assert!(!format!("{session:?}").contains("00D000000000001!token"));
/// ```
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Session {
    /// Where the API lives, without a trailing slash, e.g. `https://acme.my.salesforce.com`.
    pub instance_url: String,
    /// The bearer token (an OAuth access token or a SOAP session id).
    pub access_token: String,
    /// A refresh token, when the flow issued one (the password, client-credentials and JWT flows do not).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    /// When the token was issued, in milliseconds since the Unix epoch (Salesforce's `issued_at`, or the
    /// local clock when the answer has none).
    pub issued_at: u64,
    /// The identity URL (`…/id/{orgId}/{userId}`), from OAuth answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity_url: Option<String>,
    /// The user's login name, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// The org id (`00D…`), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org_id: Option<String>,
    /// The user id (`005…`), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("instance_url", &self.instance_url)
            .field("access_token", &"<redacted>")
            .field(
                "refresh_token",
                &self.refresh_token.as_ref().map(|_| "<redacted>"),
            )
            .field("issued_at", &self.issued_at)
            .field("username", &self.username)
            .field("org_id", &self.org_id)
            .field("user_id", &self.user_id)
            .finish()
    }
}

impl Session {
    /// A session for a token obtained elsewhere (`sf org display`, `bulkforce admin token`, …), issued now.
    /// A trailing slash of `instance_url` is dropped.
    ///
    /// ```
    /// use bulkforce_client::auth::Session;
    /// let session = Session::new("https://acme.my.salesforce.com", "00D000000000001!token");
    /// assert!(session.refresh_token.is_none());
    /// ```
    pub fn new(instance_url: impl Into<String>, access_token: impl Into<String>) -> Session {
        Session {
            instance_url: instance_url.into().trim_end_matches('/').to_owned(),
            access_token: access_token.into(),
            refresh_token: None,
            issued_at: now_millis(),
            identity_url: None,
            username: None,
            org_id: None,
            user_id: None,
        }
    }

    /// A Bulk API 2.0 [`Client`] on this session, for API version `api_version` (`62.0`).
    ///
    /// ```
    /// use bulkforce_client::auth::Session;
    /// let client = Session::new("http://127.0.0.1:8080", "00D000000000001!token").client("62.0")?;
    /// assert_eq!(client.instance_url(), "http://127.0.0.1:8080");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn client(&self, api_version: &str) -> Result<Client> {
        Client::new(&self.instance_url, &self.access_token, api_version)
    }
}

/// The OpenID Connect claims of a session's user (`GET /services/oauth2/userinfo`), the fields that matter.
///
/// ```
/// let info: bulkforce_client::auth::UserInfo = serde_json::from_str(
///     r#"{"user_id":"005000000000001AAA","organization_id":"00D000000000001AAA",
///         "preferred_username":"ann@acme.test","name":"Ann Smith"}"#)?;
/// assert_eq!(info.preferred_username, "ann@acme.test");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct UserInfo {
    /// The user id (`005…`).
    #[serde(default)]
    pub user_id: String,
    /// The org id (`00D…`).
    #[serde(default)]
    pub organization_id: String,
    /// The login name.
    #[serde(default)]
    pub preferred_username: String,
    /// The display name.
    #[serde(default)]
    pub name: String,
}

/// A private key that signs JWT bearer assertions (RS256), read from PEM (`BEGIN PRIVATE KEY` or
/// `BEGIN RSA PRIVATE KEY`). Parsed up front so a bad key file is an error before any network call.
///
/// ```no_run
/// let pem = std::fs::read("server.key")?;
/// let key = bulkforce_client::auth::JwtKey::from_pem(&pem)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct JwtKey(jsonwebtoken::EncodingKey);

impl fmt::Debug for JwtKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("JwtKey(<redacted>)")
    }
}

impl JwtKey {
    /// Reads an RSA private key in PEM; anything else is [`Error::InvalidArgument`].
    ///
    /// ```
    /// let err = bulkforce_client::auth::JwtKey::from_pem(b"not a key").unwrap_err();
    /// assert!(matches!(err, bulkforce_client::Error::InvalidArgument(_)));
    /// ```
    pub fn from_pem(pem: &[u8]) -> Result<JwtKey> {
        jsonwebtoken::EncodingKey::from_rsa_pem(pem)
            .map(JwtKey)
            .map_err(|e| Error::InvalidArgument(format!("not an RSA private key in PEM: {e}")))
    }

    /// The signed assertion: `iss` the client id, `sub` the username, `aud` the audience, `exp` three minutes
    /// from now.
    fn assertion(&self, client_id: &str, username: &str, audience: &str) -> Result<String> {
        let claims = serde_json::json!({
            "iss": client_id,
            "sub": username,
            "aud": audience,
            "exp": now_millis() / 1000 + JWT_LIFETIME_SECS,
        });
        jsonwebtoken::encode(
            &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256),
            &claims,
            &self.0,
        )
        .map_err(|e| Error::InvalidArgument(format!("signing the JWT assertion failed: {e}")))
    }
}

/// Logs in at one login URL. Cheap to clone.
///
/// ```no_run
/// use bulkforce_client::auth::{Login, PRODUCTION_LOGIN_URL};
/// # async fn run() -> bulkforce_client::Result<()> {
/// let login = Login::new(PRODUCTION_LOGIN_URL)?;
/// let session = login
///     .password("3MVG9…", Some("secret"), "ann@acme.com", "password+securitytoken")
///     .await?;
/// println!("logged in to {}", session.instance_url);
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct Login {
    http: reqwest::Client,
    login_url: String,
}

impl Login {
    /// A login at `login_url` (`https://login.salesforce.com`, a My Domain, `http://127.0.0.1:8080`; a
    /// trailing slash is dropped). Anything but an http(s) URL is [`Error::InvalidArgument`].
    ///
    /// ```
    /// use bulkforce_client::auth::Login;
    /// assert_eq!(Login::new("https://test.salesforce.com/")?.login_url(), "https://test.salesforce.com");
    /// assert!(Login::new("login.salesforce.com").is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(login_url: impl Into<String>) -> Result<Login> {
        let login_url = login_url.into().trim_end_matches('/').to_owned();
        if reqwest::Url::parse(&login_url).is_err()
            || !(login_url.starts_with("http://") || login_url.starts_with("https://"))
        {
            return Err(Error::InvalidArgument(format!(
                "login URL {login_url:?} must be an http:// or https:// URL"
            )));
        }
        let http = reqwest::Client::builder()
            .user_agent(concat!("bulkforce-client/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(30))
            .timeout(Duration::from_secs(120))
            .build()?;
        Ok(Login { http, login_url })
    }

    /// The login URL, without a trailing slash.
    ///
    /// ```
    /// let login = bulkforce_client::auth::Login::new("http://127.0.0.1:8080")?;
    /// assert_eq!(login.login_url(), "http://127.0.0.1:8080");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn login_url(&self) -> &str {
        &self.login_url
    }

    /// OAuth 2.0 username-password flow (`grant_type=password`) for a connected app. On Salesforce the
    /// password is followed by the user's security token unless the network is trusted.
    ///
    /// ```no_run
    /// # async fn run() -> bulkforce_client::Result<()> {
    /// let login = bulkforce_client::auth::Login::new("http://127.0.0.1:8080")?;
    /// let session = login.password("3MVG9…", Some("secret"), "ann@acme.test", "s3cret!").await?;
    /// assert_eq!(session.username.as_deref(), Some("ann@acme.test"));
    /// # Ok(()) }
    /// ```
    pub async fn password(
        &self,
        client_id: &str,
        client_secret: Option<&str>,
        username: &str,
        password: &str,
    ) -> Result<Session> {
        let mut form = vec![
            ("grant_type", "password"),
            ("client_id", client_id),
            ("username", username),
            ("password", password),
        ];
        if let Some(secret) = client_secret {
            form.push(("client_secret", secret));
        }
        let mut session = self.token_request(&form).await?;
        session.username = Some(username.to_owned());
        Ok(session)
    }

    /// SOAP `login` (`POST /services/Soap/u/{api_version}`), for users without a connected app. The session id
    /// becomes the access token and the host of `serverUrl` the instance URL.
    ///
    /// ```no_run
    /// # async fn run() -> bulkforce_client::Result<()> {
    /// let login = bulkforce_client::auth::Login::new("http://127.0.0.1:8080")?;
    /// let session = login.soap("ann@acme.test", "s3cret!", "62.0").await?;
    /// println!("org {:?} at {}", session.org_id, session.instance_url);
    /// # Ok(()) }
    /// ```
    pub async fn soap(&self, username: &str, password: &str, api_version: &str) -> Result<Session> {
        let version = api_version.trim_start_matches(['v', 'V']);
        if version.parse::<f64>().is_err() {
            return Err(Error::InvalidArgument(format!(
                "API version {api_version:?} is not a number like 62.0"
            )));
        }
        let response = self
            .http
            .post(format!("{}/services/Soap/u/{version}", self.login_url))
            .header(reqwest::header::CONTENT_TYPE, "text/xml; charset=UTF-8")
            .header("SOAPAction", "login")
            .body(soap::soap_login_envelope(username, password))
            .send()
            .await?;
        let status = response.status().as_u16();
        let body = response.bytes().await?;
        soap::parse_soap_login(status, &body)
    }

    /// OAuth 2.0 client credentials flow (`grant_type=client_credentials`): the app acts as the user its
    /// connected app names. Salesforce only answers it on the org's My Domain, not on login.salesforce.com.
    ///
    /// ```no_run
    /// # async fn run() -> bulkforce_client::Result<()> {
    /// let login = bulkforce_client::auth::Login::new("https://acme.my.salesforce.com")?;
    /// let session = login.client_credentials("3MVG9…", "secret").await?;
    /// # Ok(()) }
    /// ```
    pub async fn client_credentials(
        &self,
        client_id: &str,
        client_secret: &str,
    ) -> Result<Session> {
        self.token_request(&[
            ("grant_type", "client_credentials"),
            ("client_id", client_id),
            ("client_secret", client_secret),
        ])
        .await
    }

    /// OAuth 2.0 JWT bearer flow: an RS256 assertion with `iss` the client id, `sub` the username, `aud`
    /// `audience` (the login URL when `None`; Salesforce wants `https://login.salesforce.com` or
    /// `https://test.salesforce.com` even when the token is asked of a My Domain) and `exp` three minutes
    /// ahead. The connected app must hold the matching certificate.
    ///
    /// ```no_run
    /// use bulkforce_client::auth::{JwtKey, Login};
    /// # async fn run() -> bulkforce_client::Result<()> {
    /// let key = JwtKey::from_pem(&std::fs::read("server.key")?)?;
    /// let login = Login::new("http://127.0.0.1:8080")?;
    /// let session = login.jwt("3MVG9…", "ann@acme.test", &key, None).await?;
    /// # Ok(()) }
    /// ```
    pub async fn jwt(
        &self,
        client_id: &str,
        username: &str,
        key: &JwtKey,
        audience: Option<&str>,
    ) -> Result<Session> {
        let audience = audience.unwrap_or(&self.login_url);
        let assertion = key.assertion(client_id, username, audience)?;
        let mut session = self
            .token_request(&[("grant_type", JWT_BEARER_GRANT), ("assertion", &assertion)])
            .await?;
        session.username = Some(username.to_owned());
        Ok(session)
    }

    /// OAuth 2.0 refresh token flow: a new access token for `refresh_token`, which the returned session keeps
    /// (Salesforce does not send it again).
    ///
    /// ```no_run
    /// # async fn run() -> bulkforce_client::Result<()> {
    /// let login = bulkforce_client::auth::Login::new("http://127.0.0.1:8080")?;
    /// let session = login.refresh("3MVG9…", None, "5Aep…").await?;
    /// assert_eq!(session.refresh_token.as_deref(), Some("5Aep…"));
    /// # Ok(()) }
    /// ```
    pub async fn refresh(
        &self,
        client_id: &str,
        client_secret: Option<&str>,
        refresh_token: &str,
    ) -> Result<Session> {
        let mut form = vec![
            ("grant_type", "refresh_token"),
            ("client_id", client_id),
            ("refresh_token", refresh_token),
        ];
        if let Some(secret) = client_secret {
            form.push(("client_secret", secret));
        }
        let mut session = self.token_request(&form).await?;
        session
            .refresh_token
            .get_or_insert_with(|| refresh_token.to_owned());
        Ok(session)
    }

    /// Checks that the session works: an authenticated `GET /services/data/v{api_version}/` on its instance
    /// URL. A refused token is an [`Error::Api`] with status 401 (see [`Error::is_auth`]).
    ///
    /// ```no_run
    /// # async fn run(login: bulkforce_client::auth::Login, session: bulkforce_client::auth::Session)
    /// #     -> bulkforce_client::Result<()> {
    /// login.verify(&session, "62.0").await?;
    /// # Ok(()) }
    /// ```
    pub async fn verify(&self, session: &Session, api_version: &str) -> Result<()> {
        let version = api_version.trim_start_matches(['v', 'V']);
        let response = self
            .http
            .get(format!(
                "{}/services/data/v{version}/",
                session.instance_url
            ))
            .bearer_auth(&session.access_token)
            .send()
            .await?;
        check(response).await.map(drop)
    }

    /// The session's user (`GET /services/oauth2/userinfo` on its instance URL).
    ///
    /// ```no_run
    /// # async fn run(login: bulkforce_client::auth::Login, session: bulkforce_client::auth::Session)
    /// #     -> bulkforce_client::Result<()> {
    /// let me = login.user_info(&session).await?;
    /// println!("{} in {}", me.preferred_username, me.organization_id);
    /// # Ok(()) }
    /// ```
    pub async fn user_info(&self, session: &Session) -> Result<UserInfo> {
        let response = self
            .http
            .get(format!("{}/services/oauth2/userinfo", session.instance_url))
            .bearer_auth(&session.access_token)
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await?;
        let body = check(response).await?.bytes().await?;
        serde_json::from_slice(&body)
            .map_err(|e| Error::Protocol(format!("userinfo answer: {e}: {}", snippet(&body))))
    }

    /// Revokes the session's access token (`POST /services/oauth2/revoke` on its instance URL), so that it
    /// stops working everywhere, not just here.
    ///
    /// ```no_run
    /// # async fn run(login: bulkforce_client::auth::Login, session: bulkforce_client::auth::Session)
    /// #     -> bulkforce_client::Result<()> {
    /// login.revoke(&session).await?;
    /// # Ok(()) }
    /// ```
    pub async fn revoke(&self, session: &Session) -> Result<()> {
        let response = self
            .http
            .post(format!("{}/services/oauth2/revoke", session.instance_url))
            .form(&[("token", session.access_token.as_str())])
            .send()
            .await?;
        let status = response.status().as_u16();
        if response.status().is_success() {
            return Ok(());
        }
        let body = response.bytes().await?;
        Err(oauth_error(status, &body))
    }

    /// `POST /services/oauth2/token` with `form`; the answer as a session, or the OAuth error.
    async fn token_request(&self, form: &[(&str, &str)]) -> Result<Session> {
        let response = self
            .http
            .post(format!("{}/services/oauth2/token", self.login_url))
            .header(reqwest::header::ACCEPT, "application/json")
            .form(form)
            .send()
            .await?;
        let status = response.status().as_u16();
        let body = response.bytes().await?;
        if (200..300).contains(&status) {
            parse_token_response(&body)
        } else {
            Err(oauth_error(status, &body))
        }
    }
}

/// Turns an error status into [`Error::Api`].
async fn check(response: reqwest::Response) -> Result<reqwest::Response> {
    let status = response.status();
    if status.is_success() {
        return Ok(response);
    }
    let body = response.bytes().await.unwrap_or_default();
    Err(Error::from_response_body(status.as_u16(), &body))
}

/// A 4xx OAuth answer `{"error","error_description"}` is a refused login; anything else (5xx, HTML from a
/// proxy) stays an [`Error::Api`] so that a server failure is not mistaken for bad credentials.
fn oauth_error(status: u16, body: &[u8]) -> Error {
    #[derive(Deserialize)]
    struct OAuthError {
        error: String,
        #[serde(default)]
        error_description: String,
    }
    if (400..500).contains(&status)
        && let Ok(e) = serde_json::from_slice::<OAuthError>(body)
    {
        return Error::Auth {
            code: e.error,
            message: e.error_description,
        };
    }
    Error::from_response_body(status, body)
}

/// Salesforce's token answer: `access_token` and `instance_url` are required; `issued_at` is epoch
/// milliseconds as a string; `id` is the identity URL, ending in `/{orgId}/{userId}`.
fn parse_token_response(body: &[u8]) -> Result<Session> {
    #[derive(Deserialize)]
    struct Token {
        access_token: String,
        instance_url: String,
        #[serde(default)]
        refresh_token: Option<String>,
        #[serde(default)]
        id: Option<String>,
        #[serde(default)]
        issued_at: Option<String>,
    }
    let token: Token = serde_json::from_slice(body)
        .map_err(|e| Error::Protocol(format!("token answer: {e}: {}", snippet(body))))?;
    let mut session = Session::new(token.instance_url, token.access_token);
    session.refresh_token = token.refresh_token;
    if let Some(at) = token.issued_at.and_then(|t| t.trim().parse().ok()) {
        session.issued_at = at;
    }
    if let Some(id) = token.id {
        let mut tail = id.trim_end_matches('/').rsplit('/');
        if let (Some(user), Some(org)) = (tail.next(), tail.next())
            && user.starts_with("005")
            && org.starts_with("00D")
        {
            session.user_id = Some(user.to_owned());
            session.org_id = Some(org.to_owned());
        }
        session.identity_url = Some(id);
    }
    if !session.instance_url.starts_with("http://") && !session.instance_url.starts_with("https://")
    {
        return Err(Error::Protocol(format!(
            "token answer with instance_url {:?}",
            session.instance_url
        )));
    }
    Ok(session)
}

fn snippet(body: &[u8]) -> String {
    String::from_utf8_lossy(&body[..body.len().min(300)]).into_owned()
}

fn now_millis() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

#[cfg(test)]
mod tests;
