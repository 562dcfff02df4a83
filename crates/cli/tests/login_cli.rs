//! `bulkforce login` and `--org`, against the real `bulkforce serve` on an ephemeral port: every login flow
//! (SOAP and OAuth password, client credentials, JWT bearer, access token, refresh), the saved files and their
//! permissions, how client commands pick their credentials, and the exit codes of refused logins and bad
//! aliases. Orgs, users and connected apps are made with `bulkforce admin` on the server's data dir; every
//! test has its own config dir (`BULKFORCE_CONFIG_DIR`) and its own HOME.
//!
//! This file is long because every login flow is one end-to-end scenario against the real binary, and the
//! flows share this file's org, app and key fixtures.

mod support;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use support::{Server, code};

const ADMIN_TOKEN: &str = "00D000000000001!login.cli.test.token";
const USERNAME: &str = "ann@acme.test";
const PASSWORD: &str = "s3cret!pw";

/// Every variable the client commands read: cleared so the test runner's environment cannot leak in.
const CLEARED: &[&str] = &[
    "BULKFORCE_INSTANCE_URL",
    "BULKFORCE_ACCESS_TOKEN",
    "BULKFORCE_ORG",
    "BULKFORCE_CONFIG_DIR",
    "BULKFORCE_LOGIN_URL",
    "BULKFORCE_USERNAME",
    "BULKFORCE_PASSWORD",
    "BULKFORCE_SECURITY_TOKEN",
    "BULKFORCE_CLIENT_ID",
    "BULKFORCE_CLIENT_SECRET",
    "BULKFORCE_JWT_KEY_FILE",
    "BULKFORCE_REFRESH_TOKEN",
    "BULKFORCE_API_VERSION",
    "XDG_CONFIG_HOME",
];

/// The org a test logs in to: a second org with a password user and a connected app.
struct Tenant {
    org_id: String,
    client_id: String,
    client_secret: String,
}

fn serve() -> Server {
    support::serve(ADMIN_TOKEN, None, &[])
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn json_of(output: &Output) -> serde_json::Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is JSON ({e}): {}\nstderr: {}",
            stdout(output),
            stderr(output)
        )
    })
}

#[track_caller]
fn assert_code(output: &Output, expected: i32) {
    assert_eq!(
        code(output),
        expected,
        "stdout: {}\nstderr: {}",
        stdout(output),
        stderr(output)
    );
}

impl Server {
    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// `bulkforce admin --json ARGS` on the server's data dir.
    fn admin(&self, args: &[&str]) -> serde_json::Value {
        let output = Command::new(env!("CARGO_BIN_EXE_bulkforce"))
            .arg("admin")
            .arg("--data-dir")
            .arg(self.data())
            .arg("--json")
            .args(args)
            .env_remove("BULKFORCE_DATA_DIR")
            .output()
            .expect("bulkforce admin runs");
        assert_code(&output, 0);
        json_of(&output)
    }

    /// A second org with `ann@acme.test` (password) and a connected app (with `certificate`, if given).
    fn tenant(&self, certificate: Option<&Path>) -> Tenant {
        let org = self.admin(&[
            "create-org",
            "--name",
            "acme",
            "--username",
            USERNAME,
            "--password",
            PASSWORD,
        ]);
        let org_id = org["orgId"].as_str().unwrap().to_owned();
        let mut app_args = vec!["create-app", "--org", &org_id, "--name", "cli"];
        let cert;
        if let Some(path) = certificate {
            cert = path.to_str().unwrap().to_owned();
            app_args.extend(["--certificate", &cert]);
        }
        let app = self.admin(&app_args);
        Tenant {
            org_id: org_id.clone(),
            client_id: app["clientId"].as_str().unwrap().to_owned(),
            client_secret: app["clientSecret"].as_str().unwrap().to_owned(),
        }
    }

