//! The bench's input: a deterministic Account CSV (and the upsert CSV derived from it), and the describe file
//! that gives Account its unique external id.
//!
//! Every row is a pure function of `(seed, external id, version)`, so the same arguments always produce the same
//! bytes, on any machine. The rows are in random order of their external ids (a shuffled permutation), so that
//! neither bulkforce nor sqlite3 gets the index inserts in sorted order.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// The seed used unless the caller picks another.
pub const DEFAULT_SEED: u64 = 0x5EED_B0D1_F0CE_2024;

/// The 14 columns of the generated CSV, as real Account fields (plus the external id from [`SCHEMA_FILE`]).
pub const COLUMNS: [&str; 14] = [
    "Name",
    "AccountNumber",
    "Phone",
    "Website",
    "NumberOfEmployees",
    "AnnualRevenue",
    "BillingStreet",
    "BillingCity",
    "BillingState",
    "BillingPostalCode",
    "BillingCountry",
    "Industry",
    "Description",
    "External_Id__c",
];

/// The external id column, and the upsert key.
pub const EXTERNAL_ID: &str = "External_Id__c";

/// A describe file adding `External_Id__c` to Account (loaded with `bulkforce serve --schema DIR`).
pub const SCHEMA_FILE: &str = r#"{
  "name": "Account",
  "fields": [
    {"name": "External_Id__c", "label": "External Id", "type": "string", "length": 20,
     "externalId": true, "unique": true, "nillable": true, "createable": true, "updateable": true}
  ]
}
"#;

/// SplitMix64: small, fast, and good enough to make varied test data. Seeded explicitly, never from the clock.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// True `percent` times in a hundred.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }

    /// Fisher–Yates.
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i as u64 + 1) as usize;
            items.swap(i, j);
        }
    }
}

/// The external id of the record numbered `key`.
pub fn external_id(key: u64) -> String {
    format!("EXT-{key:012}")
}

/// What a generated file holds.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Generated {
    /// Data rows (the header not counted).
    pub rows: u64,
    /// Rows whose external id is not in the insert file (upsert: the rows it must create).
    pub new_rows: u64,
    pub bytes: u64,
}

/// Generated CSV files: the whole file, or its parts (see [`write_insert_parts`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Files {
    /// What they hold together; `bytes` counts every part's header.
    pub generated: Generated,
    pub paths: Vec<PathBuf>,
}

/// Writes the insert CSV: `rows` accounts with external ids `0..rows` in shuffled order.
pub fn write_insert_csv(path: &Path, rows: u64, seed: u64) -> std::io::Result<Generated> {
    write_insert_parts(path, rows, seed, None).map(|files| files.generated)
}

/// The insert CSV of [`write_insert_csv`], as one file at `path` or, with `part_bytes`, as parts of at most
/// that many bytes (more only if one record alone is larger) next to it, `<stem>.part-0001.csv` and on, each
/// starting with the header, split at record boundaries: a large load as a client sends it, one job per part.
/// The parts' records, in order, are the whole file's.
pub fn write_insert_parts(
    path: &Path,
    rows: u64,
    seed: u64,
    part_bytes: Option<u64>,
) -> std::io::Result<Files> {
    let mut keys: Vec<u64> = (0..rows).collect();
    Rng::new(seed).shuffle(&mut keys);
    let (bytes, paths) = write_csv(path, seed, keys.iter().map(|&k| (k, 0)), part_bytes)?;
    Ok(Files {
        generated: Generated {
            rows,
            new_rows: rows,
            bytes,
        },
        paths,
    })
}

/// Writes the upsert CSV for an insert file of `rows` rows: as many rows, half of them (`rows / 2`, a random
/// half of the file since ids are shuffled there) reusing existing external ids with changed values, the other
/// half new ids, all in shuffled order.
pub fn write_upsert_csv(path: &Path, rows: u64, seed: u64) -> std::io::Result<Generated> {
    write_upsert_parts(path, rows, seed, None).map(|files| files.generated)
}

