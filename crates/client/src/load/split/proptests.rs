//! The server's reader and the client's splitter must agree on every record boundary, or a split load would
//! cut a record in two (or glue two together). Both are built on the core scanner; this property test holds
//! them to it from the outside: random files (every delimiter, LF and CRLF, quoted values holding delimiters,
//! quotes, CR and LF), fed in every buffer size, give both of them exactly the records the generator wrote,
//! and the same quote error at the same line.

use super::*;
use crate::Error;
use bulkforce_core::csv::{CsvError, Record, RecordReader, RecordSpan, Terminator};
use proptest::prelude::*;
use proptest::sample::Index;
use std::io::BufReader;

/// Buffer sizes every case is read with: each size from one byte up, and a few large ones.
fn buffer_sizes() -> impl Iterator<Item = usize> {
    (1..=64).chain([100, 1000, 1 << 16])
}

#[derive(Clone, Debug)]
enum Cell {
    /// Written as is, after removing what an unquoted value cannot hold.
    Plain(String),
    /// Written quoted, its quotes doubled.
    Quoted(String),
}

/// Broken quoting put into the file on purpose.
#[derive(Clone, Debug)]
enum Flaw {
    None,
    /// A last record whose quoted value never closes.
    Unterminated(String),
    /// An `x` after the closing quote of one cell (picked among the rows and their cells).
    TextAfterQuote(Index, Index),
}

#[derive(Clone, Debug)]
struct Case {
    delimiter: ColumnDelimiter,
    crlf: bool,
    rows: Vec<Vec<Cell>>,
    /// Whether the last row has a line ending (a row without one ends at the end of the file).
    final_line_ending: bool,
    flaw: Flaw,
}

/// What a record looks like from outside: its span, how it ended, the line it starts on.
type Boundary = (u64, u64, Terminator, u64);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum QuoteError {
    Unterminated,
    TextAfterQuote,
}

/// A generated file and what reading it must give.
struct Built {
    data: Vec<u8>,
    /// Every record before the first error, the header included.
    records: Vec<Boundary>,
    error: Option<(QuoteError, u64)>,
}

fn text() -> impl Strategy<Value = String> {
    let chars = prop::sample::select(vec![
        'a', 'b', 'Z', ' ', 'é', ',', ';', '|', '^', '`', '\t', '"', '\r', '\n',
    ]);
    prop::collection::vec(chars, 0..6).prop_map(|chars| chars.into_iter().collect())
}

fn cell() -> impl Strategy<Value = Cell> {
    (any::<bool>(), text()).prop_map(|(quoted, text)| {
        if quoted {
            Cell::Quoted(text)
        } else {
            Cell::Plain(text)
        }
    })
}

fn case() -> impl Strategy<Value = Case> {
    let flaw = prop_oneof![
        2 => Just(Flaw::None),
        1 => text().prop_map(|t| Flaw::Unterminated(t.replace('"', ""))),
        1 => (any::<Index>(), any::<Index>()).prop_map(|(row, cell)| Flaw::TextAfterQuote(row, cell)),
    ];
    (
        prop::sample::select(ColumnDelimiter::ALL.to_vec()),
        any::<bool>(),
        prop::collection::vec(prop::collection::vec(cell(), 1..5), 0..12),
        any::<bool>(),
        flaw,
    )
        .prop_map(|(delimiter, crlf, rows, final_line_ending, flaw)| Case {
            delimiter,
            crlf,
            rows,
            final_line_ending,
            flaw,
        })
}

/// Writes a case's file, noting where each record must start and end.
struct Writer {
    data: String,
    records: Vec<Boundary>,
}

impl Writer {
    fn line(&self) -> u64 {
        1 + self.data.matches('\n').count() as u64
    }

    fn record(&mut self, raw: &str, ending: &str) {
        let (start, line) = (self.data.len() as u64, self.line());
        self.data.push_str(raw);
        self.data.push_str(ending);
        let terminator = match ending {
            "\n" => Terminator::Lf,
            "\r\n" => Terminator::CrLf,
            _ => Terminator::Eof,
        };
        self.records
            .push((start, self.data.len() as u64, terminator, line));
    }
}

fn encode(cell: &Cell, delimiter: char) -> String {
    match cell {
        Cell::Plain(text) => {
            let plain: String = text
                .chars()
                .filter(|&c| c != delimiter && c != '\r' && c != '\n')
                .collect();
            // A quote opens a quoted value only at the start of a cell; elsewhere it is a literal.
            if plain.starts_with('"') {
                format!("p{plain}")
            } else {
                plain
            }
        }
        Cell::Quoted(text) => format!("\"{}\"", text.replace('"', "\"\"")),
    }
}

