//! `bulkforce admin`: orgs, users, connected apps and tokens, managed directly in the data directory
//! (safe while `serve` runs: SQLite arbitrates between processes); and the controls of a running server
//! (`--url`: health, clock, reset, snapshots, jobs, faults, …), in `control/`.

mod control;
mod org_settings;

use anyhow::{Context, bail};
use bulkforce_core::clock::Clock;
use bulkforce_core::id::SfId;
use bulkforce_core::schema::Schema;
use bulkforce_store::postgres::{PgOptions, PgStore};
use bulkforce_store::sqlite::SqliteStore;
use bulkforce_store::{Principal, Store, TokenKind};
use clap::{Args, Subcommand};
use serde_json::json;
use std::path::PathBuf;
use std::sync::Arc;

/// Where `--help` lists the flags of the data-dir commands.
const DATA_DIR_HEADING: &str = "Data-dir commands (create-org … revoke)";
/// Where `--help` lists the flags of the server commands.
const SERVER_HEADING: &str = "Server commands (health … faults)";

#[derive(Args, Debug)]
#[command(after_help = control::EXIT_CODES_HELP)]
pub struct AdminArgs {
    /// The data directory of the server.
    #[arg(
        long,
        env = "BULKFORCE_DATA_DIR",
        default_value = "./bulkforce-data",
        global = true,
        help_heading = DATA_DIR_HEADING
    )]
    data_dir: PathBuf,
    /// Describe files the server loads (so org databases are created with the same objects).
    #[arg(
        long = "schema",
        env = "BULKFORCE_SCHEMA_DIR",
        global = true,
        help_heading = DATA_DIR_HEADING
    )]
    schema_dir: Option<PathBuf>,
    /// Salesforce DX projects the server loads (`serve --project`), for the same objects; repeatable.
    #[arg(
        long = "project",
        env = "BULKFORCE_PROJECT_DIR",
        global = true,
        value_name = "DIR",
        help_heading = DATA_DIR_HEADING
    )]
    project_dirs: Vec<PathBuf>,
    /// The PostgreSQL database of servers started with --database-url (instead of the data directory).
    #[arg(
        long,
        env = "BULKFORCE_DATABASE_URL",
        hide_env_values = true,
        global = true,
        help_heading = DATA_DIR_HEADING
    )]
    database_url: Option<String>,
    /// Print JSON instead of text.
    #[arg(long, global = true)]
    json: bool,
    /// The running server of the control commands, e.g. http://127.0.0.1:8080 (env BULKFORCE_URL, else
    /// BULKFORCE_INSTANCE_URL).
    #[arg(long = "url", value_name = "URL", global = true, help_heading = SERVER_HEADING)]
    server_url: Option<String>,
    /// The control commands' bearer token: the server's --control-token or the default org admin's token
    /// (env BULKFORCE_CONTROL_TOKEN, else BULKFORCE_ACCESS_TOKEN; the environment keeps it out of `ps`).
    #[arg(
        long = "token",
        value_name = "TOKEN",
        global = true,
        help_heading = SERVER_HEADING
    )]
    control_token: Option<String>,
    #[command(subcommand)]
    command: AdminCommand,
}

/// Every `admin` subcommand: on the data directory, or on a running server.
#[derive(Subcommand, Debug)]
enum AdminCommand {
    #[command(flatten)]
    DataDir(DataDirCommand),
    #[command(flatten)]
    Server(control::ControlCommand),
}

/// What `bulkforce admin` was asked, ready to run.
pub enum Admin {
    /// A command on the data directory (synchronous, no server needed).
    DataDir(DataDirArgs),
    /// A control of a running server (async, over HTTP).
    Server(control::Invocation),
}

/// A data-directory command with the flags it uses.
pub struct DataDirArgs {
    data_dir: PathBuf,
    schema_dir: Option<PathBuf>,
    project_dirs: Vec<PathBuf>,
    database_url: Option<String>,
    json: bool,
    command: DataDirCommand,
}