/// The upsert CSV of [`write_upsert_csv`], whole or in parts as [`write_insert_parts`] splits it.
pub fn write_upsert_parts(
    path: &Path,
    rows: u64,
    seed: u64,
    part_bytes: Option<u64>,
) -> std::io::Result<Files> {
    let existing = rows / 2;
    let fresh = rows - existing;
    let mut keys: Vec<(u64, u32)> = (0..existing)
        .map(|k| (k, 1))
        .chain((rows..rows + fresh).map(|k| (k, 0)))
        .collect();
    Rng::new(seed ^ 0x0055_5053_4552_5400).shuffle(&mut keys);
    let (bytes, paths) = write_csv(path, seed, keys.into_iter(), part_bytes)?;
    Ok(Files {
        generated: Generated {
            rows,
            new_rows: fresh,
            bytes,
        },
        paths,
    })
}

/// Writes the rows of `keys` to `path`, or to parts of at most `part_bytes`; answers the bytes written and
/// the files.
fn write_csv(
    path: &Path,
    seed: u64,
    keys: impl Iterator<Item = (u64, u32)>,
    part_bytes: Option<u64>,
) -> std::io::Result<(u64, Vec<PathBuf>)> {
    let mut parts = PartWriter {
        path: path.to_owned(),
        part_bytes,
        header: format!("{}\n", COLUMNS.join(",")),
        out: None,
        written: 0,
        bytes: 0,
        paths: Vec::new(),
    };
    let mut line = String::with_capacity(1024);
    for (key, version) in keys {
        account_row(seed, key, version, &mut line);
        parts.write_record(line.as_bytes())?;
        line.clear();
    }
    parts.finish()
}

/// The file being written and when to start the next part.
struct PartWriter {
    path: PathBuf,
    part_bytes: Option<u64>,
    header: String,
    out: Option<BufWriter<File>>,
    /// Bytes in the current file.
    written: u64,
    /// Bytes in all files.
    bytes: u64,
    paths: Vec<PathBuf>,
}

impl PartWriter {
    fn write_record(&mut self, record: &[u8]) -> std::io::Result<()> {
        let header = self.header.len() as u64;
        let full = self.part_bytes.is_some_and(|limit| {
            self.written > header && self.written + record.len() as u64 > limit
        });
        if self.out.is_none() || full {
            self.next_file()?;
        }
        self.write(record)
    }

    fn write(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.out
            .as_mut()
            .expect("a file is open once next_file ran")
            .write_all(bytes)?;
        self.written += bytes.len() as u64;
        self.bytes += bytes.len() as u64;
        Ok(())
    }

    /// Ends the current file (synced) and starts the next with the header.
    fn next_file(&mut self) -> std::io::Result<()> {
        self.close()?;
        let path = if self.part_bytes.is_some() {
            let stem = self.path.file_stem().unwrap_or_default().to_string_lossy();
            let name = format!("{stem}.part-{:04}.csv", self.paths.len() + 1);
            self.path.with_file_name(name)
        } else {
            self.path.clone()
        };
        self.out = Some(BufWriter::with_capacity(1 << 20, File::create(&path)?));
        self.paths.push(path);
        self.written = 0;
        let header = std::mem::take(&mut self.header);
        let written = self.write(header.as_bytes());
        self.header = header;
        written
    }

    fn close(&mut self) -> std::io::Result<()> {
        if let Some(out) = self.out.take() {
            out.into_inner()
                .map_err(std::io::IntoInnerError::into_error)?
                .sync_all()?;
        }
        Ok(())
    }

    fn finish(mut self) -> std::io::Result<(u64, Vec<PathBuf>)> {
        if self.out.is_none() {
            // No rows: the header alone.
            self.next_file()?;
        }
        self.close()?;
        Ok((self.bytes, self.paths))
    }
}

