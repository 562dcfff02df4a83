//! `bulkforce login`: obtain a session (password, client credentials, JWT, or a token given as is), check that
//! it works, and save it under an alias for `--org`; list, refresh, forget saved logins.
//!
//! A session is verified before it is saved, so a bad token fails here (exit 69) rather than in the middle of a
//! later load. Tokens are never printed.

use super::orgs::{self, OrgStore, StoredOrg};
use super::{EXIT_OK, EXIT_OTHER, fail, usage};
use bulkforce_client::Error;
use bulkforce_client::auth::{JwtKey, Login, PRODUCTION_LOGIN_URL, Session};
use clap::{Args, Subcommand};
use serde_json::json;
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct LoginArgs {
    #[command(subcommand)]
    command: LoginCommand,
}

/// What every login flow shares: where to save the session and how to report.
#[derive(Args, Debug)]
struct SaveArgs {
    /// The name to save the login under; other commands then take `--org NAME`.
    #[arg(long, value_name = "NAME")]
    alias: String,
    /// Also make it the default org, used by commands given neither --org nor credentials.
    #[arg(long)]
    set_default: bool,
    /// The REST API version (of the SOAP login, and of the call that checks the new session).
    #[arg(long, env = "BULKFORCE_API_VERSION", default_value = "62.0")]
    api_version: String,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

#[derive(Args, Debug)]
struct LoginUrlArg {
    /// Where to log in: https://login.salesforce.com, https://test.salesforce.com (sandboxes), a My Domain
    /// URL, or a bulkforce server (http://127.0.0.1:8080).
    #[arg(long, env = "BULKFORCE_LOGIN_URL", default_value = PRODUCTION_LOGIN_URL)]
    login_url: String,
}

#[derive(Subcommand, Debug)]
enum LoginCommand {
    /// Username and password: the OAuth username-password flow when --client-id is given, the SOAP login
    /// otherwise (no connected app needed).
    Password {
        #[command(flatten)]
        save: SaveArgs,
        #[command(flatten)]
        url: LoginUrlArg,
        /// The username.
        #[arg(long, env = "BULKFORCE_USERNAME")]
        username: String,
        /// The password. Prefer env BULKFORCE_PASSWORD or --password-stdin: a command line is visible to
        /// other users of the machine.
        #[arg(long, env = "BULKFORCE_PASSWORD", hide_env_values = true)]
        password: Option<String>,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
        /// Salesforce's security token, appended to the password.
        #[arg(long, env = "BULKFORCE_SECURITY_TOKEN", hide_env_values = true)]
        security_token: Option<String>,
        /// A connected app's client id (consumer key): log in with OAuth instead of SOAP.
        #[arg(long, env = "BULKFORCE_CLIENT_ID")]
        client_id: Option<String>,
        /// The connected app's client secret.
        #[arg(long, env = "BULKFORCE_CLIENT_SECRET", hide_env_values = true)]
        client_secret: Option<String>,
    },
    /// OAuth client credentials: a connected app acting as its run-as user (use the org's My Domain as
    /// --login-url on Salesforce).
    ClientCredentials {
        #[command(flatten)]
        save: SaveArgs,
        #[command(flatten)]
        url: LoginUrlArg,
        /// The connected app's client id.
        #[arg(long, env = "BULKFORCE_CLIENT_ID")]
        client_id: String,
        /// The connected app's client secret.
        #[arg(long, env = "BULKFORCE_CLIENT_SECRET", hide_env_values = true)]
        client_secret: Option<String>,
    },
    /// OAuth JWT bearer: an assertion signed with the private key whose certificate the connected app holds.
    Jwt {
        #[command(flatten)]
        save: SaveArgs,
        #[command(flatten)]
        url: LoginUrlArg,
        /// The connected app's client id.
        #[arg(long, env = "BULKFORCE_CLIENT_ID")]
        client_id: String,
        /// The user to log in as.
        #[arg(long, env = "BULKFORCE_USERNAME")]
        username: String,
        /// The RSA private key in PEM.
        #[arg(long, env = "BULKFORCE_JWT_KEY_FILE")]
        key_file: PathBuf,
        /// The assertion's `aud` (default: the login URL; with a My Domain login URL Salesforce wants
        /// https://login.salesforce.com or https://test.salesforce.com).
        #[arg(long)]
        audience: Option<String>,
    },
    /// Save an access token obtained elsewhere (`sf org display`, `bulkforce admin token`), after checking it.
    AccessToken {
        #[command(flatten)]
        save: SaveArgs,
        /// The instance URL the token belongs to.
        #[arg(long, env = "BULKFORCE_INSTANCE_URL")]
        instance_url: String,
        /// The token.
        #[arg(long, env = "BULKFORCE_ACCESS_TOKEN", hide_env_values = true)]
        access_token: String,
        /// A refresh token to keep for `bulkforce login refresh` (needs --client-id).
        #[arg(
            long,
            env = "BULKFORCE_REFRESH_TOKEN",
            hide_env_values = true,
            requires = "client_id"
        )]
        refresh_token: Option<String>,
        /// The connected app the refresh token was issued to.
        #[arg(long)]
        client_id: Option<String>,
        /// Where refreshes go (default: the instance URL).
        #[arg(long)]
        login_url: Option<String>,
    },
    /// Get a new access token for a saved login with its refresh token, and save it.
    Refresh {
        /// The saved login.
        alias: String,
        /// The connected app's client secret, if the app requires it for refreshes.
        #[arg(long, env = "BULKFORCE_CLIENT_SECRET", hide_env_values = true)]
        client_secret: Option<String>,
        /// The REST API version of the call that checks the new session.
        #[arg(long, env = "BULKFORCE_API_VERSION", default_value = "62.0")]
        api_version: String,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// List saved logins: aliases, users, instance URLs (never tokens).
    List {
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Make a saved login the default org.
    SetDefault {
        /// The saved login.
        alias: String,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Forget a saved login (delete its file).
    Logout {
        /// The saved login.
        alias: String,
        /// Also revoke its access token on the server, so it stops working everywhere.
        #[arg(long)]
        revoke: bool,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
}

/// A library error of a login flow as an exit code: bad input is a usage error, the rest as for every
/// command (refused or unreachable: 69).
fn login_failed(e: &Error) -> u8 {
    match e {
        Error::InvalidArgument(message) => usage(message),
        other => fail(other),
    }
}

/// The store, once the alias is known to be a valid name (before any network call).
fn store_for(alias: &str) -> Result<OrgStore, u8> {
    orgs::check_alias(alias).map_err(|e| usage(&e))?;
    OrgStore::locate().map_err(|e| usage(&e))
}

fn print_json(value: &serde_json::Value) {
    println!(
        "{}",
        serde_json::to_string_pretty(value).unwrap_or_default()
    );
}

/// How a saved login is shown: everything but the tokens.
fn describe(org: &StoredOrg, is_default: bool) -> serde_json::Value {
    json!({
        "alias": org.alias,
        "username": org.session.username,
        "instanceUrl": org.session.instance_url,
        "orgId": org.session.org_id,
        "userId": org.session.user_id,
        "flow": org.flow,
        "loginUrl": org.login_url,
        "default": is_default,
    })
}

/// The unknown-alias usage error, naming the saved ones.
fn unknown(store: &OrgStore, alias: &str) -> u8 {
    match orgs::session_of(store, alias) {
        Err(message) => usage(&message),
        Ok(_) => usage(&format!("cannot read the saved login {alias:?}")),
    }
}

/// Checks a new session, fills in who it is, saves it, reports.
async fn finish(
    save: &SaveArgs,
    store: &OrgStore,
    login: &Login,
    mut session: Session,
    flow: &str,
    login_url: Option<String>,
    client_id: Option<String>,
) -> u8 {
    if let Err(e) = login.verify(&session, &save.api_version).await {
        eprintln!("bulkforce: the new session does not work; nothing saved");
        return fail(&e);
    }
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
        flow: flow.to_owned(),
        login_url,
        client_id,
        session,
    };
    let path = match store.save(&org) {
        Ok(path) => path,
        Err(e) => {
            eprintln!("bulkforce: cannot save the login: {e}");
            return EXIT_OTHER;
        }
    };
    let is_default = if save.set_default {
        if let Err(e) = store.set_default(Some(&save.alias)) {
            eprintln!("bulkforce: cannot set the default org: {e}");
            return EXIT_OTHER;
        }
        true
    } else {
        store.default_alias().ok().flatten().as_deref() == Some(save.alias.as_str())
    };
    if save.json {
        let mut value = describe(&org, is_default);
        value["file"] = json!(path.display().to_string());
        print_json(&value);
    } else {
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
    EXIT_OK
}

/// The password from the flag or env, or the first line of stdin, followed by the security token.
fn read_password(
    password: Option<String>,
    from_stdin: bool,
    security_token: Option<String>,
) -> Result<String, u8> {
    let password = if from_stdin {
        let mut line = String::new();
        if let Err(e) = std::io::stdin().read_line(&mut line) {
            return Err(usage(&format!("cannot read the password from stdin: {e}")));
        }
        line.trim_end_matches(['\r', '\n']).to_owned()
    } else {
        match password {
            Some(p) => p,
            None => {
                return Err(usage(
                    "no password: set BULKFORCE_PASSWORD, pass --password-stdin, or --password",
                ));
            }
        }
    };
    if password.is_empty() {
        return Err(usage("the password is empty"));
    }
    Ok(password + security_token.as_deref().unwrap_or_default())
}

pub async fn login(args: LoginArgs) -> u8 {
    match args.command {
        LoginCommand::Password {
            save,
            url,
            username,
            password,
            password_stdin,
            security_token,
            client_id,
            client_secret,
        } => {
            let store = match store_for(&save.alias) {
                Ok(store) => store,
                Err(code) => return code,
            };
            let password = match read_password(password, password_stdin, security_token) {
                Ok(p) => p,
                Err(code) => return code,
            };
            let login = match Login::new(&url.login_url) {
                Ok(login) => login,
                Err(e) => return login_failed(&e),
            };
            let client_id = client_id.filter(|id| !id.is_empty());
            let (outcome, flow) = match &client_id {
                Some(id) => (
                    login
                        .password(id, client_secret.as_deref(), &username, &password)
                        .await,
                    "oauth-password",
                ),
                None => (
                    login.soap(&username, &password, &save.api_version).await,
                    "soap",
                ),
            };
            match outcome {
                Ok(session) => {
                    let login_url = Some(login.login_url().to_owned());
                    finish(&save, &store, &login, session, flow, login_url, client_id).await
                }
                Err(e) => login_failed(&e),
            }
        }
        LoginCommand::ClientCredentials {
            save,
            url,
            client_id,
            client_secret,
        } => {
            let store = match store_for(&save.alias) {
                Ok(store) => store,
                Err(code) => return code,
            };
            let Some(secret) = client_secret.filter(|s| !s.is_empty()) else {
                return usage(
                    "no client secret: set BULKFORCE_CLIENT_SECRET or pass --client-secret",
                );
            };
            let login = match Login::new(&url.login_url) {
                Ok(login) => login,
                Err(e) => return login_failed(&e),
            };
            match login.client_credentials(&client_id, &secret).await {
                Ok(session) => {
                    let login_url = Some(login.login_url().to_owned());
                    finish(
                        &save,
                        &store,
                        &login,
                        session,
                        "client-credentials",
                        login_url,
                        Some(client_id),
                    )
                    .await
                }
                Err(e) => login_failed(&e),
            }
        }
        LoginCommand::Jwt {
            save,
            url,
            client_id,
            username,
            key_file,
            audience,
        } => {
            let store = match store_for(&save.alias) {
                Ok(store) => store,
                Err(code) => return code,
            };
            let pem = match std::fs::read(&key_file) {
                Ok(pem) => pem,
                Err(e) => {
                    eprintln!("bulkforce: cannot read {}: {e}", key_file.display());
                    return EXIT_OTHER;
                }
            };
            let key = match JwtKey::from_pem(&pem) {
                Ok(key) => key,
                Err(e) => return usage(&format!("{}: {e}", key_file.display())),
            };
            let login = match Login::new(&url.login_url) {
                Ok(login) => login,
                Err(e) => return login_failed(&e),
            };
            match login
                .jwt(&client_id, &username, &key, audience.as_deref())
                .await
            {
                Ok(session) => {
                    let login_url = Some(login.login_url().to_owned());
                    finish(
                        &save,
                        &store,
                        &login,
                        session,
                        "jwt",
                        login_url,
                        Some(client_id),
                    )
                    .await
                }
                Err(e) => login_failed(&e),
            }
        }
        LoginCommand::AccessToken {
            save,
            instance_url,
            access_token,
            refresh_token,
            client_id,
            login_url,
        } => {
            let store = match store_for(&save.alias) {
                Ok(store) => store,
                Err(code) => return code,
            };
            // Checks the URL's shape; the login URL of this flow is only where refreshes go.
            let login = match Login::new(login_url.as_deref().unwrap_or(&instance_url)) {
                Ok(login) => login,
                Err(e) => return login_failed(&e),
            };
            if let Err(e) = Login::new(&instance_url) {
                return login_failed(&e);
            }
            let mut session = Session::new(instance_url, access_token);
            session.refresh_token = refresh_token.filter(|t| !t.is_empty());
            let login_url = login_url.map(|_| login.login_url().to_owned());
            finish(
                &save,
                &store,
                &login,
                session,
                "access-token",
                login_url,
                client_id,
            )
            .await
        }
        LoginCommand::Refresh {
            alias,
            client_secret,
            api_version,
            json,
        } => refresh(alias, client_secret, api_version, json).await,
        LoginCommand::List { json } => list(json),
        LoginCommand::SetDefault { alias, json } => {
            let store = match store_for(&alias) {
                Ok(store) => store,
                Err(code) => return code,
            };
            if !matches!(store.load(&alias), Ok(Some(_))) {
                return unknown(&store, &alias);
            }
            if let Err(e) = store.set_default(Some(&alias)) {
                eprintln!("bulkforce: cannot set the default org: {e}");
                return EXIT_OTHER;
            }
            if json {
                print_json(&json!({ "default": alias }));
            } else {
                println!("{alias:?} is the default org");
            }
            EXIT_OK
        }
        LoginCommand::Logout {
            alias,
            revoke,
            json,
        } => logout(alias, revoke, json).await,
    }
}

async fn refresh(
    alias: String,
    client_secret: Option<String>,
    api_version: String,
    json: bool,
) -> u8 {
    let store = match store_for(&alias) {
        Ok(store) => store,
        Err(code) => return code,
    };
    let Ok(Some(old)) = store.load(&alias) else {
        return unknown(&store, &alias);
    };
    let (Some(refresh_token), Some(client_id)) = (&old.session.refresh_token, &old.client_id)
    else {
        return usage(&format!(
            "{alias:?} has no refresh token and client id to refresh with: log in again"
        ));
    };
    let url = old
        .login_url
        .as_deref()
        .unwrap_or(&old.session.instance_url);
    let login = match Login::new(url) {
        Ok(login) => login,
        Err(e) => return login_failed(&e),
    };
    let secret = client_secret.filter(|s| !s.is_empty());
    let mut session = match login
        .refresh(client_id, secret.as_deref(), refresh_token)
        .await
    {
        Ok(session) => session,
        Err(e) => return login_failed(&e),
    };
    session.username = session.username.or(old.session.username.clone());
    session.org_id = session.org_id.or(old.session.org_id.clone());
    session.user_id = session.user_id.or(old.session.user_id.clone());
    let save = SaveArgs {
        alias,
        set_default: false,
        api_version,
        json,
    };
    finish(
        &save,
        &store,
        &login,
        session,
        &old.flow,
        old.login_url.clone(),
        old.client_id.clone(),
    )
    .await
}

fn list(json_output: bool) -> u8 {
    let store = match OrgStore::locate() {
        Ok(store) => store,
        Err(e) => return usage(&e),
    };
    let aliases = match store.aliases() {
        Ok(aliases) => aliases,
        Err(e) => {
            eprintln!("bulkforce: cannot list saved logins: {e}");
            return EXIT_OTHER;
        }
    };
    let default = store.default_alias().ok().flatten();
    let mut rows = Vec::new();
    for alias in &aliases {
        match store.load(alias) {
            Ok(Some(org)) => rows.push(describe(&org, default.as_deref() == Some(alias))),
            Ok(None) => {}
            Err(e) => eprintln!("bulkforce: skipping {alias:?}: {e}"),
        }
    }
    if json_output {
        print_json(&json!(rows));
        return EXIT_OK;
    }
    if rows.is_empty() {
        println!("no saved logins (see `bulkforce login --help`)");
        return EXIT_OK;
    }
    let text = |row: &serde_json::Value, key: &str| row[key].as_str().unwrap_or("").to_owned();
    let header = ["alias", "username", "instance URL", "org", "flow"];
    let keys = ["alias", "username", "instanceUrl", "orgId", "flow"];
    let mut widths = header.map(str::len);
    for row in &rows {
        for (i, key) in keys.iter().enumerate() {
            widths[i] = widths[i].max(text(row, key).len());
        }
    }
    let line = |cells: [String; 5], mark: &str| {
        let mut out = format!("{mark:<2}");
        for (i, cell) in cells.iter().enumerate() {
            if i + 1 == cells.len() {
                out.push_str(cell);
            } else {
                out.push_str(&format!("{cell:<width$}  ", width = widths[i]));
            }
        }
        println!("{}", out.trim_end());
    };
    line(header.map(str::to_owned), "");
    for row in &rows {
        let mark = if row["default"] == json!(true) {
            "*"
        } else {
            ""
        };
        line(keys.map(|k| text(row, k)), mark);
    }
    if default.is_some() {
        println!("(* default org)");
    }
    EXIT_OK
}

async fn logout(alias: String, revoke: bool, json_output: bool) -> u8 {
    let store = match store_for(&alias) {
        Ok(store) => store,
        Err(code) => return code,
    };
    let org = match store.load(&alias) {
        Ok(Some(org)) => Some(org),
        Ok(None) => return unknown(&store, &alias),
        // An unreadable file can still be removed.
        Err(e) => {
            eprintln!("bulkforce: {e}");
            None
        }
    };
    let mut code = EXIT_OK;
    let mut revoked = false;
    if revoke && let Some(org) = &org {
        match Login::new(&org.session.instance_url) {
            Ok(login) => match login.revoke(&org.session).await {
                Ok(()) => revoked = true,
                Err(e) => {
                    eprintln!("bulkforce: the token was not revoked; removing the login anyway");
                    code = fail(&e);
                }
            },
            Err(e) => code = login_failed(&e),
        }
    }
    if let Err(e) = store.remove(&alias) {
        eprintln!("bulkforce: cannot remove the login: {e}");
        return EXIT_OTHER;
    }
    if json_output {
        print_json(&json!({ "alias": alias, "removed": true, "revoked": revoked }));
    } else {
        println!(
            "logged out of {alias:?}{}",
            if revoked { " (token revoked)" } else { "" }
        );
    }
    code
}
