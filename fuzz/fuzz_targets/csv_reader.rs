//! `RecordReader` over arbitrary bytes, through a buffer of fuzzer-chosen capacity, with or without a BOM
//! skipped and with tight or default limits:
//! - never panics, and agrees with the oracle on every record's cells and span until it stops;
//! - its records tile the input: each starts where the last ended (no overlap, no gap), its terminator's
//!   bytes sit between `raw_end()` and `end()`, and its line is one more than the line feeds before it;
//! - a whole read round-trips: the records written back all-quoted (as result files are) read back as the
//!   same cells.
//!
//! Input: [delimiter (0–5 in `ColumnDelimiter::ALL` order), buffer capacity, flags (bit 0 skip a BOM, bit 1
//! tight limits from the upper bits, bit 2 write back with CRLF)] then the CSV.
#![no_main]

use bulkforce_core::csv::{
    ColumnDelimiter, CsvError, Dialect, LineEnding, Record, RecordReader, write_quoted_row,
};
use bulkforce_fuzz::{delimiter, oracle, terminator_bytes};
use libfuzzer_sys::fuzz_target;
use std::io::BufReader;

/// Every record of `data` as cells, or the first error.
fn read_cells(
    data: &[u8],
    delimiter: u8,
    capacity: usize,
    skip_bom: bool,
    limits: Option<(usize, usize)>,
) -> (Vec<Vec<Vec<u8>>>, Option<CsvError>) {
    let mut reader = RecordReader::new(BufReader::with_capacity(capacity, data), delimiter, 0);
    if let Some((bytes, fields)) = limits {
        reader = reader.with_limits(bytes, fields);
    }
    let mut start = 0;
    if skip_bom {
        match reader.skip_bom() {
            Ok(true) => start = 3,
            Ok(false) => {}
            Err(e) => return (Vec::new(), Some(e)),
        }
    }
    assert_eq!(reader.offset(), start);
    let mut rec = Record::default();
    let mut records = Vec::new();
    loop {
        match reader.read(&mut rec) {
            Ok(false) => {
                assert_eq!(
                    start,
                    data.len() as u64,
                    "the reader stopped before the end"
                );
                assert_eq!(reader.offset(), start);
                return (records, None);
            }
            Ok(true) => {
                assert_eq!(rec.start(), start, "records overlap or leave a gap");
                assert!(rec.start() <= rec.raw_end() && rec.raw_end() <= rec.end());
                assert!(rec.end() <= data.len() as u64);
                assert!(rec.end() > rec.start(), "an empty record");
                let (raw_end, end) = (rec.raw_end() as usize, rec.end() as usize);
                assert_eq!(&data[raw_end..end], terminator_bytes(rec.terminator()));
                let feeds_before = data[..rec.start() as usize]
                    .iter()
                    .filter(|&&b| b == b'\n')
                    .count() as u64;
                assert_eq!(rec.line(), feeds_before + 1, "the record's line is wrong");
                assert!(!rec.is_empty(), "a record has at least one cell");
                assert_eq!(reader.offset(), rec.end());
                start = rec.end();
                records.push(rec.iter().map(<[u8]>::to_vec).collect());
            }
            Err(e) => return (records, Some(e)),
        }
    }
}

fuzz_target!(|input: &[u8]| {
    let [selector, capacity, flags, data @ ..] = input else {
        return;
    };
    let delimiter = delimiter(*selector);
    let capacity = usize::from(*capacity % 64) + 1;
    let skip_bom = flags & 1 == 1;
    let limits =
        (flags & 2 == 2).then_some((usize::from(*flags >> 2) * 4, usize::from(*flags >> 4)));
    let (records, error) = read_cells(data, delimiter, capacity, skip_bom, limits);

    let bom = if skip_bom && data.starts_with(b"\xEF\xBB\xBF") {
        3
    } else {
        0
    };
    let (expected, expected_error) = oracle(&data[bom..], delimiter);
    for (got, want) in records.iter().zip(&expected) {
        assert_eq!(got, &want.cells, "cells differ from the oracle's");
    }
    match &error {
        None => {
            assert!(
                expected_error.is_none(),
                "the oracle found {expected_error:?}"
            );
            assert_eq!(records.len(), expected.len());
        }
        Some(CsvError::UnterminatedQuote { line } | CsvError::TextAfterQuote { line }) => {
            let oracle_error = expected_error.expect("the oracle finds the same error");
            assert_eq!(records.len(), expected.len());
            assert_eq!(
                CsvError::from(oracle_error).to_string(),
                error.as_ref().map(ToString::to_string).unwrap_or_default()
            );
            assert!(*line >= 1);
        }
        Some(CsvError::RecordTooLarge { .. } | CsvError::TooManyFields { .. }) => {
            assert!(
                limits.is_some(),
                "the default limits are far above a fuzz input"
            );
        }
        Some(CsvError::Io(e)) => panic!("reading a slice failed: {e}"),
    }

    if error.is_some() {
        return;
    }
    // All-quoted, as result files are written: reads back as the same cells, in any delimiter.
    let dialect = Dialect {
        delimiter: ColumnDelimiter::from_byte(delimiter).expect("one of the six"),
        line_ending: if flags & 4 == 4 {
            LineEnding::Crlf
        } else {
            LineEnding::Lf
        },
    };
    let mut written = Vec::new();
    for cells in &records {
        write_quoted_row(&mut written, dialect, cells.iter().map(Vec::as_slice));
    }
    let (again, error) = read_cells(&written, delimiter, capacity, false, None);
    assert!(error.is_none(), "quoted output is unreadable: {error:?}");
    assert_eq!(again, records, "quoted output reads back differently");
});