const COMPANIES: &[&str] = &[
    "Acme",
    "Globex",
    "Initech",
    "Umbrella",
    "Stark",
    "Wayne",
    "Wonka",
    "Hooli",
    "Vandelay",
    "Soylent",
    "Cyberdyne",
    "Tyrell",
    "Aperture",
    "Massive Dynamic",
    "Pied Piper",
    "Monarch",
    "Oscorp",
    "Blue Sun",
    "Nakatomi",
    "Gekko & Co",
];
const BUSINESSES: &[&str] = &[
    "Industries",
    "Holdings",
    "Labs",
    "Systems",
    "Foods",
    "Logistics",
    "Partners",
    "Capital",
    "Energy",
    "Media",
    "Health",
    "Software",
];
const LEGAL: &[&str] = &[", Inc.", ", LLC", ", Ltd.", " GmbH", " S.A.", " Corp."];
const NICKNAMES: &[&str] = &["Blue", "Big", "Red Rock", "Northern", "Old Town"];
const STREETS: &[&str] = &[
    "Main",
    "Oak",
    "Maple",
    "Cedar",
    "Elm",
    "Pine",
    "Market",
    "Mission",
    "Broadway",
    "Park",
    "Lake",
    "Hill",
    "Sunset",
    "Washington",
    "King",
];
const STREET_TYPES: &[&str] = &["St", "Ave", "Blvd", "Rd", "Way", "Lane", "Drive", "Court"];
const CITIES: &[&str] = &[
    "San Francisco",
    "New York",
    "Chicago",
    "Austin",
    "Seattle",
    "Boston",
    "Denver",
    "Atlanta",
    "Winston-Salem",
    "St. Louis",
    "Portland",
    "Toronto",
    "London",
    "Berlin",
    "Paris",
    "Sydney",
    "Tokyo",
    "São Paulo",
    "Zürich",
    "Bengaluru",
];
const STATES: &[&str] = &[
    "CA", "NY", "IL", "TX", "WA", "MA", "CO", "GA", "NC", "MO", "OR", "ON", "BE", "NSW",
];
const COUNTRIES: &[&str] = &[
    "United States",
    "United States",
    "United States",
    "United States",
    "Canada",
    "United Kingdom",
    "Germany",
    "France",
    "Australia",
    "Japan",
    "Brazil",
    "Switzerland",
    "India",
];
/// Values of Account.Industry's picklist.
const INDUSTRIES: &[&str] = &[
    "Agriculture",
    "Apparel",
    "Banking",
    "Biotechnology",
    "Chemicals",
    "Communications",
    "Construction",
    "Consulting",
    "Education",
    "Electronics",
    "Energy",
    "Engineering",
    "Entertainment",
    "Environmental",
    "Finance",
    "Food & Beverage",
    "Government",
    "Healthcare",
    "Hospitality",
    "Insurance",
    "Machinery",
    "Manufacturing",
    "Media",
    "Not For Profit",
    "Recreation",
    "Retail",
    "Shipping",
    "Technology",
    "Telecommunications",
    "Transportation",
    "Utilities",
    "Other",
];
const SENTENCES: &[&str] = &[
    "Key account in the region.",
    "Renewal due next quarter, pricing under review.",
    "Prefers email; do not call before 10am.",
    "Signed the \"Enterprise\" plan after a long pilot.",
    "Parent company handles procurement.",
    "Met at the annual conference, very interested in analytics.",
    "Asked for a discount of 15%, approved by finance.",
    "Ships to three warehouses: Reno, Dallas and Newark.",
    "Champion left; find a new \"exec sponsor\".",
    "Slow payer, net 60.",
];

/// Draws one cell's value into the (cleared) cell.
type FillCell<'a> = dyn Fn(&mut Rng, &mut String) + 'a;

/// Appends one CSV line (with its LF) for the account numbered `key`; `version` changes every value but the id.
///
/// The cells are drawn in column order from one generator per row, so each step below must keep its draws (and
/// their order) for the bytes to stay the same across versions of the bench.
pub fn account_row(seed: u64, key: u64, version: u32, line: &mut String) {
    let mut r =
        Rng::new(seed ^ key.wrapping_mul(0xA24B_AED4_963E_E407) ^ (u64::from(version) << 56));
    // Mix the per-row state once so neighbouring keys do not start from neighbouring states.
    r.next_u64();
    let mut cell = String::with_capacity(256);
    let company = name(&mut r, key, version, &mut cell);
    push_cell(line, &cell, false);
    let website = |r: &mut Rng, cell: &mut String| website(r, company, key, cell);
    let cells: [&FillCell<'_>; 12] = [
        &account_number,
        &phone,
        &website,
        &employees,
        &annual_revenue,
        &billing_street,
        &|r, cell| sometimes_one_of(r, 95, CITIES, cell),
        &|r, cell| sometimes_one_of(r, 90, STATES, cell),
        &postal_code,
        &|r, cell| sometimes_one_of(r, 95, COUNTRIES, cell),
        &|r, cell| sometimes_one_of(r, 90, INDUSTRIES, cell),
        &description,
    ];
    for fill in cells {
        cell.clear();
        fill(&mut r, &mut cell);
        push_cell(line, &cell, false);
    }
    push_cell(line, &external_id(key), true);
}