    /// An access token for `ann@acme.test` (and a refresh token for `refresh_app`).
    fn token(&self, refresh_app: Option<&str>) -> (String, Option<String>) {
        let mut args = vec!["token", "--username", USERNAME];
        if let Some(app) = refresh_app {
            args.extend(["--refresh", app]);
        }
        let out = self.admin(&args);
        (
            out["accessToken"].as_str().unwrap().to_owned(),
            out["refreshToken"].as_str().map(str::to_owned),
        )
    }
}

/// A user of the CLI: their own config dir and HOME, nothing from the test runner's environment.
struct User {
    home: tempfile::TempDir,
}

impl User {
    fn new() -> User {
        User {
            home: tempfile::tempdir().unwrap(),
        }
    }

    fn config(&self) -> PathBuf {
        self.home.path().join("config")
    }

    fn org_file(&self, alias: &str) -> PathBuf {
        self.config().join("orgs").join(format!("{alias}.json"))
    }

    fn saved(&self, alias: &str) -> serde_json::Value {
        serde_json::from_slice(&std::fs::read(self.org_file(alias)).unwrap()).unwrap()
    }

    fn command(&self, args: &[&str], env: &[(&str, &str)]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_bulkforce"));
        command.args(args);
        for name in CLEARED {
            command.env_remove(name);
        }
        command
            .env("HOME", self.home.path())
            .env("BULKFORCE_CONFIG_DIR", self.config())
            .envs(env.iter().copied())
            .current_dir(self.home.path());
        command
    }

    /// Runs `bulkforce ARGS` with extra environment variables.
    fn run(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        self.command(args, env).output().expect("bulkforce runs")
    }

    /// Runs `bulkforce ARGS` with `input` on stdin.
    fn run_with_stdin(&self, args: &[&str], env: &[(&str, &str)], input: &str) -> Output {
        let mut child = self
            .command(args, env)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("bulkforce runs");
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    }

    /// `jobs list --json` with these extra arguments; the exit code and, on success, the job ids.
    fn jobs(&self, extra: &[&str], env: &[(&str, &str)]) -> (i32, Vec<String>) {
        let mut args = vec!["jobs", "list", "--json"];
        args.extend(extra);
        let output = self.run(&args, env);
        if code(&output) != 0 {
            return (code(&output), Vec::new());
        }
        let ids = json_of(&output)
            .as_array()
            .expect("a JSON array of jobs")
            .iter()
            .map(|job| job["id"].as_str().unwrap().to_owned())
            .collect();
        (0, ids)
    }