impl AdminArgs {
    /// Splits the parsed arguments by where the command acts.
    pub fn into_admin(self) -> Admin {
        match self.command {
            AdminCommand::DataDir(command) => Admin::DataDir(DataDirArgs {
                data_dir: self.data_dir,
                schema_dir: self.schema_dir,
                project_dirs: self.project_dirs,
                database_url: self.database_url,
                json: self.json,
                command,
            }),
            AdminCommand::Server(command) => Admin::Server(control::Invocation {
                command,
                target: control::ServerTarget::resolve(self.server_url, self.control_token),
                json: self.json,
            }),
        }
    }
}

#[derive(Subcommand, Debug)]
enum DataDirCommand {
    /// Create an org with its admin user.
    CreateOrg {
        #[arg(long)]
        name: String,
        #[arg(long)]
        username: String,
        #[arg(long)]
        password: Option<String>,
    },
    /// Add a user to an org.
    CreateUser {
        /// The org id (00D…).
        #[arg(long)]
        org: String,
        #[arg(long)]
        username: String,
        #[arg(long)]
        password: Option<String>,
        #[arg(long, default_value = "User")]
        last_name: String,
        #[arg(long, default_value = "")]
        first_name: String,
    },
    /// Set a user's password.
    SetPassword {
        #[arg(long)]
        username: String,
        #[arg(long)]
        password: String,
    },
    /// Create a connected app (OAuth client); prints its client id and secret.
    CreateApp {
        #[arg(long)]
        org: String,
        #[arg(long)]
        name: String,
        /// PEM certificate (or RSA public key) that verifies JWT bearer assertions.
        #[arg(long)]
        certificate: Option<PathBuf>,
    },
    /// Issue an access token for a user (and with --refresh, a refresh token for an app).
    Token {
        #[arg(long)]
        username: String,
        /// Lifetime in seconds; none: it does not expire.
        #[arg(long)]
        ttl: Option<u64>,
        /// Also issue a refresh token bound to this app's client id.
        #[arg(long)]
        refresh: Option<String>,
    },
    /// List orgs with their users and apps (and which users are locked out, until when).
    List,
    /// End a user's login lockout (too many wrong passwords) and restart their count.
    Unlock {
        #[arg(long)]
        username: String,
    },
    /// Revoke an access or refresh token.
    Revoke { token: String },
    /// Show or change an org's settings (Salesforce's org preferences); a running server follows a
    /// change from its next request or job.
    OrgSettings {
        /// The org id (00D…); the default org when omitted.
        #[arg(long)]
        org: Option<String>,
        /// "Set Audit Fields upon Record Creation": inserts may set CreatedDate, CreatedById,
        /// LastModifiedDate and LastModifiedById (Account, Case, Contact, Lead, Opportunity, … and custom
        /// objects); describe shows them createable.
        #[arg(long, value_name = "SWITCH")]
        set_audit_fields: Option<org_settings::Switch>,
    },
}

fn print(json_output: bool, value: serde_json::Value, text: String) {
    if json_output {
        println!(
            "{}",
            serde_json::to_string_pretty(&value).unwrap_or_default()
        );
    } else {
        println!("{text}");
    }
}

fn org_id(text: &str) -> anyhow::Result<SfId> {
    SfId::parse(text)
        .ok()
        .filter(|id| id.as_str().starts_with("00D"))
        .with_context(|| format!("{text} is not an org id"))
}

/// `bulkforce admin`: opens the data directory or the database (creating the default org if needed) and runs
/// one subcommand.
pub fn run(args: DataDirArgs) -> anyhow::Result<()> {
    let schema = Arc::new(bulkforce_server::project::load_schema(
        args.schema_dir.as_deref(),
        &args.project_dirs,
    )?);
    let store = open_store(&args, schema)?;
    let store = store.as_ref();
    store.ensure_default_org()?;
    let json_output = args.json;
    match args.command {
        DataDirCommand::CreateOrg {
            name,
            username,
            password,
        } => create_org(store, &name, &username, password.as_deref(), json_output),
        DataDirCommand::CreateUser {
            org,
            username,
            password,
            last_name,
            first_name,
        } => {
            let user = NewUser {
                org: org_id(&org)?,
                username: &username,
                password: password.as_deref(),
                last_name: &last_name,
                first_name: &first_name,
            };
            create_user(store, &user, json_output)
        }
        DataDirCommand::SetPassword { username, password } => {
            set_password(store, &username, &password, json_output)
        }
        DataDirCommand::CreateApp {
            org,
            name,
            certificate,
        } => create_app(store, &org, &name, certificate, json_output),
        DataDirCommand::Token {
            username,
            ttl,
            refresh,
        } => token(store, &username, ttl, refresh.as_deref(), json_output),
        DataDirCommand::List => list(store, json_output),
        DataDirCommand::Unlock { username } => unlock(store, &username, json_output),
        DataDirCommand::Revoke { token } => revoke(store, &token, json_output),
        DataDirCommand::OrgSettings {
            org,
            set_audit_fields,
        } => org_settings::run(
            store,
            org.as_deref(),
            &org_settings::Changes { set_audit_fields },
            json_output,
        ),
    }
}