/// Name: always present (required); some with commas, some with quotes. Answers the company, which the
/// website is made from.
fn name(r: &mut Rng, key: u64, version: u32, cell: &mut String) -> &'static str {
    let company = r.pick(COMPANIES);
    let business = r.pick(BUSINESSES);
    if r.chance(4) {
        cell.push_str(&format!(
            "{company} \"{}\" {business} {key}",
            r.pick(NICKNAMES)
        ));
    } else {
        cell.push_str(&format!("{company} {business} {key}"));
    }
    if r.chance(40) {
        cell.push_str(r.pick(LEGAL));
    }
    if version > 0 {
        cell.push_str(" (renamed)");
    }
    company
}

fn account_number(r: &mut Rng, cell: &mut String) {
    if r.chance(90) {
        cell.push_str(&format!("AC{:08}", r.below(100_000_000)));
    }
}

fn phone(r: &mut Rng, cell: &mut String) {
    if r.chance(85) {
        cell.push_str(&format!(
            "({}) {}-{:04}",
            200 + r.below(800),
            200 + r.below(800),
            r.below(10_000)
        ));
        if r.chance(5) {
            cell.push_str(&format!(" x{}", r.below(1000)));
        }
    }
}

fn website(r: &mut Rng, company: &str, key: u64, cell: &mut String) {
    if r.chance(80) {
        let slug: String = company
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .collect::<String>()
            .to_ascii_lowercase();
        cell.push_str(&format!("https://www.{slug}{key}.example.com"));
    }
}

/// NumberOfEmployees (int).
fn employees(r: &mut Rng, cell: &mut String) {
    if r.chance(90) {
        let scale = r.pick(&[10u64, 100, 1_000, 10_000, 250_000]);
        cell.push_str(&(1 + r.below(scale)).to_string());
    }
}

/// AnnualRevenue (currency, scale 0).
fn annual_revenue(r: &mut Rng, cell: &mut String) {
    if r.chance(80) {
        let scale = r.pick(&[1_000_000u64, 50_000_000, 5_000_000_000]);
        cell.push_str(&(10_000 + r.below(scale)).to_string());
    }
}

/// BillingStreet (textarea): some on two lines, some with a comma.
fn billing_street(r: &mut Rng, cell: &mut String) {
    if r.chance(95) {
        cell.push_str(&format!(
            "{} {} {}",
            1 + r.below(9999),
            r.pick(STREETS),
            r.pick(STREET_TYPES)
        ));
        if r.chance(20) {
            cell.push_str(&format!("\nSuite {}", 100 + r.below(900)));
        } else if r.chance(6) {
            cell.push_str(&format!(", Building {}", (b'A' + r.below(8) as u8) as char));
        }
    }
}

fn postal_code(r: &mut Rng, cell: &mut String) {
    if r.chance(92) {
        cell.push_str(&format!("{:05}", r.below(100_000)));
        if r.chance(20) {
            cell.push_str(&format!("-{:04}", r.below(10_000)));
        }
    }
}

/// Description (textarea): often empty, otherwise one to three sentences, sometimes on several lines.
fn description(r: &mut Rng, cell: &mut String) {
    if r.chance(65) {
        let sentences = 1 + r.below(3);
        let multiline = r.chance(15);
        for i in 0..sentences {
            if i > 0 {
                cell.push(if multiline { '\n' } else { ' ' });
            }
            cell.push_str(r.pick(SENTENCES));
        }
    }
}

/// One of `items`, `percent` times in a hundred (else the cell stays empty): city, state, country, industry
/// (the picklist's valid values only).
fn sometimes_one_of(r: &mut Rng, percent: u64, items: &[&str], cell: &mut String) {
    if r.chance(percent) {
        cell.push_str(r.pick(items));
    }
}