    /// Loads one Account row with these extra arguments; the new job's id.
    fn load_one(&self, extra: &[&str]) -> String {
        let file = self.home.path().join("one.csv");
        std::fs::write(&file, "Name\nAcme\n").unwrap();
        let mut args = vec![
            "load",
            "insert",
            "--object",
            "Account",
            "--file",
            file.to_str().unwrap(),
            "--json",
        ];
        args.extend(extra);
        let output = self.run(&args, &[]);
        assert_code(&output, 0);
        json_of(&output)["jobs"][0]["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// Checks the saved file of `alias`: private, in a private directory, no password or secret, not printed.
fn assert_saved_privately(user: &User, alias: &str, secrets: &[&str], printed: &Output) {
    let file = user.org_file(alias);
    let text = std::fs::read_to_string(&file).unwrap();
    #[cfg(unix)]
    {
        assert_eq!(mode(&file), 0o600, "{}", file.display());
        assert_eq!(mode(file.parent().unwrap()), 0o700);
    }
    for secret in secrets {
        assert!(
            !text.contains(secret),
            "{alias} file holds a secret: {text}"
        );
    }
    let saved = user.saved(alias);
    let token = saved["accessToken"].as_str().unwrap();
    assert!(!token.is_empty());
    assert!(
        !stdout(printed).contains(token) && !stderr(printed).contains(token),
        "the token was printed"
    );
    // Nothing but the one file: no temp file left behind.
    let names: Vec<_> = std::fs::read_dir(file.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(
        names.iter().all(|n| !n.to_string_lossy().starts_with('.')),
        "{names:?}"
    );
}

#[test]
fn soap_password_login_saves_a_private_alias_that_commands_use() {
    let server = serve();
    let tenant = server.tenant(None);
    let user = User::new();
    let login = user.run(
        &[
            "login",
            "password",
            "--alias",
            "acme",
            "--login-url",
            &server.url,
            "--username",
            USERNAME,
        ],
        &[("BULKFORCE_PASSWORD", PASSWORD)],
    );
    assert_code(&login, 0);
    assert!(
        stdout(&login).contains(&format!("logged in to {} as {USERNAME}", server.url)),
        "{}",
        stdout(&login)
    );
    assert_saved_privately(&user, "acme", &[PASSWORD], &login);
    let saved = user.saved("acme");
    assert_eq!(saved["flow"], "soap");
    assert_eq!(saved["instanceUrl"], server.url.as_str());
    assert_eq!(saved["username"], USERNAME);
    assert_eq!(saved["orgId"], tenant.org_id.as_str());

    // A job loaded through the alias lands in acme's org, not the server's default org.
    let job = user.load_one(&["--org", "acme"]);
    assert_eq!(user.jobs(&["--org", "acme"], &[]), (0, vec![job.clone()]));
    let (status, default_org_jobs) = user.jobs(
        &["--instance-url", &server.url, "--access-token", ADMIN_TOKEN],
        &[],
    );
    assert_eq!(status, 0);
    assert!(!default_org_jobs.contains(&job));
}

#[test]
fn oauth_password_login_takes_the_password_from_stdin_and_the_secret_from_env() {
    let server = serve();
    let tenant = server.tenant(None);
    let user = User::new();
    let login = user.run_with_stdin(
        &[
            "login",
            "password",
            "--alias",
            "acme-oauth",
            "--login-url",
            &server.url,
            "--username",
            USERNAME,
            "--client-id",
            &tenant.client_id,
            "--password-stdin",
            "--json",
        ],
        &[("BULKFORCE_CLIENT_SECRET", &tenant.client_secret)],
        &format!("{PASSWORD}\n"),
    );
    assert_code(&login, 0);
    let report = json_of(&login);
    assert_eq!(report["alias"], "acme-oauth");
    assert_eq!(report["flow"], "oauth-password");
    assert_eq!(report["username"], USERNAME);
    assert_eq!(report["orgId"], tenant.org_id.as_str());
    assert!(report.get("accessToken").is_none());
    assert_saved_privately(
        &user,
        "acme-oauth",
        &[PASSWORD, &tenant.client_secret],
        &login,
    );
    assert_eq!(
        user.saved("acme-oauth")["clientId"],
        tenant.client_id.as_str()
    );
    assert_eq!(user.jobs(&["--org", "acme-oauth"], &[]), (0, vec![]));
}

#[test]
fn client_credentials_login_runs_as_the_apps_user() {
    let server = serve();
    let tenant = server.tenant(None);
    let user = User::new();
    let login = user.run(
        &[
            "login",
            "client-credentials",
            "--alias",
            "app",
            "--login-url",
            &server.url,
            "--client-id",
            &tenant.client_id,
        ],
        &[("BULKFORCE_CLIENT_SECRET", &tenant.client_secret)],
    );
    assert_code(&login, 0);
    assert_saved_privately(&user, "app", &[&tenant.client_secret], &login);
    let saved = user.saved("app");
    assert_eq!(saved["flow"], "client-credentials");
    // The user comes from userinfo: the org's first user.
    assert_eq!(saved["username"], USERNAME);
    let job = user.load_one(&["--org", "app"]);
    assert_eq!(user.jobs(&["--org", "app"], &[]), (0, vec![job]));

    // A wrong secret is refused.
    let refused = user.run(
        &[
            "login",
            "client-credentials",
            "--alias",
            "app2",
            "--login-url",
            &server.url,
            "--client-id",
            &tenant.client_id,
            "--client-secret",
            "wrong",
        ],
        &[],
    );
    assert_code(&refused, 69);
    assert!(
        stderr(&refused).contains("invalid_client"),
        "{}",
        stderr(&refused)
    );
    assert!(!user.org_file("app2").exists());
}

#[test]
fn jwt_login_signs_an_assertion_the_apps_certificate_verifies() {
    let keys = tempfile::tempdir().unwrap();
    let key = keys.path().join("key.pem");
    let cert = keys.path().join("cert.pem");
    let generated = Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
        ])
        .args(["-subj", "/CN=bulkforce-login-test", "-keyout"])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .expect("openssl runs");
    assert!(generated.status.success(), "{}", stderr(&generated));
    let server = serve();
    let tenant = server.tenant(Some(&cert));
    let user = User::new();
    let jwt = |alias: &str, username: &str, key: &Path| {
        user.run(
            &[
                "login",
                "jwt",
                "--alias",
                alias,
                "--login-url",
                &server.url,
                "--client-id",
                &tenant.client_id,
                "--username",
                username,
                "--key-file",
                key.to_str().unwrap(),
            ],
            &[],
        )
    };
    let login = jwt("jwt", USERNAME, &key);
    assert_code(&login, 0);
    assert_saved_privately(&user, "jwt", &["PRIVATE KEY"], &login);
    assert_eq!(user.saved("jwt")["flow"], "jwt");
    assert_eq!(user.jobs(&["--org", "jwt"], &[]), (0, vec![]));

    // A user the app does not serve, and a key the certificate does not match, are refused.
    let stranger = jwt("stranger", "nobody@acme.test", &key);
    assert_code(&stranger, 69);
    assert!(stderr(&stranger).contains("user hasn't approved this consumer"));
    let other = keys.path().join("other.pem");
    let made = Command::new("openssl")
        .args(["genrsa", "-out"])
        .arg(&other)
        .arg("2048")
        .output()
        .unwrap();
    assert!(made.status.success());
    assert_code(&jwt("forged", USERNAME, &other), 69);
    // A key file that is not a key is a usage error; a missing one a file error.
    assert_code(&jwt("bad", USERNAME, &cert), 64);
    assert_code(&jwt("bad", USERNAME, &keys.path().join("missing.pem")), 1);
    for alias in ["stranger", "forged", "bad"] {
        assert!(!user.org_file(alias).exists(), "{alias}");
    }
}

#[test]
fn access_token_login_is_checked_and_a_refresh_token_renews_it() {
    let server = serve();
    let tenant = server.tenant(None);
    let (token, refresh) = server.token(Some(&tenant.client_id));
    let refresh = refresh.unwrap();
    let user = User::new();
    let login = user.run(
        &[
            "login",
            "access-token",
            "--alias",
            "tok",
            "--instance-url",
            &server.url,
            "--client-id",
            &tenant.client_id,
        ],
        &[
            ("BULKFORCE_ACCESS_TOKEN", &token),
            ("BULKFORCE_REFRESH_TOKEN", &refresh),
        ],
    );
    assert_code(&login, 0);
    assert_saved_privately(&user, "tok", &[], &login);
    let saved = user.saved("tok");
    assert_eq!(saved["flow"], "access-token");
    assert_eq!(saved["username"], USERNAME);
    assert_eq!(saved["orgId"], tenant.org_id.as_str());
    assert_eq!(user.jobs(&["--org", "tok"], &[]), (0, vec![]));

    // Once the token is revoked the alias stops working (69) until `login refresh` gets a new one.
    server.admin(&["revoke", &token]);
    assert_eq!(user.jobs(&["--org", "tok"], &[]).0, 69);
    let refreshed = user.run(&["login", "refresh", "tok"], &[]);
    assert_code(&refreshed, 0);
    let renewed = user.saved("tok");
    assert_ne!(renewed["accessToken"], saved["accessToken"]);
    assert_eq!(renewed["refreshToken"], refresh.as_str());
    assert_eq!(renewed["username"], USERNAME);
    assert_eq!(user.jobs(&["--org", "tok"], &[]), (0, vec![]));

    // A token the server does not know is refused at login, and nothing is saved.
    let bad = user.run(
        &[
            "login",
            "access-token",
            "--alias",
            "bad",
            "--instance-url",
            &server.url,
            "--access-token",
            "00D000000000001!not.a.real.token",
        ],
        &[],
    );
    assert_code(&bad, 69);
    assert!(
        stderr(&bad).contains("INVALID_SESSION_ID"),
        "{}",
        stderr(&bad)
    );
    assert!(!user.org_file("bad").exists());
    // A login without a refresh token cannot be refreshed.
    let login = user.run(
        &[
            "login",
            "access-token",
            "--alias",
            "plain",
            "--instance-url",
            &server.url,
            "--access-token",
            ADMIN_TOKEN,
        ],
        &[],
    );
    assert_code(&login, 0);
    assert_code(&user.run(&["login", "refresh", "plain"], &[]), 64);
}

#[test]
fn refused_and_unreachable_logins_exit_69_and_save_nothing() {
    let server = serve();
    let tenant = server.tenant(None);
    let user = User::new();
    let password_login = |extra: &[&str], password: &str, url: &str| {
        let mut args = vec![
            "login",
            "password",
            "--alias",
            "acme",
            "--login-url",
            url,
            "--username",
            USERNAME,
        ];
        args.extend(extra);
        user.run(&args, &[("BULKFORCE_PASSWORD", password)])
    };
    let soap = password_login(&[], "wrong", &server.url);
    assert_code(&soap, 69);
    assert!(stderr(&soap).contains("INVALID_LOGIN"), "{}", stderr(&soap));
    let oauth = password_login(
        &[
            "--client-id",
            &tenant.client_id,
            "--client-secret",
            &tenant.client_secret,
        ],
        "wrong",
        &server.url,
    );
    assert_code(&oauth, 69);
    assert!(
        stderr(&oauth).contains("invalid_grant: authentication failure"),
        "{}",
        stderr(&oauth)
    );
    let unknown_app = password_login(&["--client-id", "nope"], PASSWORD, &server.url);
    assert_code(&unknown_app, 69);
    assert!(stderr(&unknown_app).contains("invalid_client_id"));
    // Nobody listening: a port that was free a moment ago.
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", listener.local_addr().unwrap())
    };
    assert_code(&password_login(&[], PASSWORD, &closed), 69);
    assert!(!user.org_file("acme").exists());
    assert!(!user.config().join("orgs").exists() || user.saved_aliases().is_empty());

    // Usage errors: no password, a bad alias, a login URL that is not a URL.
    let no_password = user.run(
        &[
            "login",
            "password",
            "--alias",
            "acme",
            "--login-url",
            &server.url,
            "--username",
            USERNAME,
        ],
        &[],
    );
    assert_code(&no_password, 64);
    assert!(stderr(&no_password).contains("BULKFORCE_PASSWORD"));
    assert_code(&password_login(&[], PASSWORD, "login.salesforce.com"), 64);
    let bad_alias = user.run(
        &[
            "login",
            "password",
            "--alias",
            "../escape",
            "--login-url",
            &server.url,
            "--username",
            USERNAME,
        ],
        &[("BULKFORCE_PASSWORD", PASSWORD)],
    );
    assert_code(&bad_alias, 64);
    assert!(!user.home.path().join("escape.json").exists());
}

impl User {
    fn saved_aliases(&self) -> Vec<String> {
        let output = self.run(&["login", "list", "--json"], &[]);
        assert_code(&output, 0);
        json_of(&output)
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["alias"].as_str().unwrap().to_owned())
            .collect()
    }

