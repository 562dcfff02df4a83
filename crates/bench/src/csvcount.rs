//! A streaming CSV record counter, fed with downloaded bytes as they arrive so that no result is ever held in
//! memory.
//!
//! Records are found by the workspace's one CSV scanner ([`bulkforce_core::csv::Scanner`]) rather than the
//! `csv` crate, to keep the bench's own overhead low: the bench measures the server, so its check of every
//! result file (25 MB and more per run, inside the timed download) must not weigh in the figures. The
//! scanner is push-style, so each piece of a response body is counted as it arrives (the `csv` crate reads
//! from an `io::Read`, which a chunked download is not), it skips runs of ordinary bytes with `memchr`, and
//! it copies nothing but the few bytes of the watched field, where the `csv` crate would copy every field of
//! every record. It also reads the results by the very rules the server reads uploads by (quoted values may
//! hold delimiters, doubled quotes and line breaks; LF, CRLF and a lone CR end a record).

use bulkforce_core::csv::{RecordSpan, ScanError, Scanner, Sink};

/// Counts of one CSV stream.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CsvSummary {
    /// Records, the header included (blank lines are not records).
    pub records: u64,
    /// Fewest and most fields in a record.
    pub min_fields: u64,
    pub max_fields: u64,
    /// Records whose watched field equals the watched value (see [`CsvCounter::counting`]).
    pub matches: u64,
    /// The stream is not valid CSV (broken quoting): counting stopped there, and the counts are short.
    pub malformed: Option<ScanError>,
}

impl CsvSummary {
    /// The summary, or an error when the stream was not valid CSV (the counts would then be wrong).
    pub fn valid(self) -> Result<CsvSummary, ScanError> {
        match self.malformed {
            Some(e) => Err(e),
            None => Ok(self),
        }
    }
}

#[derive(Debug)]
pub struct CsvCounter {
    scanner: Scanner,
    tally: Tally,
}

/// What the scanner tells the counter about.
#[derive(Debug)]
struct Tally {
    /// Zero-based number of the current field.
    field: u64,
    watch: Option<(u64, &'static [u8])>,
    watched: Vec<u8>,
    summary: CsvSummary,
}

impl Default for CsvCounter {
    fn default() -> Self {
        Self::new()
    }
}

impl CsvCounter {
    pub fn new() -> Self {
        CsvCounter {
            scanner: Scanner::new(b',', 0),
            tally: Tally {
                field: 0,
                watch: None,
                watched: Vec::new(),
                summary: CsvSummary {
                    min_fields: u64::MAX,
                    ..CsvSummary::default()
                },
            },
        }
    }

    /// A counter that also counts the records whose field number `field` (zero-based) is `value`.
    pub fn counting(field: usize, value: &'static str) -> Self {
        let mut counter = Self::new();
        counter.tally.watch = Some((field as u64, value.as_bytes()));
        counter
    }

    /// Counts `bytes`, the next piece of the stream. After broken quoting, the rest is ignored.
    pub fn feed(&mut self, bytes: &[u8]) {
        if self.tally.summary.malformed.is_some() {
            return;
        }
        if let Err(e) = self.scanner.feed(bytes, &mut self.tally) {
            self.tally.summary.malformed = Some(e);
        }
    }

    pub fn finish(mut self) -> CsvSummary {
        if self.tally.summary.malformed.is_none()
            && let Err(e) = self.scanner.finish(&mut self.tally)
        {
            self.tally.summary.malformed = Some(e);
        }
        let mut summary = self.tally.summary;
        if summary.records == 0 {
            summary.min_fields = 0;
        }
        summary
    }
}

impl Sink for Tally {
    /// Keeps the bytes of the watched field, up to one more than the watched value (enough to tell a longer
    /// value from it).
    #[inline]
    fn value(&mut self, run: &[u8]) {
        if let Some((field, value)) = self.watch
            && self.field == field
        {
            let room = (value.len() + 1).saturating_sub(self.watched.len());
            self.watched.extend_from_slice(&run[..run.len().min(room)]);
        }
    }

    #[inline]
    fn end_cell(&mut self) {
        self.field += 1;
    }

    fn record(&mut self, span: RecordSpan) -> bool {
        let fields = self.field + 1;
        self.field = 0;
        if span.is_blank() {
            return true; // a blank line is not a record
        }
        let summary = &mut self.summary;
        summary.records += 1;
        summary.min_fields = summary.min_fields.min(fields);
        summary.max_fields = summary.max_fields.max(fields);
        if let Some((_, value)) = self.watch
            && self.watched == value
        {
            summary.matches += 1;
        }
        self.watched.clear();
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(text: &str, chunk: usize) -> CsvSummary {
        let mut counter = CsvCounter::counting(1, "true");
        for piece in text.as_bytes().chunks(chunk) {
            counter.feed(piece);
        }
        counter.finish()
    }

    #[test]
    fn quoted_line_breaks_commas_and_quotes_stay_inside_their_record() {
        let text = "\"sf__Id\",\"sf__Created\",Name\r\n\"001\",\"true\",\"a,\"\"b\"\"\nc\"\n\"002\",\"false\",x\n\"003\",true,\n";
        for chunk in [1, 2, 3, 7, 1000] {
            let summary = count(text, chunk);
            assert_eq!(summary.records, 4, "chunk {chunk}");
            assert_eq!((summary.min_fields, summary.max_fields), (3, 3));
            assert_eq!(summary.matches, 2);
        }
    }

    #[test]
    fn a_last_record_without_line_break_counts_and_blank_lines_do_not() {
        assert_eq!(count("a,b\n\n1,2", 4).records, 2);
        assert_eq!(count("", 4).records, 0);
        assert_eq!(count("\"\"\n", 4).records, 1);
    }

    #[test]
    fn crlf_blank_lines_are_not_records_and_cr_is_not_part_of_a_value() {
        for chunk in [1, 2, 5, 100] {
            let summary = count("a,b\r\n\r\nx,true\r\n\r\n", chunk);
            assert_eq!((summary.records, summary.matches), (2, 1), "chunk {chunk}");
        }
    }

    #[test]
    fn a_longer_value_is_not_a_match() {
        assert_eq!(count("x,truest\nx,tru\nx,\"true\"\n", 3).matches, 1);
    }

    #[test]
    fn broken_quoting_is_reported_rather_than_miscounted() {
        let mut counter = CsvCounter::new();
        counter.feed(b"a\n\"x\"y\n");
        assert!(counter.finish().valid().is_err());
        let mut counter = CsvCounter::new();
        counter.feed(b"a\n\"never closed\n");
        assert!(counter.finish().malformed.is_some());
    }
}
