//! The dashboard in a real headless Chromium (Debian's `chromium` and `chromium-driver`, driven over
//! WebDriver with fantoccini): the page asks for a token and says when one is refused, shows an ingest job
//! started through the Salesforce API reaching JobComplete by itself, opens the job and its successful
//! results (read with the token), and adds and removes a fault rule through its form. Screenshots go to
//! `$CARGO_TARGET_TMPDIR/dashboard/`; with `BULKFORCE_UPDATE_SCREENSHOT=1` the job's one also replaces
//! `docs/dashboard.png`, which the README shows.
//!
//! A machine without Chromium fails this test rather than skipping it: `scripts/test` installs both
//! packages (tests/browser/install.sh).

mod common;

use common::{Server, accounts_csv, id_of, start, start_with};
use fantoccini::{Client as Browser, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tempfile::TempDir;

/// How long the page may take to show what the test waits for (it polls every second).
const PAGE_DEADLINE: Duration = Duration::from_secs(30);
const POLL: Duration = Duration::from_millis(100);
const WINDOW: (u32, u32) = (1280, 800);
/// The `--control-token` of the test that moves the clock.
const CONTROL_TOKEN: &str = "dashboard-control-token";

const INSTALL_HINT: &str = "the dashboard's browser test needs Debian's Chromium and ChromeDriver: \
     run `apt-get install chromium chromium-driver` (scripts/test does, through tests/browser/install.sh)";

/// A program from the environment variable `env` if set, else the first of `names` on the PATH.
fn program(env: &str, names: &[&str]) -> PathBuf {
    if let Some(path) = std::env::var_os(env) {
        return PathBuf::from(path);
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    names
        .iter()
        .flat_map(|name| std::env::split_paths(&path).map(move |dir| dir.join(name)))
        .find(|candidate| candidate.is_file())
        .unwrap_or_else(|| panic!("no {} on the PATH: {INSTALL_HINT}", names.join(" or ")))
}

/// A chromedriver started for this test, in its own process group; dropping it ends the group (the
/// driver and any browser it left), even when the test panics.
struct ChromeDriver {
    child: Child,
    url: String,
}

impl ChromeDriver {
    async fn start() -> ChromeDriver {
        let binary = program("BULKFORCE_CHROMEDRIVER", &["chromedriver"]);
        // A free port: the kernel picks one, the listener is dropped, chromedriver takes it.
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(&binary)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| {
                panic!("{} does not start ({e}): {INSTALL_HINT}", binary.display())
            });
        let driver = ChromeDriver {
            child,
            url: format!("http://127.0.0.1:{port}"),
        };
        driver.wait_ready().await;
        driver
    }

    /// Polls `/status` until the driver says it is ready.
    async fn wait_ready(&self) {
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let status = client.get(format!("{}/status", self.url)).send().await;
            if let Ok(response) = status {
                let body: Value = response.json().await.unwrap_or_default();
                if body["value"]["ready"] == true {
                    return;
                }
            }
            assert!(Instant::now() < deadline, "chromedriver never became ready");
            tokio::time::sleep(POLL).await;
        }
    }
}

impl Drop for ChromeDriver {
    fn drop(&mut self) {
        // The whole group: chromedriver and the Chromium processes it started.
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        let _ = self.child.wait();
    }
}

/// A headless Chromium session with a fresh profile.
async fn open_browser(driver: &ChromeDriver, profile: &Path) -> Browser {
    let chromium = program("BULKFORCE_CHROMIUM", &["chromium", "chromium-browser"]);
    let mut capabilities = serde_json::Map::new();
    capabilities.insert("browserName".into(), json!("chrome"));
    capabilities.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": chromium,
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--no-first-run", "--disable-quic",
                format!("--window-size={},{}", WINDOW.0, WINDOW.1),
                format!("--user-data-dir={}", profile.display()),
            ],
        }),
    );
    let browser = ClientBuilder::new(HttpConnector::new())
        .capabilities(capabilities)
        .connect(&driver.url)
        .await
        .unwrap_or_else(|e| panic!("Chromium does not start ({e}): {INSTALL_HINT}"));
    browser.set_window_size(WINDOW.0, WINDOW.1).await.unwrap();
    browser
}

/// The page as the test reads it: the browser and where screenshots go (`<shots>/<test>-<name>.png`).
struct Page {
    browser: Browser,
    shots: PathBuf,
    test: &'static str,
}