    /// Logs in as `alias` with a fresh `bulkforce admin token`; returns the token.
    fn login_with_token(&self, server: &Server, alias: &str, extra: &[&str]) -> String {
        let (token, _) = server.token(None);
        let mut args = vec![
            "login",
            "access-token",
            "--alias",
            alias,
            "--instance-url",
            &server.url,
        ];
        args.extend(extra);
        let output = self.run(&args, &[("BULKFORCE_ACCESS_TOKEN", &token)]);
        assert_code(&output, 0);
        token
    }
}

#[test]
fn client_commands_pick_flags_then_org_then_env_then_the_default() {
    let server = serve();
    server.tenant(None);
    let user = User::new();
    let good_token = user.login_with_token(&server, "good", &[]);
    let stale_token = user.login_with_token(&server, "stale", &[]);
    server.admin(&["revoke", &stale_token]);
    let bad_env = [
        ("BULKFORCE_INSTANCE_URL", server.url.as_str()),
        ("BULKFORCE_ACCESS_TOKEN", "00D000000000001!revoked"),
    ];

    // Nothing given and no default: a usage error that says what to give.
    let output = user.run(&["jobs", "list"], &[]);
    assert_code(&output, 64);
    assert!(stderr(&output).contains("--org"), "{}", stderr(&output));
    // An unknown alias names the saved ones.
    let output = user.run(&["jobs", "list", "--org", "nope"], &[]);
    assert_code(&output, 64);
    assert!(
        stderr(&output).contains("\"nope\"") && stderr(&output).contains("good, stale"),
        "{}",
        stderr(&output)
    );
    assert_eq!(user.jobs(&[], &[("BULKFORCE_ORG", "nope")]).0, 64);

    assert_eq!(user.jobs(&["--org", "good"], &[]).0, 0);
    assert_eq!(user.jobs(&["--org", "stale"], &[]).0, 69);
    assert_eq!(user.jobs(&[], &[("BULKFORCE_ORG", "good")]).0, 0);
    assert_eq!(user.jobs(&[], &[("BULKFORCE_ORG", "stale")]).0, 69);
    // Explicit flags beat the alias.
    let explicit = [
        "--org",
        "stale",
        "--instance-url",
        &server.url,
        "--access-token",
        &good_token,
    ];
    assert_eq!(user.jobs(&explicit, &[]).0, 0);
    // A flag for the token takes the URL from the environment, still over the alias.
    assert_eq!(
        user.jobs(
            &["--org", "stale", "--access-token", &good_token],
            &[("BULKFORCE_INSTANCE_URL", &server.url)]
        )
        .0,
        0
    );
    // --org on the command line beats credentials in the environment; BULKFORCE_ORG does not.
    assert_eq!(user.jobs(&["--org", "good"], &bad_env).0, 0);
    let mut env_org = bad_env.to_vec();
    env_org.push(("BULKFORCE_ORG", "good"));
    assert_eq!(user.jobs(&[], &env_org).0, 69);
    // Half a pair in the environment is a usage error rather than a guess, unless --org says what to use.
    assert_eq!(user.jobs(&[], &bad_env[..1]).0, 64);
    assert_eq!(user.jobs(&["--org", "good"], &bad_env[..1]).0, 0);

    // The default org: set at login, or later; cleared when its login is removed.
    user.login_with_token(&server, "dflt", &["--set-default"]);
    assert_eq!(user.jobs(&[], &[]).0, 0);
    assert_code(&user.run(&["login", "set-default", "stale"], &[]), 0);
    assert_eq!(user.jobs(&[], &[]).0, 69);
    assert_eq!(user.jobs(&[], &[("BULKFORCE_ORG", "good")]).0, 0);
    assert_code(&user.run(&["login", "set-default", "nope"], &[]), 64);
    assert_code(&user.run(&["login", "logout", "stale"], &[]), 0);
    assert_eq!(user.jobs(&[], &[]).0, 64);
}