/// The servers' store: the PostgreSQL database of `--database-url`, else SQLite in the data directory.
fn open_store(args: &DataDirArgs, schema: Arc<Schema>) -> anyhow::Result<Box<dyn Store>> {
    let Some(url) = &args.database_url else {
        let store =
            SqliteStore::open(&args.data_dir, schema).context("opening the data directory")?;
        return Ok(Box::new(store));
    };
    // An admin command claims no jobs; its id only names it among the database's clients.
    let options = PgOptions::new(url.clone(), format!("admin-{}", std::process::id()));
    let store = PgStore::connect(options, schema, Clock::real()).context("opening the database")?;
    Ok(Box::new(store))
}

/// `admin create-org`: the org, its admin user, and a token for that user.
fn create_org(
    store: &dyn Store,
    name: &str,
    username: &str,
    password: Option<&str>,
    json_output: bool,
) -> anyhow::Result<()> {
    let principal = store.create_org(name, username, password)?;
    let token = issue(store, &principal, None)?;
    print(
        json_output,
        json!({"orgId": principal.org_id.as_str(), "userId": principal.user_id.as_str(),
               "username": principal.username, "accessToken": token}),
        format!(
            "org {} created\n  admin user: {} ({})\n  access token: {token}",
            principal.org_id, principal.username, principal.user_id
        ),
    );
    Ok(())
}

/// The user `admin create-user` adds.
struct NewUser<'a> {
    org: SfId,
    username: &'a str,
    password: Option<&'a str>,
    last_name: &'a str,
    first_name: &'a str,
}

/// `admin create-user`.
fn create_user(store: &dyn Store, user: &NewUser, json_output: bool) -> anyhow::Result<()> {
    let principal = store.create_user(
        user.org,
        user.username,
        user.password,
        user.last_name,
        user.first_name,
    )?;
    print(
        json_output,
        json!({"orgId": principal.org_id.as_str(), "userId": principal.user_id.as_str(), "username": user.username}),
        format!(
            "user {} ({}) created in {}",
            principal.username, principal.user_id, principal.org_id
        ),
    );
    Ok(())
}

/// `admin set-password`.
fn set_password(
    store: &dyn Store,
    username: &str,
    password: &str,
    json_output: bool,
) -> anyhow::Result<()> {
    if !store.set_password(username, password)? {
        bail!("no user {username}");
    }
    print(
        json_output,
        json!({"username": username}),
        format!("password of {username} set"),
    );
    Ok(())
}

/// `admin create-app`: prints the client secret, which is stored only as a hash.
fn create_app(
    store: &dyn Store,
    org: &str,
    name: &str,
    certificate: Option<PathBuf>,
    json_output: bool,
) -> anyhow::Result<()> {
    let certificate = certificate
        .map(|path| {
            std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))
        })
        .transpose()?;
    let (app, secret) = store.create_app(org_id(org)?, name, certificate.as_deref())?;
    print(
        json_output,
        json!({"appId": app.id.as_str(), "clientId": app.client_id, "clientSecret": secret}),
        format!(
            "app {} ({}) created\n  client id:     {}\n  client secret: {secret}",
            app.name, app.id, app.client_id
        ),
    );
    Ok(())
}

