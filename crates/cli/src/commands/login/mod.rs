//! `bulkforce login`: obtain a session (password, client credentials, JWT, or a token given as is), check that
//! it works, and save it under an alias for `--org`; list, refresh, forget saved logins.
//!
//! A session is verified before it is saved, so a bad token fails here (exit 69) rather than in the middle of a
//! later load. Tokens are never printed.
//!
//! This module holds the arguments and what the subcommands share; flows.rs logs in (one function per flow),
//! saved.rs handles saved logins (refresh, list, set-default, logout).

mod flows;
mod saved;

use super::exit::{CliError, CommandResult};
use super::orgs::{self, OrgStore, StoredOrg};
use bulkforce_client::Error;
use bulkforce_client::auth::PRODUCTION_LOGIN_URL;
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
    Password(PasswordArgs),
    /// OAuth client credentials: a connected app acting as its run-as user (use the org's My Domain as
    /// --login-url on Salesforce).
    ClientCredentials(ClientCredentialsArgs),
    /// OAuth JWT bearer: an assertion signed with the private key whose certificate the connected app holds.
    Jwt(JwtArgs),
    /// Save an access token obtained elsewhere (`sf org display`, `bulkforce admin token`), after checking it.
    AccessToken(AccessTokenArgs),
    /// Get a new access token for a saved login with its refresh token, and save it.
    Refresh(RefreshArgs),
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

// The subcommands' arguments have no doc comments of their own: clap would show them instead of the
// variants' descriptions above.

#[derive(Args, Debug)]
struct PasswordArgs {
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
}

#[derive(Args, Debug)]
struct ClientCredentialsArgs {
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
}

#[derive(Args, Debug)]
struct JwtArgs {
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
}

#[derive(Args, Debug)]
struct AccessTokenArgs {
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
}

#[derive(Args, Debug)]
struct RefreshArgs {
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
}

/// `bulkforce login`: one flow, or one action on saved logins.
pub async fn login(args: LoginArgs) -> CommandResult {
    match args.command {
        LoginCommand::Password(args) => flows::password(args).await,
        LoginCommand::ClientCredentials(args) => flows::client_credentials(args).await,
        LoginCommand::Jwt(args) => flows::jwt(args).await,
        LoginCommand::AccessToken(args) => flows::access_token(args).await,
        LoginCommand::Refresh(args) => saved::refresh(args).await,
        LoginCommand::List { json } => saved::list(json),
        LoginCommand::SetDefault { alias, json } => saved::set_default(&alias, json),
        LoginCommand::Logout {
            alias,
            revoke,
            json,
        } => saved::logout(&alias, revoke, json).await,
    }
}

/// A library error of a login flow: bad input is a usage error (its message without the library's
/// "invalid argument" prefix), the rest as for every command (refused or unreachable: 69).
fn login_error(e: Error) -> CliError {
    match e {
        Error::InvalidArgument(message) => CliError::Usage(message),
        other => CliError::Client(other),
    }
}

/// The store, once the alias is known to be a valid name (before any network call).
fn store_for(alias: &str) -> Result<OrgStore, CliError> {
    orgs::check_alias(alias).map_err(CliError::Usage)?;
    OrgStore::locate().map_err(CliError::Usage)
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
fn unknown(store: &OrgStore, alias: &str) -> CliError {
    match orgs::session_of(store, alias) {
        Err(message) => CliError::Usage(message),
        Ok(_) => CliError::usage(format!("cannot read the saved login {alias:?}")),
    }
}