#[test]
fn list_shows_no_tokens_and_logout_removes_the_file() {
    let server = serve();
    server.tenant(None);
    let user = User::new();
    let empty = user.run(&["login", "list"], &[]);
    assert_code(&empty, 0);
    assert!(stdout(&empty).contains("no saved logins"));
    let token_a = user.login_with_token(&server, "alpha", &["--set-default"]);
    let token_b = user.login_with_token(&server, "beta", &[]);

    let list = user.run(&["login", "list"], &[]);
    assert_code(&list, 0);
    let text = stdout(&list);
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].contains("alias") && lines[0].contains("instance URL"));
    assert!(lines[1].starts_with("* alpha") && lines[1].contains(USERNAME));
    assert!(lines[1].contains(&server.url));
    assert!(lines[2].starts_with("  beta"));
    assert!(!text.contains(&token_a) && !text.contains(&token_b));
    let listed = user.run(&["login", "list", "--json"], &[]);
    let listed = json_of(&listed);
    assert_eq!(listed.as_array().unwrap().len(), 2);
    assert_eq!(listed[0]["alias"], "alpha");
    assert_eq!(listed[0]["default"], true);
    assert_eq!(listed[1]["username"], USERNAME);
    assert_eq!(listed[1]["instanceUrl"], server.url.as_str());
    assert!(!listed.to_string().contains(&token_a));

    // logout removes the file (and the default); an unknown alias is a usage error.
    let out = user.run(&["login", "logout", "alpha"], &[]);
    assert_code(&out, 0);
    assert!(!user.org_file("alpha").exists());
    assert_eq!(user.saved_aliases(), ["beta"]);
    assert_eq!(user.jobs(&[], &[]).0, 64, "the default went with its login");
    // The token itself still works: only the local login was forgotten.
    let direct = [
        "--instance-url",
        server.url.as_str(),
        "--access-token",
        &token_a,
    ];
    assert_eq!(user.jobs(&direct, &[]).0, 0);
    let again = user.run(&["login", "logout", "alpha"], &[]);
    assert_code(&again, 64);
    assert!(stderr(&again).contains("beta"));

    // --revoke also ends the token on the server.
    let out = user.run(&["login", "logout", "beta", "--revoke", "--json"], &[]);
    assert_code(&out, 0);
    assert_eq!(json_of(&out)["revoked"], true);
    let direct = [
        "--instance-url",
        server.url.as_str(),
        "--access-token",
        &token_b,
    ];
    assert_eq!(user.jobs(&direct, &[]).0, 69);
    assert!(user.saved_aliases().is_empty());
}

