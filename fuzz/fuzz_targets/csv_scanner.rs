//! The push-style CSV `Scanner`, fed the input in fuzzer-chosen slices (and stopped by its sink now and
//! then), must find exactly the records, cells and errors of the one-byte-at-a-time oracle: slicing never
//! changes a boundary, a cell or an error's offset and line, and nothing panics.
//!
//! Input: [delimiter, first slice length, second slice length, stop every Nth record (0–3)] then the CSV.
#![no_main]

use bulkforce_core::csv::{RecordSpan, Scanner, Sink};
use bulkforce_fuzz::{OracleRecord, delimiter, oracle};
use libfuzzer_sys::fuzz_target;

/// Collects every record and its cells, as the reader's sink does; stops after every `stop_every`-th record.
struct Collect {
    records: Vec<OracleRecord>,
    cells: Vec<Vec<u8>>,
    cell: Vec<u8>,
    stop_every: usize,
}

impl Sink for Collect {
    fn value(&mut self, bytes: &[u8]) {
        self.cell.extend_from_slice(bytes);
    }

    fn end_cell(&mut self) {
        self.cells.push(std::mem::take(&mut self.cell));
    }

    fn record(&mut self, span: RecordSpan) -> bool {
        self.end_cell();
        let cells = std::mem::take(&mut self.cells);
        self.records.push(OracleRecord { span, cells });
        self.stop_every == 0 || self.records.len() % self.stop_every != 0
    }
}

fuzz_target!(|input: &[u8]| {
    let [selector, a, b, stop, data @ ..] = input else {
        return;
    };
    let delimiter = delimiter(*selector);
    let slices = [usize::from(*a % 16) + 1, usize::from(*b) + 1];
    let mut sink = Collect {
        records: Vec::new(),
        cells: Vec::new(),
        cell: Vec::new(),
        stop_every: usize::from(*stop % 4),
    };
    let mut scanner = Scanner::new(delimiter, 0);
    let mut rest = data;
    let mut turn = 0;
    let mut error = None;
    while !rest.is_empty() {
        let take = slices[turn % 2].min(rest.len());
        turn += 1;
        let mut slice = &rest[..take];
        rest = &rest[take..];
        while !slice.is_empty() {
            match scanner.feed(slice, &mut sink) {
                Ok(fed) => {
                    assert!(fed.consumed <= slice.len());
                    if !fed.stopped {
                        assert_eq!(fed.consumed, slice.len(), "an unstopped feed scans it all");
                    }
                    slice = &slice[fed.consumed..];
                }
                Err(e) => {
                    error = Some(e);
                    break;
                }
            }
        }
        if error.is_some() {
            break;
        }
    }
    if error.is_none() {
        assert_eq!(scanner.offset(), data.len() as u64);
        if let Err(e) = scanner.finish(&mut sink) {
            error = Some(e);
        }
    }
    let (expected, expected_error) = oracle(data, delimiter);
    assert_eq!(sink.records, expected, "records differ from the oracle's");
    assert_eq!(error, expected_error, "errors differ from the oracle's");
});
