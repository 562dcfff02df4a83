//! A PostgreSQL server of one test's own, for tests that stop or restart it: the shared server of
//! `scripts/services` serves every other test at the same time and must never be disturbed. Set up as
//! `scripts/services` does (initdb into a temp dir, a free loopback port, `pg_ctl`, run as the postgres user
//! when we are root, since PostgreSQL refuses to run as root).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A stopped-or-running private server; stopped (immediately) and removed when dropped.
pub struct PrivatePostgres {
    bin: PathBuf,
    dir: tempfile::TempDir,
    port: u16,
}

impl PrivatePostgres {
    /// Initializes a cluster in a temp dir and starts it on a free port.
    pub fn start() -> PrivatePostgres {
        let bin = pg_bin_dir();
        let dir = tempfile::Builder::new()
            .prefix("bulkforce-private-pg-")
            .tempdir()
            .unwrap();
        if is_root() {
            run(Command::new("chown").arg("postgres").arg(dir.path()));
        }
        let port = free_port();
        let server = PrivatePostgres { bin, dir, port };
        server.pg(&[
            "initdb",
            "-D",
            &server.data_dir(),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
        ]);
        server.start_server();
        server
    }

    /// `postgres://postgres@127.0.0.1:PORT/postgres`: its maintenance database, the test's own to use.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Stops it as an administrator would for maintenance (`-m fast`: sessions are disconnected).
    pub fn stop(&self) {
        self.pg_ctl(&["stop", "-m", "fast", "-w", "-t", "60"]);
    }

    /// Starts it again on the same port, waiting until it accepts connections.
    pub fn start_server(&self) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c max_connections=200 -c fsync=off \
             -c synchronous_commit=off -c full_page_writes=off",
            self.port,
            self.dir.path().display()
        );
        let log = self.log_file();
        self.pg_ctl(&["-l", &log, "-w", "-t", "60", "start", "-o", &options]);
    }

    /// `pg_ctl restart -m fast`: every connection dropped, the server back when it returns. The restarted
    /// server logs to the same file (else it would hold our output pipe open and `run` would never return).
    pub fn restart(&self) {
        let log = self.log_file();
        self.pg_ctl(&["-l", &log, "restart", "-m", "fast", "-w", "-t", "60"]);
    }

    fn log_file(&self) -> String {
        self.dir.path().join("server.log").display().to_string()
    }

    fn data_dir(&self) -> String {
        self.dir.path().join("data").display().to_string()
    }

    fn pg_ctl(&self, args: &[&str]) {
        let data_dir = self.data_dir();
        let mut all = vec!["pg_ctl", "-D", &data_dir];
        all.extend_from_slice(args);
        self.pg(&all);
    }

    /// Runs the PostgreSQL program `args[0]` from the bin dir, as the postgres user when we are root.
    fn pg(&self, args: &[&str]) {
        let program = self.bin.join(args[0]);
        let mut command = if is_root() {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(program);
            command
        } else {
            Command::new(program)
        };
        // The started server logs to `-l`'s file, so `output()` does not wait on the server.
        command
            .args(&args[1..])
            .current_dir(self.dir.path())
            .stdin(std::process::Stdio::null());
        run(&mut command);
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        let data_dir = self.data_dir();
        let program = self.bin.join("pg_ctl");
        let args = ["-D", &data_dir, "-m", "immediate", "stop"];
        let _ = if is_root() {
            Command::new("runuser")
                .args(["-u", "postgres", "--"])
                .arg(program)
                .args(args)
                .output()
        } else {
            Command::new(program).args(args).output()
        };
    }
}

/// The directory of `pg_ctl` (Debian keeps the real binaries under /usr/lib/postgresql/N/bin).
fn pg_bin_dir() -> PathBuf {
    let output = run(Command::new("bash").args([
        "-c",
        "readlink -f \"$(command -v pg_ctl || echo /usr/lib/postgresql/15/bin/pg_ctl)\"",
    ]));
    let pg_ctl = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
    assert!(
        pg_ctl.is_file(),
        "pg_ctl not found: PostgreSQL is not installed (`scripts/services start` installs it)"
    );
    pg_ctl.parent().map(Path::to_path_buf).unwrap()
}

fn is_root() -> bool {
    // Our uid through the `id` program: no libc dependency for one number.
    let output = run(Command::new("id").arg("-u"));
    String::from_utf8_lossy(&output.stdout).trim() == "0"
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Runs `command`, panicking with its output unless it succeeds.
fn run(command: &mut Command) -> Output {
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"));
    assert!(
        output.status.success(),
        "{command:?} failed ({}): {}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}