#[test]
fn config_dir_defaults_to_xdg_then_home() {
    let server = serve();
    server.tenant(None);
    let user = User::new();
    let (token, _) = server.token(None);
    let args = [
        "login",
        "access-token",
        "--alias",
        "x",
        "--instance-url",
        &server.url,
        "--access-token",
        &token,
    ];
    // With HOME only: ~/.config/bulkforce.
    let mut command = user.command(&args, &[]);
    command.env_remove("BULKFORCE_CONFIG_DIR");
    assert_code(&command.output().unwrap(), 0);
    assert!(
        user.home
            .path()
            .join(".config/bulkforce/orgs/x.json")
            .exists()
    );
    // With XDG_CONFIG_HOME: $XDG_CONFIG_HOME/bulkforce, and that is where --org looks.
    let xdg = user.home.path().join("xdg");
    let mut command = user.command(&args, &[("XDG_CONFIG_HOME", xdg.to_str().unwrap())]);
    command.env_remove("BULKFORCE_CONFIG_DIR");
    assert_code(&command.output().unwrap(), 0);
    assert!(xdg.join("bulkforce/orgs/x.json").exists());
    let mut jobs = user.command(
        &["jobs", "list", "--org", "x"],
        &[("XDG_CONFIG_HOME", xdg.to_str().unwrap())],
    );
    jobs.env_remove("BULKFORCE_CONFIG_DIR");
    assert_code(&jobs.output().unwrap(), 0);
}