fn build(case: &Case) -> Built {
    let d = case.delimiter.byte() as char;
    let ending = if case.crlf { "\r\n" } else { "\n" };
    let mut w = Writer {
        data: String::new(),
        records: Vec::new(),
    };
    w.record(&format!("A{d}B{d}C"), ending);
    let flawed = match &case.flaw {
        Flaw::TextAfterQuote(row, cell) if !case.rows.is_empty() => {
            let row = row.index(case.rows.len());
            Some((row, cell.index(case.rows[row].len())))
        }
        _ => None,
    };
    let mut error = None;
    for (i, row) in case.rows.iter().enumerate() {
        let mut cells: Vec<String> = row.iter().map(|c| encode(c, d)).collect();
        if let Some((_, c)) = flawed.filter(|&(r, _)| r == i) {
            let (Cell::Quoted(text) | Cell::Plain(text)) = &row[c];
            cells[c] = format!("\"{}\"x", text.replace('"', "\"\""));
            let raw = cells.join(&d.to_string());
            let before_x = w.data.clone() + &raw[..raw.find("\"x").map_or(0, |p| p + 1)];
            let x_line = 1 + before_x.matches('\n').count() as u64;
            error = Some((QuoteError::TextAfterQuote, x_line));
            // The records after it are never reached: what follows is written but not expected.
            w.data.push_str(&raw);
            w.data.push_str(ending);
            break;
        }
        let raw = cells.join(&d.to_string());
        let last = i + 1 == case.rows.len();
        let unended =
            last && !case.final_line_ending && !raw.is_empty() && matches!(case.flaw, Flaw::None);
        w.record(&raw, if unended { "" } else { ending });
    }
    if let (Flaw::Unterminated(text), None) = (&case.flaw, error) {
        error = Some((QuoteError::Unterminated, w.line()));
        w.data.push('"');
        w.data.push_str(text);
    }
    Built {
        data: w.data.into_bytes(),
        records: w.records,
        error,
    }
}

/// The server's reader over a `BufReader` of `capacity` bytes.
fn reader_records(
    built: &Built,
    delimiter: u8,
    capacity: usize,
) -> (Vec<Boundary>, Option<(QuoteError, u64)>) {
    let input = BufReader::with_capacity(capacity, &built.data[..]);
    let mut reader = RecordReader::new(input, delimiter, 0);
    let mut record = Record::default();
    let mut records = Vec::new();
    loop {
        match reader.read(&mut record) {
            Ok(true) => records.push((
                record.start(),
                record.end(),
                record.terminator(),
                record.line(),
            )),
            Ok(false) => return (records, None),
            Err(CsvError::UnterminatedQuote { line }) => {
                return (records, Some((QuoteError::Unterminated, line)));
            }
            Err(CsvError::TextAfterQuote { line }) => {
                return (records, Some((QuoteError::TextAfterQuote, line)));
            }
            Err(e) => panic!("unexpected reader error: {e}"),
        }
    }
}

fn load_quote_error(e: Error) -> (QuoteError, u64) {
    match e {
        Error::Load(LoadError::UnterminatedQuote { line }) => (QuoteError::Unterminated, line),
        Error::Load(LoadError::TextAfterQuote { line }) => (QuoteError::TextAfterQuote, line),
        e => panic!("unexpected splitter error: {e}"),
    }
}

/// The splitter's records, the input fed in slices of `piece` bytes.
fn splitter_records(
    built: &Built,
    delimiter: u8,
    piece: usize,
) -> (Vec<Boundary>, Option<(QuoteError, u64)>) {
    let mut scanner = Scanner::new(delimiter, 0);
    let mut records = Vec::new();
    for slice in built.data.chunks(piece) {
        let fed = scanner.feed(slice, |r| {
            records.push(boundary(r));
            Ok(true)
        });
        if let Err(e) = fed {
            return (records, Some(load_quote_error(e)));
        }
    }
    match scanner.finish() {
        Ok(last) => records.extend(last.map(boundary)),
        Err(e) => return (records, Some(load_quote_error(e))),
    }
    (records, None)
}

fn boundary(r: RecordSpan) -> Boundary {
    (r.start, r.end, r.terminator, r.line)
}

/// A plan of one row per part: every part starts where a non-blank record starts and ends where a record
/// ends; the rows are the non-blank records; a quote error is the reader's.
fn check_plan(built: &Built, buffer: usize) {
    let options = SplitOptions {
        max_bytes: u64::MAX,
        max_rows: Some(1),
    };
    let plan = plan_with_buffer(&built.data[..], &options, buffer);
    if let Some(expected) = built.error {
        let got = plan.map(|_| ()).map_err(load_quote_error);
        assert_eq!(got, Err(expected), "buffer {buffer}");
        return;
    }
    let plan = plan.expect("a well-formed file plans");
    let header = built.records[0];
    assert_eq!(
        plan.header,
        &built.data[..header.1 as usize],
        "buffer {buffer}"
    );
    let rows: Vec<&Boundary> = built.records[1..]
        .iter()
        .filter(|r| r.1 - ending_len(r.2) > r.0)
        .collect();
    assert_eq!(plan.rows, rows.len() as u64, "buffer {buffer}");
    if rows.is_empty() {
        assert_eq!(plan.parts.len(), 1);
        return;
    }
    let starts: Vec<u64> = plan.parts.iter().map(|p| p.start).collect();
    let row_starts: Vec<u64> = rows.iter().map(|r| r.0).collect();
    assert_eq!(starts, row_starts, "buffer {buffer}");
    for part in &plan.parts {
        assert!(
            built.records.iter().any(|r| r.1 == part.end),
            "{part:?} ends mid-record"
        );
    }
}

fn ending_len(terminator: Terminator) -> u64 {
    match terminator {
        Terminator::Lf | Terminator::Cr => 1,
        Terminator::CrLf => 2,
        Terminator::Eof => 0,
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 200,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn reader_and_splitter_agree_on_every_boundary_and_quote_error(case in case()) {
        let built = build(&case);
        let delimiter = case.delimiter.byte();
        let expected = (built.records.clone(), built.error);
        for size in buffer_sizes() {
            prop_assert_eq!(&reader_records(&built, delimiter, size), &expected, "reader, buffer {}", size);
            prop_assert_eq!(&splitter_records(&built, delimiter, size), &expected, "splitter, buffer {}", size);
            check_plan(&built, size);
        }
    }
}
