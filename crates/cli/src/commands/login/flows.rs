//! The login flows, one function each, and what they end with: check the new session, save it, report.

use super::{
    AccessTokenArgs, ClientCredentialsArgs, JwtArgs, PasswordArgs, SaveArgs, describe, login_error,
    print_json, store_for,
};
use crate::commands::exit::{CliError, CommandResult, Finished};
use crate::commands::orgs::{OrgStore, StoredOrg};
use bulkforce_client::auth::{JwtKey, Login, Session};
use serde_json::json;
use std::path::Path;

/// `login password`: OAuth username-password with a client id, the SOAP login without.
pub(super) async fn password(args: PasswordArgs) -> CommandResult {
    let store = store_for(&args.save.alias)?;
    let password = read_password(args.password, args.password_stdin, args.security_token)?;
    let login = Login::new(&args.url.login_url).map_err(login_error)?;
    let client_id = args.client_id.filter(|id| !id.is_empty());
    let (outcome, flow) = match &client_id {
        Some(id) => (
            login
                .password(id, args.client_secret.as_deref(), &args.username, &password)
                .await,
            "oauth-password",
        ),
        None => (
            login
                .soap(&args.username, &password, &args.save.api_version)
                .await,
            "soap",
        ),
    };
    let session = outcome.map_err(login_error)?;
    let origin = Origin {
        flow,
        login_url: Some(login.login_url().to_owned()),
        client_id,
    };
    finish(&args.save, &store, &login, session, origin).await
}

/// `login client-credentials`: a connected app as its run-as user.
pub(super) async fn client_credentials(args: ClientCredentialsArgs) -> CommandResult {
    let store = store_for(&args.save.alias)?;
    let Some(secret) = args.client_secret.filter(|s| !s.is_empty()) else {
        return Err(CliError::usage(
            "no client secret: set BULKFORCE_CLIENT_SECRET or pass --client-secret",
        ));
    };
    let login = Login::new(&args.url.login_url).map_err(login_error)?;
    let session = login
        .client_credentials(&args.client_id, &secret)
        .await
        .map_err(login_error)?;
    let origin = Origin {
        flow: "client-credentials",
        login_url: Some(login.login_url().to_owned()),
        client_id: Some(args.client_id),
    };
    finish(&args.save, &store, &login, session, origin).await
}

/// `login jwt`: an assertion signed with the connected app's key.
pub(super) async fn jwt(args: JwtArgs) -> CommandResult {
    let store = store_for(&args.save.alias)?;
    let key = read_key(&args.key_file)?;
    let login = Login::new(&args.url.login_url).map_err(login_error)?;
    let session = login
        .jwt(
            &args.client_id,
            &args.username,
            &key,
            args.audience.as_deref(),
        )
        .await
        .map_err(login_error)?;
    let origin = Origin {
        flow: "jwt",
        login_url: Some(login.login_url().to_owned()),
        client_id: Some(args.client_id),
    };
    finish(&args.save, &store, &login, session, origin).await
}

/// The private key of `login jwt`: an unreadable file is a local error (1), a file that is not a key a usage
/// error (64).
fn read_key(key_file: &Path) -> Result<JwtKey, CliError> {
    let pem = std::fs::read(key_file)
        .map_err(|e| CliError::other(format!("cannot read {}: {e}", key_file.display())))?;
    JwtKey::from_pem(&pem).map_err(|e| CliError::usage(format!("{}: {e}", key_file.display())))
}

/// `login access-token`: a token obtained elsewhere, saved once it works.
pub(super) async fn access_token(args: AccessTokenArgs) -> CommandResult {
    let store = store_for(&args.save.alias)?;
    // Checks the URL's shape; the login URL of this flow is only where refreshes go.
    let login =
        Login::new(args.login_url.as_deref().unwrap_or(&args.instance_url)).map_err(login_error)?;
    Login::new(&args.instance_url).map_err(login_error)?;
    let mut session = Session::new(args.instance_url, args.access_token);
    session.refresh_token = args.refresh_token.filter(|t| !t.is_empty());
    let origin = Origin {
        flow: "access-token",
        login_url: args.login_url.map(|_| login.login_url().to_owned()),
        client_id: args.client_id,
    };
    finish(&args.save, &store, &login, session, origin).await
}