/// Appends `value` as a CSV cell, quoted (quotes doubled) when it holds a comma, a quote or a line break.
fn push_cell(line: &mut String, value: &str, last: bool) {
    if value.contains([',', '"', '\n', '\r']) {
        line.push('"');
        line.push_str(&value.replace('"', "\"\""));
        line.push('"');
    } else {
        line.push_str(value);
    }
    line.push(if last { '\n' } else { ',' });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::csvcount::CsvCounter;

    #[test]
    fn the_prng_is_deterministic_and_spread() {
        let a: Vec<u64> = {
            let mut r = Rng::new(7);
            (0..5).map(|_| r.next_u64()).collect()
        };
        let b: Vec<u64> = {
            let mut r = Rng::new(7);
            (0..5).map(|_| r.next_u64()).collect()
        };
        assert_eq!(a, b);
        let mut r = Rng::new(1);
        let mut counts = [0u32; 10];
        for _ in 0..10_000 {
            counts[r.below(10) as usize] += 1;
        }
        assert!(
            counts.iter().all(|&c| (800..1200).contains(&c)),
            "{counts:?}"
        );
    }

    #[test]
    fn files_are_deterministic_with_every_kind_of_cell() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a.csv"), dir.path().join("b.csv"));
        let generated = write_insert_csv(&a, 2_000, DEFAULT_SEED).unwrap();
        write_insert_csv(&b, 2_000, DEFAULT_SEED).unwrap();
        let text = std::fs::read_to_string(&a).unwrap();
        assert_eq!(text, std::fs::read_to_string(&b).unwrap());
        assert_eq!(generated.bytes, text.len() as u64);
        assert!(text.starts_with("Name,AccountNumber,Phone,"));
        assert!(text.contains("\"\""), "doubled quotes");
        assert!(text.contains(",,"), "empty values");
        assert!(text.contains("\nSuite "), "line breaks inside values");
        assert!(text.contains(", Inc.\""), "commas inside values");

        let mut counter = CsvCounter::new();
        counter.feed(text.as_bytes());
        let summary = counter.finish();
        assert_eq!(summary.records, 2_001);
        assert_eq!(summary.max_fields, 14);
        assert_eq!(summary.min_fields, 14);
        // Every external id once.
        let mut ids: Vec<&str> = text
            .lines()
            .filter_map(|l| l.rsplit(',').next())
            .filter(|c| c.starts_with("EXT-"))
            .collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), 2_000);
    }

    #[test]
    fn the_upsert_file_reuses_half_the_ids() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("u.csv");
        let generated = write_upsert_csv(&path, 1_001, DEFAULT_SEED).unwrap();
        assert_eq!(generated.rows, 1_001);
        assert_eq!(generated.new_rows, 501);
        let text = std::fs::read_to_string(&path).unwrap();
        let ids: Vec<u64> = text
            .lines()
            .filter_map(|l| l.rsplit(',').next()?.strip_prefix("EXT-")?.parse().ok())
            .collect();
        assert_eq!(ids.len(), 1_001);
        assert_eq!(ids.iter().filter(|&&k| k < 1_001).count(), 500);
        assert!(text.contains(" (renamed)"));
    }

    #[test]
    fn parts_split_at_records_with_a_header_each() {
        let dir = tempfile::tempdir().unwrap();
        let whole = dir.path().join("w.csv");
        write_upsert_csv(&whole, 3_000, DEFAULT_SEED).unwrap();
        let files = write_upsert_parts(
            &dir.path().join("p.csv"),
            3_000,
            DEFAULT_SEED,
            Some(100_000),
        )
        .unwrap();
        assert!(files.paths.len() > 3, "{:?}", files.paths);
        let header = format!("{}\n", COLUMNS.join(","));
        let mut joined = header.clone();
        let mut bytes = 0;
        for path in &files.paths {
            let text = std::fs::read_to_string(path).unwrap();
            assert!(
                text.len() <= 100_000,
                "{} is {} bytes",
                path.display(),
                text.len()
            );
            bytes += text.len() as u64;
            joined.push_str(
                text.strip_prefix(&header)
                    .expect("each part has the header"),
            );
            let mut counter = CsvCounter::new();
            counter.feed(text.as_bytes());
            assert_eq!(counter.finish().min_fields, 14, "records are whole");
        }
        assert_eq!(files.generated.bytes, bytes);
        assert_eq!(files.generated.new_rows, 1_500);
        assert_eq!(joined, std::fs::read_to_string(&whole).unwrap());
    }
}
