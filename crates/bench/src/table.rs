//! The report as one plain-text table.

use crate::{Measurement, Operation, Report};
use std::fmt::Write;

/// `1234567` → `1,234,567`.
pub(crate) fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn ratio(m: &Measurement) -> String {
    match m.ratio {
        _ if m.operation.is_reference() => "ref".to_owned(),
        Some(r) => format!("{r:.2}x"),
        None => "-".to_owned(),
    }
}

/// What the ratio column compares with, by the reference the report holds.
fn ratio_legend(report: &Report) -> &'static str {
    let measured = |operation: Operation| report.sizes.iter().any(|s| s.get(operation).is_some());
    if measured(Operation::PgCopyIn) {
        "ratio: rows/s over PostgreSQL's COPY of the same CSV into a table with the server's columns and \
         indexes (insert: COPY FROM STDIN, export: COPY TO STDOUT, upsert: COPY into a staging table + \
         INSERT … ON CONFLICT DO UPDATE); MB/s: the CSV bytes uploaded or downloaded"
    } else {
        "ratio: rows/s over the sqlite3 reference's on the same CSV (insert: .import, export: .mode csv, \
         upsert: .import into a staging table + INSERT … ON CONFLICT DO UPDATE); MB/s: the CSV bytes uploaded \
         or downloaded"
    }
}

/// The header line (machine, commit), the table (operation, rows, seconds, rows/s, MB/s, ratio to the
/// reference, peak RSS), then notes and problems.
pub fn render_table(report: &Report) -> String {
    let mut out = String::new();
    let machine = &report.machine;
    let _ = write!(out, "bulkforce bench: {} CPUs", machine.cpus);
    if let Some(model) = &machine.cpu_model {
        let _ = write!(out, " ({model})");
    }
    if let Some(memory) = machine.memory_bytes {
        let _ = write!(out, ", {:.1} GiB RAM", memory as f64 / (1u64 << 30) as f64);
    }
    let _ = writeln!(
        out,
        ", {} backend, commit {}, export pages of {} rows",
        report.backend,
        report.commit.as_deref().unwrap_or("unknown"),
        thousands(report.page_rows)
    );
    let _ = writeln!(out);
    let header = [
        "operation",
        "rows",
        "seconds",
        "rows/s",
        "MB/s",
        "ratio",
        "peak RSS (MB)",
    ];
    let mut lines: Vec<[String; 7]> = Vec::new();
    for size in &report.sizes {
        for m in &size.measurements {
            lines.push([
                m.operation.label().to_owned(),
                thousands(m.rows),
                format!("{:.2}", m.seconds),
                thousands(m.rows_per_second().round() as u64),
                format!("{:.1}", m.megabytes_per_second()),
                ratio(m),
                m.peak_rss_bytes
                    .map_or("-".to_owned(), |b| format!("{:.0}", b as f64 / 1e6)),
            ]);
        }
    }
    let mut widths = header.map(str::len);
    for line in &lines {
        for (w, cell) in widths.iter_mut().zip(line) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let row = |cells: [&str; 7]| {
        let mut text = String::new();
        for (i, (cell, width)) in cells.iter().zip(widths).enumerate() {
            if i == 0 {
                let _ = write!(text, "{cell:<width$}");
            } else {
                let _ = write!(text, "  {cell:>width$}");
            }
        }
        text.trim_end().to_owned()
    };
    let _ = writeln!(out, "{}", row(header));
    let mut previous_rows = None;
    for (line, rows) in lines.iter().zip(
        report
            .sizes
            .iter()
            .flat_map(|s| s.measurements.iter().map(move |_| s.rows)),
    ) {
        if previous_rows.is_some_and(|p| p != rows) {
            let _ = writeln!(out);
        }
        previous_rows = Some(rows);
        let _ = writeln!(out, "{}", row(line.each_ref().map(String::as_str)));
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "{}", ratio_legend(report));
    if let Some(runs) = report.sizes.iter().map(|s| s.runs).max().filter(|&n| n > 1) {
        let _ = writeln!(
            out,
            "seconds: each operation's median of {runs} runs (each on a fresh server and data directory{}); \
             peak RSS: the highest of them",
            if report.backend == "postgres" {
                ", database and bucket"
            } else {
                ""
            }
        );
    }
    for note in &report.notes {
        let _ = writeln!(out, "note: {note}");
    }
    for problem in &report.problems {
        let _ = writeln!(out, "PROBLEM: {problem}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::thousands;

    #[test]
    fn groups_digits() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1234567), "1,234,567");
    }
}