/// `admin token`: an access token, and with --refresh a refresh token bound to an app.
fn token(
    store: &dyn Store,
    username: &str,
    ttl: Option<u64>,
    refresh: Option<&str>,
    json_output: bool,
) -> anyhow::Result<()> {
    let principal = store
        .find_user(username)?
        .with_context(|| format!("no user {username}"))?;
    let expires = ttl.map(|s| store.clock().now().timestamp_millis() + (s as i64) * 1000);
    let token = issue(store, &principal, expires)?;
    let refresh_token = refresh
        .map(|client_id| issue_refresh(store, &principal, client_id))
        .transpose()?;
    print(
        json_output,
        json!({"accessToken": token, "refreshToken": refresh_token, "orgId": principal.org_id.as_str()}),
        match &refresh_token {
            Some(r) => format!("access token:  {token}\nrefresh token: {r}"),
            None => token.clone(),
        },
    );
    Ok(())
}

/// A refresh token for `principal`, bound to the app `client_id`.
fn issue_refresh(
    store: &dyn Store,
    principal: &Principal,
    client_id: &str,
) -> anyhow::Result<String> {
    let app = store
        .find_app(client_id)?
        .with_context(|| format!("no app {client_id}"))?;
    let refresh_token = format!(
        "5Aep{}",
        bulkforce_server::new_access_token(principal.org_id).replace('!', "")
    );
    store.save_token(
        principal,
        &refresh_token,
        TokenKind::Refresh,
        Some(app.id),
        None,
    )?;
    Ok(refresh_token)
}

/// `admin list`: every org with its users and apps.
fn list(store: &dyn Store, json_output: bool) -> anyhow::Result<()> {
    let mut orgs = Vec::new();
    let mut text = String::new();
    let locked = store.locked_users(store.clock().now())?;
    let lock_of = |user: &Principal| {
        locked
            .iter()
            .find(|l| l.principal.user_id == user.user_id)
            .map(|l| l.until.map(|t| t.to_rfc3339()))
    };
    for org in store.list_orgs()? {
        let users = store.list_users(org.id)?;
        let apps = store.list_apps(org.id)?;
        text.push_str(&format!(
            "{} {}{}\n",
            org.id,
            org.name,
            if org.is_default { " (default)" } else { "" }
        ));
        for user in &users {
            let lock = match lock_of(user) {
                None => String::new(),
                Some(Some(until)) => format!(" (locked out until {until})"),
                Some(None) => " (locked out until unlocked)".to_owned(),
            };
            text.push_str(&format!(
                "  user {} {}{lock}\n",
                user.user_id, user.username
            ));
        }
        for app in &apps {
            text.push_str(&format!(
                "  app  {} {} client id {}\n",
                app.id, app.name, app.client_id
            ));
        }
        orgs.push(json!({
            "id": org.id.as_str(), "name": org.name, "default": org.is_default,
            "users": users.iter().map(|u| {
                let mut user = json!({"id": u.user_id.as_str(), "username": u.username});
                if let Some(until) = lock_of(u) {
                    user["lockedOut"] = json!(true);
                    user["lockedUntil"] = json!(until);
                }
                user
            }).collect::<Vec<_>>(),
            "apps": apps.iter().map(|a| json!({"id": a.id.as_str(), "name": a.name, "clientId": a.client_id})).collect::<Vec<_>>(),
        }));
    }
    print(json_output, json!(orgs), text.trim_end().to_owned());
    Ok(())
}

/// `admin unlock --username U`: as Salesforce's "Unlock" on a user.
fn unlock(store: &dyn Store, username: &str, json_output: bool) -> anyhow::Result<()> {
    if !store.unlock_user(username)? {
        bail!("no user {username}");
    }
    print(
        json_output,
        json!({"username": username, "unlocked": true}),
        format!("{username} unlocked"),
    );
    Ok(())
}

/// `admin revoke TOKEN`.
fn revoke(store: &dyn Store, token: &str, json_output: bool) -> anyhow::Result<()> {
    if !store.revoke_token(token)? {
        bail!("no live token matches");
    }
    print(
        json_output,
        json!({"revoked": true}),
        "token revoked".into(),
    );
    Ok(())
}

fn issue(
    store: &dyn Store,
    principal: &Principal,
    expires_ms: Option<i64>,
) -> anyhow::Result<String> {
    let token = bulkforce_server::new_access_token(principal.org_id);
    store.save_token(principal, &token, TokenKind::Access, None, expires_ms)?;
    Ok(token)
}
