//! The soak's report as plain text: a header line, then one table per phase that ran, then the verdict.

use super::Report;
use super::kill::KillReport;
use super::load::LoadReport;
use super::logins::{LoginsReport, RealClient};
use super::slowloris::SlowlorisReport;
use super::stats::LatencySummary;
use crate::table::thousands;
use std::fmt::Write;

fn verdict(ok: bool) -> &'static str {
    if ok { "ok" } else { "FAILED" }
}

fn mb(bytes: Option<u64>) -> String {
    bytes.map_or("-".to_owned(), |b| format!("{:.0} MB", b as f64 / 1e6))
}

fn latency(l: &LatencySummary) -> String {
    format!(
        "p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms, max {:.1} ms ({} requests)",
        l.p50_ms,
        l.p95_ms,
        l.p99_ms,
        l.max_ms,
        thousands(l.count)
    )
}

pub fn render_tables(report: &Report) -> String {
    let mut out = String::new();
    let m = &report.machine;
    let _ = write!(out, "bulkforce soak: {} CPUs", m.cpus);
    if let Some(model) = &m.cpu_model {
        let _ = write!(out, " ({model})");
    }
    if let Some(commit) = &report.commit {
        let _ = write!(out, ", commit {commit}");
    }
    let _ = writeln!(out, ", {:.0} s in all\n", report.seconds);
    if let Some(kill) = &report.kill {
        kill_table(&mut out, kill);
    }
    if let Some(load) = &report.load {
        load_table(&mut out, load);
    }
    if let Some(logins) = &report.logins {
        logins_table(&mut out, logins);
    }
    if let Some(slow) = &report.slowloris {
        slowloris_table(&mut out, slow);
    }
    for error in &report.errors {
        let _ = writeln!(out, "error: {error}");
    }
    let _ = writeln!(out, "soak: {}", verdict(report.ok()));
    out
}

fn kill_table(out: &mut String, kill: &KillReport) {
    let _ = writeln!(
        out,
        "kill: {} of {} rounds ok ({} rows a job; {} killed mid-job) — {}",
        kill.passed(),
        kill.rounds.len(),
        thousands(kill.rows),
        kill.rounds.iter().filter(|r| r.interrupted).count(),
        verdict(kill.ok)
    );
    let _ = writeln!(
        out,
        "{:>5}  {:<7} {:<20} {:<34} {:>7}  result",
        "round", "job", "kill point", "job when killed", "seconds"
    );
    for r in &kill.rounds {
        let point = match r.kill_point {
            super::kill::KillPoint::AfterMs(ms) => format!("after {ms} ms"),
            super::kill::KillPoint::Processed(n) => format!("at {} rows", thousands(n)),
        };
        let result = r.reason.as_deref().unwrap_or("ok");
        let _ = writeln!(
            out,
            "{:>5}  {:<7} {:<20} {:<34} {:>7.1}  {result}",
            r.round,
            r.kind.label(),
            point,
            r.killed_at,
            r.seconds
        );
    }
    out.push('\n');
}

fn load_table(out: &mut String, load: &LoadReport) {
    let _ = writeln!(out, "load — {}", verdict(load.ok));
    let rows = [
        ("clients", load.clients.to_string()),
        (
            "jobs",
            format!(
                "{} ({} inserts of a few rows, {} queries)",
                load.jobs, load.insert_jobs, load.query_jobs
            ),
        ),
        ("seconds", format!("{:.1}", load.seconds)),
        ("jobs/s", format!("{:.1}", load.jobs_per_second)),
        ("job info latency", latency(&load.job_info)),
        ("errors", load.errors.count.to_string()),
        (
            "records",
            format!(
                "{} (expected {})",
                thousands(load.records),
                thousands(load.expected_records)
            ),
        ),
        ("server peak RSS", mb(load.peak_rss_bytes)),
    ];
    table(out, &rows);
    for e in &load.errors.first {
        let _ = writeln!(out, "  error: {e}");
    }
    out.push('\n');
}

fn logins_table(out: &mut String, logins: &LoginsReport) {
    let l = &logins.logins;
    let _ = writeln!(out, "logins — {}", verdict(logins.ok));
    let mut rows = vec![
        (
            "wrong logins",
            format!(
                "{} from {} threads in {:.1} s: {:.0}/s",
                thousands(l.attempts),
                logins.flooders,
                logins.seconds,
                logins.logins_per_second
            ),
        ),
        (
            "answers",
            format!(
                "{} refused, {} busy (503), {} other, {} accepted",
                thousands(l.refused),
                thousands(l.busy),
                thousands(l.other),
                l.accepted
            ),
        ),
        (
            "server peak RSS",
            format!(
                "{} (before the flood {})",
                mb(logins.peak_rss_bytes),
                mb(logins.rss_before_bytes)
            ),
        ),
    ];
    rows.extend(real_client_rows(&logins.real_client));
    table(out, &rows);
    out.push('\n');
}

fn slowloris_table(out: &mut String, slow: &SlowlorisReport) {
    let _ = writeln!(out, "slowloris — {}", verdict(slow.ok));
    let mut rows = vec![
        (
            "slow connections",
            format!(
                "{} opened ({} not), {} closed by the server, {} still open after {:.1} s",
                slow.opened, slow.not_opened, slow.closed_by_server, slow.still_open, slow.seconds
            ),
        ),
        (
            "header timeout",
            slow.header_timeout_seconds
                .map_or("(no such option)".to_owned(), |s| format!("{s} s")),
        ),
        ("answers after", slow.answers_after.to_string()),
    ];
    rows.extend(real_client_rows(&slow.real_client));
    table(out, &rows);
    out.push('\n');
}

fn real_client_rows(real: &RealClient) -> Vec<(&'static str, String)> {
    let mut rows = vec![
        (
            "real client",
            format!(
                "{} served, {} failed",
                thousands(real.succeeded),
                real.failed
            ),
        ),
        ("real client latency", latency(&real.latency)),
    ];
    if let Some(first) = &real.first_failure {
        rows.push(("first failure", first.clone()));
    }
    rows
}

fn table(out: &mut String, rows: &[(&str, String)]) {
    for (label, value) in rows {
        let _ = writeln!(out, "  {label:<20} {value}");
    }
}