/// How a session was obtained, kept with it (see [`StoredOrg`]).
pub(super) struct Origin<'a> {
    /// The flow's name: `oauth-password`, `soap`, `client-credentials`, `jwt`, `access-token`.
    pub flow: &'a str,
    /// Where the login happened (and refreshes go).
    pub login_url: Option<String>,
    /// The connected app, when the flow used one.
    pub client_id: Option<String>,
}

/// Checks a new session, fills in who it is, saves it, reports.
pub(super) async fn finish(
    save: &SaveArgs,
    store: &OrgStore,
    login: &Login,
    mut session: Session,
    origin: Origin<'_>,
) -> CommandResult {
    login
        .verify(&session, &save.api_version)
        .await
        .map_err(|e| CliError::from(e).context("the new session does not work; nothing saved"))?;
    if session.username.is_none() || session.org_id.is_none() || session.user_id.is_none() {
        // Best effort: a server without userinfo still gave a working session.
        if let Ok(me) = login.user_info(&session).await {
            let known = |s: String| (!s.is_empty()).then_some(s);
            session.username = session.username.or(known(me.preferred_username));
            session.org_id = session.org_id.or(known(me.organization_id));
            session.user_id = session.user_id.or(known(me.user_id));
        }
    }
    let org = StoredOrg {
        alias: save.alias.clone(),
        flow: origin.flow.to_owned(),
        login_url: origin.login_url,
        client_id: origin.client_id,
        session,
    };
    let path = store
        .save(&org)
        .map_err(|e| CliError::other(format!("cannot save the login: {e}")))?;
    let is_default = if save.set_default {
        store
            .set_default(Some(&save.alias))
            .map_err(|e| CliError::other(format!("cannot set the default org: {e}")))?;
        true
    } else {
        store.default_alias().ok().flatten().as_deref() == Some(save.alias.as_str())
    };
    print_saved(&org, &path, is_default, save.json);
    Ok(Finished::Ok)
}

/// Reports a saved login: who, where, which file (never a token).
fn print_saved(org: &StoredOrg, path: &Path, is_default: bool, json_output: bool) {
    if json_output {
        let mut value = describe(org, is_default);
        value["file"] = json!(path.display().to_string());
        print_json(&value);
        return;
    }
    println!(
        "logged in to {} as {}{}",
        org.session.instance_url,
        org.session.username.as_deref().unwrap_or("(unknown user)"),
        org.session
            .org_id
            .as_deref()
            .map(|id| format!(" (org {id})"))
            .unwrap_or_default()
    );
    println!("saved as {:?} in {}", org.alias, path.display());
    if is_default {
        println!("{:?} is the default org", org.alias);
    }
}

/// The password from the flag or env, or the first line of stdin, followed by the security token.
fn read_password(
    password: Option<String>,
    from_stdin: bool,
    security_token: Option<String>,
) -> Result<String, CliError> {
    let password = if from_stdin {
        let mut line = String::new();
        std::io::stdin()
            .read_line(&mut line)
            .map_err(|e| CliError::usage(format!("cannot read the password from stdin: {e}")))?;
        line.trim_end_matches(['\r', '\n']).to_owned()
    } else {
        password.ok_or_else(|| {
            CliError::usage(
                "no password: set BULKFORCE_PASSWORD, pass --password-stdin, or --password",
            )
        })?
    };
    if password.is_empty() {
        return Err(CliError::usage("the password is empty"));
    }
    Ok(password + security_token.as_deref().unwrap_or_default())
}