impl Page {
    /// Runs `script` (a function body; `arguments[0]` is `arg`) in the page.
    async fn js(&self, script: &str, arg: &str) -> Value {
        self.browser
            .execute(script, vec![json!(arg)])
            .await
            .unwrap_or_else(|e| panic!("script failed ({e}): {script}"))
    }

    /// The text of the first element `css` selects, or null.
    async fn text(&self, css: &str) -> Value {
        self.js(
            "const e = document.querySelector(arguments[0]); return e ? e.textContent : null;",
            css,
        )
        .await
    }

    /// Whether the first element `css` selects exists and is shown (neither it nor a parent hidden).
    async fn visible(&self, css: &str) -> bool {
        self.js(
            "const e = document.querySelector(arguments[0]); return !!e && e.getClientRects().length > 0;",
            css,
        )
        .await
            == true
    }

    /// Polls until the text of `css` satisfies `accept`; panics with the last text and the page's flash
    /// line past the deadline.
    async fn wait_text(&self, what: &str, css: &str, accept: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + PAGE_DEADLINE;
        loop {
            let text = self.text(css).await;
            if let Some(text) = text.as_str().filter(|t| accept(t)) {
                return text.to_owned();
            }
            if Instant::now() > deadline {
                let flash = self.text("#flash").await;
                self.shot("failure").await;
                panic!("{what}: `{css}` shows {text} (flash: {flash})");
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Polls until `css` is shown (or, with `shown` false, gone or hidden).
    async fn wait_visible(&self, what: &str, css: &str, shown: bool) {
        let deadline = Instant::now() + PAGE_DEADLINE;
        while self.visible(css).await != shown {
            if Instant::now() > deadline {
                let flash = self.text("#flash").await;
                self.shot("failure").await;
                panic!("{what}: `{css}` never became {shown} (flash: {flash})");
            }
            tokio::time::sleep(POLL).await;
        }
    }

    async fn click(&self, css: &str) {
        self.browser
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no {css}: {e}"))
            .click()
            .await
            .unwrap_or_else(|e| panic!("click on {css}: {e}"));
    }

    async fn type_into(&self, css: &str, text: &str) {
        let input = self.browser.find(Locator::Css(css)).await.unwrap();
        input.clear().await.unwrap();
        input.send_keys(text).await.unwrap();
    }

    /// Saves a PNG of the window as `<name>.png`; returns its path.
    async fn shot(&self, name: &str) -> PathBuf {
        let png = self.browser.screenshot().await.expect("a screenshot");
        assert!(png.starts_with(b"\x89PNG"), "the screenshot is a PNG");
        let path = self.shots.join(format!("{}-{name}.png", self.test));
        std::fs::write(&path, png).unwrap();
        path
    }
}

/// Starts an ingest job of `rows` Accounts through the Salesforce API and closes it (not waited for).
async fn start_account_insert(server: &Server, prefix: &str, rows: usize) -> String {
    let id = id_of(
        &server
            .create(&json!({"object": "Account", "operation": "insert"}))
            .await,
    );
    server.upload_ok(&id, accounts_csv(prefix, rows)).await;
    server.close(&id).await;
    id
}

/// Starts a Contact insert whose rows all fail (no LastName), for a job with failures on the page.
async fn start_failing_insert(server: &Server) -> String {
    let id = id_of(
        &server
            .create(&json!({"object": "Contact", "operation": "insert"}))
            .await,
    );
    server
        .upload_ok(
            &id,
            "FirstName,Email\nAda,ada@example.com\nGrace,grace@example.com\n",
        )
        .await;
    server.close(&id).await;
    id
}

/// Opens the page, is refused with a wrong token, then enters `token`.
async fn log_in(page: &Page, server: &Server, token: &str) {
    // Without its slash: the redirect brings the browser to the page.
    page.browser
        .goto(&server.url("/_bulkforce/ui"))
        .await
        .unwrap();
    let url = page.browser.current_url().await.unwrap();
    assert_eq!(url.path(), "/_bulkforce/ui/");
    page.wait_visible("the token dialog", "#login", true).await;
    // From here on, any script error, unhandled rejection or CSP violation on the page is kept for
    // `assert_no_page_errors`.
    page.js(
        "window.__dashboardErrors = [];
         const keep = (what) => window.__dashboardErrors.push(String(what));
         addEventListener('error', (e) => keep(e.message));
         addEventListener('unhandledrejection', (e) => keep(e.reason));
         document.addEventListener('securitypolicyviolation', (e) => keep(`CSP ${e.violatedDirective}`));",
        "",
    )
    .await;

    page.type_into("#token-input", "not-the-token").await;
    page.click("#token-submit").await;
    page.wait_text("a refused token is said so", "#token-message", |t| {
        t.contains("401")
    })
    .await;
    page.shot("token-refused").await;

    page.type_into("#token-input", token).await;
    page.click("#token-submit").await;
    page.wait_visible("the dialog closes", "#login", false)
        .await;
    page.wait_visible("the jobs view", "#view-jobs", true).await;
}

/// The page met no script error, unhandled rejection or CSP violation since `log_in`.
async fn assert_no_page_errors(page: &Page) {
    let errors = page.js("return window.__dashboardErrors;", "").await;
    assert_eq!(errors, json!([]), "errors on the page");
}

/// Watches the job reach JobComplete in the list, opens it and its successful results.
async fn check_job(page: &Page, id: &str, rows: usize) {
    let row = format!("tr[data-job-id='{id}']");
    page.wait_text(
        "the job reaches JobComplete on the page",
        &format!("{row} [data-testid=job-state]"),
        |t| t == "JobComplete",
    )
    .await;
    let processed = page
        .text(&format!("{row} [data-testid=job-processed]"))
        .await;
    assert_eq!(processed, json!(rows.to_string()), "the job's count");
    page.shot("jobs").await;

    page.click(&format!("{row} a[data-testid=job-link]")).await;
    page.wait_visible("the job's page", "#view-job", true).await;
    page.wait_text(
        "the detail's state",
        "[data-testid=detail-state] [data-testid=job-state]",
        |t| t == "JobComplete",
    )
    .await;
    let timeline = page
        .js(
            "return [...document.querySelectorAll(arguments[0])].map(e => e.dataset.state);",
            "#job-timeline [data-testid=timeline-entry]",
        )
        .await;
    let states: Vec<&str> = timeline
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    assert_eq!(states.first(), Some(&"Open"), "timeline {states:?}");
    assert_eq!(states.last(), Some(&"JobComplete"), "timeline {states:?}");

    page.click("button[data-testid=result-link][data-link=successfulResults]")
        .await;
    let csv = page
        .wait_text("the successful results", "#result-text", |t| {
            t.contains("Acme-0")
        })
        .await;
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0], r#""sf__Id","sf__Created",Name,AccountNumber"#,
        "{csv}"
    );
    assert_eq!(lines.len(), rows + 1, "{csv}");
    assert!(lines[1].ends_with(r#","true","Acme-0","N0""#), "{csv}");
    page.wait_text("the file's size", "#result-meta", |t| t.contains("lines"))
        .await;
}

/// Adds a fault rule through the form, sees it listed (and on the server), removes it.
async fn check_faults(page: &Page, server: &Server) {
    page.click("[data-testid=nav-faults]").await;
    page.wait_visible("the faults view", "#view-faults", true)
        .await;
    page.wait_text("the rules are read", "#faults-status", |t| {
        t.contains("0 rules")
    })
    .await;
    let rule = r#"{"kind":"http","method":"PUT","path":"/services/data/*/jobs/ingest/*/batches","status":503,"errorCode":"SERVER_UNAVAILABLE","message":"Try again","times":2}"#;
    page.type_into("#fault-rule", rule).await;
    page.click("#fault-add").await;
    let added = page
        .wait_text("the rule is added", "#fault-message", |t| {
            t.starts_with("Added ")
        })
        .await;
    let id = added
        .trim_start_matches("Added ")
        .trim_end_matches('.')
        .to_owned();
    let row = format!("tr[data-fault-id='{id}']");
    page.wait_text(
        "the rule is listed",
        &format!("{row} [data-testid=fault-remaining]"),
        |t| t == "2",
    )
    .await;
    assert_eq!(
        page.text(&format!("{row} [data-testid=fault-hits]")).await,
        json!("0")
    );
    let listed = server
        .control(Method::GET, "/_bulkforce/faults", Some(server.token()))
        .await
        .json();
    assert_eq!(listed["faults"][0]["id"], json!(id), "{listed}");
    assert_eq!(listed["faults"][0]["rule"]["status"], 503, "{listed}");
    page.shot("faults").await;

    page.click(&format!("{row} [data-testid=fault-remove]"))
        .await;
    page.wait_text("the rule is removed", "#faults-status", |t| {
        t.contains("0 rules")
    })
    .await;
    assert!(!page.visible(&row).await, "the row is gone");
    let listed = server
        .control(Method::GET, "/_bulkforce/faults", Some(server.token()))
        .await;
    assert_eq!(listed.status, StatusCode::OK);
    assert_eq!(listed.json()["faults"], json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_follows_a_job_and_manages_faults_in_chromium() {
    let server = start().await;
    let driver = ChromeDriver::start().await;
    let profile = TempDir::new().unwrap();
    let shots = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("dashboard");
    std::fs::create_dir_all(&shots).unwrap();
    let page = Page {
        browser: open_browser(&driver, profile.path()).await,
        shots,
        test: "jobs",
    };

    log_in(&page, &server, server.token()).await;
    // The page is open before the jobs exist: they appear and finish through its own polling.
    let rows = 25;
    let id = start_account_insert(&server, "Acme", rows).await;
    start_failing_insert(&server).await;
    check_job(&page, &id, rows).await;
    let job_shot = page.shot("job").await;
    check_faults(&page, &server).await;
    assert_no_page_errors(&page).await;

    if std::env::var_os("BULKFORCE_UPDATE_SCREENSHOT").is_some_and(|v| v == "1") {
        let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/dashboard.png");
        std::fs::create_dir_all(docs.parent().unwrap()).unwrap();
        std::fs::copy(&job_shot, &docs).unwrap();
    }
    page.browser.close().await.unwrap();
    drop(driver);
}

/// The control API's view of one job.
async fn job_summary(server: &Server, id: &str) -> Value {
    let reply = server
        .control(
            Method::GET,
            &format!("/_bulkforce/jobs/{id}"),
            Some(CONTROL_TOKEN),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    reply.json()
}

/// Holds a job from its row before it is closed, sees it wait held in UploadComplete, releases it.
async fn check_hold(page: &Page, server: &Server) {
    let id = id_of(
        &server
            .create(&json!({"object": "Account", "operation": "insert"}))
            .await,
    );
    let row = format!("tr[data-job-id='{id}']");
    page.wait_text(
        "the open job is listed",
        &format!("{row} [data-testid=job-state]"),
        |t| t == "Open",
    )
    .await;
    page.click(&format!("{row} button[data-testid=job-hold]"))
        .await;
    page.wait_visible(
        "the job is shown held",
        &format!("{row} [data-testid=job-held]"),
        true,
    )
    .await;
    assert_eq!(job_summary(server, &id).await["held"], true);

    server.upload_ok(&id, accounts_csv("Held", 3)).await;
    server.close(&id).await;
    page.wait_text(
        "the held job waits",
        &format!("{row} [data-testid=job-state]"),
        |t| t == "UploadComplete",
    )
    .await;
    page.shot("held").await;
    assert_eq!(job_summary(server, &id).await["state"], "UploadComplete");

    page.click(&format!("{row} button[data-testid=job-release]"))
        .await;
    page.wait_text(
        "the released job completes",
        &format!("{row} [data-testid=job-state]"),
        |t| t == "JobComplete",
    )
    .await;
    assert!(!page.visible(&format!("{row} [data-testid=job-held]")).await);
}

/// Freezes the clock from its form, moves it a day, goes back to real time.
async fn check_clock(page: &Page, server: &Server) {
    page.click("[data-testid=nav-clock]").await;
    page.wait_visible("the clock view", "#view-clock", true)
        .await;
    page.wait_text("the clock is read", "#clock-mode", |t| t == "real")
        .await;
    page.type_into("#clock-freeze-at", "2027-01-01T00:00:00Z")
        .await;
    page.click("#clock-freeze").await;
    page.wait_text("the clock is frozen", "#clock-mode", |t| t == "frozen")
        .await;
    page.wait_text("the header says so", "#header-clock", |t| {
        t.contains("frozen at 2027-01-01 00:00:00")
    })
    .await;
    let clock = server
        .control(Method::GET, "/_bulkforce/clock", Some(CONTROL_TOKEN))
        .await
        .json();
    assert_eq!(clock["now"], "2027-01-01T00:00:00.000Z", "{clock}");

    page.click("#clock-advance-day").await;
    page.wait_text("a day later", "#clock-now", |t| {
        t.starts_with("2027-01-02 00:00:00")
    })
    .await;
    page.shot("clock").await;
    page.click("#clock-real").await;
    page.wait_text("real time again", "#clock-mode", |t| t == "real")
        .await;
    let clock = server
        .control(Method::GET, "/_bulkforce/clock", Some(CONTROL_TOKEN))
        .await
        .json();
    assert_eq!(clock["mode"], "real", "{clock}");
}

/// Takes a snapshot, resets every org, restores the snapshot, deletes it: the destructive buttons each
/// ask for a second click.
async fn check_snapshots_and_reset(page: &Page, server: &Server) {
    let jobs = || async {
        server
            .control(Method::GET, "/_bulkforce/jobs", Some(CONTROL_TOKEN))
            .await
            .json()["jobs"]
            .as_array()
            .unwrap()
            .len()
    };
    assert_eq!(jobs().await, 1, "the held job of check_hold");
    page.click("[data-testid=nav-data]").await;
    page.wait_visible("the data view", "#view-data", true).await;
    page.type_into("#snapshot-name", "before-reset").await;
    page.click("#snapshot-create").await;
    let row = "tr[data-snapshot='before-reset']";
    page.wait_visible("the snapshot is listed", row, true).await;
    let listed = server
        .control(Method::GET, "/_bulkforce/snapshots", Some(CONTROL_TOKEN))
        .await
        .json();
    assert_eq!(listed["snapshots"][0]["name"], "before-reset", "{listed}");

    page.click("#reset-all").await;
    page.wait_text("the reset asks again", "#reset-all", |t| {
        t.contains("again")
    })
    .await;
    assert_eq!(jobs().await, 1, "one click resets nothing");
    page.click("#reset-all").await;
    page.wait_text("the reset is done", "#reset-message", |t| {
        t.starts_with("Reset at")
    })
    .await;
    assert_eq!(jobs().await, 0, "no job after the reset");

    let restore = format!("{row} button[data-testid=snapshot-restore]");
    page.click(&restore).await;
    page.click(&restore).await;
    page.wait_text("the restore is done", "#snapshot-message", |t| {
        t == "Restored before-reset."
    })
    .await;
    assert_eq!(jobs().await, 1, "the job is back");
    page.shot("snapshots").await;

    let delete = format!("{row} button[data-testid=snapshot-delete]");
    page.click(&delete).await;
    page.wait_text("the delete asks again", &delete, |t| t.contains("again"))
        .await;
    page.click(&delete).await;
    page.wait_visible("the snapshot is gone", row, false).await;
    let listed = server
        .control(Method::GET, "/_bulkforce/snapshots", Some(CONTROL_TOKEN))
        .await
        .json();
    assert_eq!(listed["snapshots"], json!([]), "{listed}");
}

/// The orgs view lists the default org.
async fn check_orgs(page: &Page, server: &Server) {
    page.click("[data-testid=nav-orgs]").await;
    let org = server.org().as_str().to_owned();
    page.wait_text(
        "the default org is listed",
        &format!("tr[data-org-id='{org}'] td:nth-child(2)"),
        |t| t.ends_with("default"),
    )
    .await;
}

/// The request log lists the Salesforce calls, the dashboard's own hidden.
async fn check_requests(page: &Page) {
    page.click("[data-testid=nav-requests]").await;
    page.wait_visible("the requests view", "#view-requests", true)
        .await;
    page.wait_text("the log is read", "#requests-status", |t| {
        t.contains("shown")
    })
    .await;
    let paths = page
        .js(
            "return [...document.querySelectorAll(arguments[0])].map(e => e.children[2].textContent);",
            "#requests-body [data-testid=request-row]",
        )
        .await;
    let paths: Vec<&str> = paths
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    assert!(
        paths.iter().any(|p| p.ends_with("/batches")),
        "the upload is listed: {paths:?}"
    );
    assert!(
        paths.iter().all(|p| !p.starts_with("/_bulkforce/")),
        "the dashboard's calls are hidden: {paths:?}"
    );
    page.shot("requests").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_holds_jobs_and_sets_clock_snapshots_and_reset_in_chromium() {
    let server = start_with(|c| c.control_token = Some(CONTROL_TOKEN.into())).await;
    let driver = ChromeDriver::start().await;
    let profile = TempDir::new().unwrap();
    let shots = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("dashboard");
    std::fs::create_dir_all(&shots).unwrap();
    let page = Page {
        browser: open_browser(&driver, profile.path()).await,
        shots,
        test: "controls",
    };

    // The control token: the clock moves to 2027, past the expiry of the admin's stored token.
    log_in(&page, &server, CONTROL_TOKEN).await;
    check_hold(&page, &server).await;
    check_requests(&page).await;
    check_orgs(&page, &server).await;
    check_clock(&page, &server).await;
    check_snapshots_and_reset(&page, &server).await;
    assert_no_page_errors(&page).await;
    page.browser.close().await.unwrap();
    drop(driver);
}
