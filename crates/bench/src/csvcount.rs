//! A streaming CSV record counter (RFC 4180: quoted values may hold commas, doubled quotes and line breaks), fed
//! with downloaded bytes as they arrive so that no result is ever held in memory.

/// Counts of one CSV stream.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CsvSummary {
    /// Records, the header included.
    pub records: u64,
    /// Fewest and most fields in a record.
    pub min_fields: u64,
    pub max_fields: u64,
    /// Records whose watched field equals the watched value (see [`CsvCounter::counting`]).
    pub matches: u64,
}

#[derive(Debug)]
pub struct CsvCounter {
    in_quotes: bool,
    /// The previous byte closed a quoted section: a quote now is a doubled (escaped) quote.
    after_quote: bool,
    field: u64,
    record_started: bool,
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
            in_quotes: false,
            after_quote: false,
            field: 0,
            record_started: false,
            watch: None,
            watched: Vec::new(),
            summary: CsvSummary {
                min_fields: u64::MAX,
                ..CsvSummary::default()
            },
        }
    }

    /// A counter that also counts the records whose field number `field` (zero-based) is `value`.
    pub fn counting(field: usize, value: &'static str) -> Self {
        CsvCounter {
            watch: Some((field as u64, value.as_bytes())),
            ..Self::new()
        }
    }

    /// Counts `bytes`, the next piece of the stream. Runs of ordinary bytes (inside quotes, or between
    /// separators) are skipped with `memchr` rather than looked at one by one: the bench measures the
    /// server, and its own check of 25 MB of results should not weigh in the figures.
    pub fn feed(&mut self, mut bytes: &[u8]) {
        while let Some(&b) = bytes.first() {
            if self.in_quotes {
                let end = memchr::memchr(b'"', bytes).unwrap_or(bytes.len());
                self.keep_run(&bytes[..end]);
                if end < bytes.len() {
                    self.in_quotes = false;
                    self.after_quote = true;
                    bytes = &bytes[end + 1..];
                } else {
                    bytes = &[];
                }
                continue;
            }
            if self.after_quote {
                self.after_quote = false;
                if b == b'"' {
                    self.keep_run(b"\"");
                    self.in_quotes = true;
                    bytes = &bytes[1..];
                    continue;
                }
            }
            match b {
                b'"' => {
                    self.in_quotes = true;
                    self.record_started = true;
                    bytes = &bytes[1..];
                }
                b',' => {
                    self.field += 1;
                    self.record_started = true;
                    bytes = &bytes[1..];
                }
                b'\n' => {
                    self.end_record();
                    bytes = &bytes[1..];
                }
                _ => {
                    // An unquoted run; carriage returns in it neither start a record nor belong to a value.
                    let end = memchr::memchr3(b'"', b',', b'\n', bytes).unwrap_or(bytes.len());
                    for piece in bytes[..end].split(|&c| c == b'\r') {
                        if !piece.is_empty() {
                            self.record_started = true;
                            self.keep_run(piece);
                        }
                    }
                    bytes = &bytes[end..];
                }
            }
        }
    }

    pub fn finish(mut self) -> CsvSummary {
        self.end_record();
        if self.summary.records == 0 {
            self.summary.min_fields = 0;
        }
        self.summary
    }

    /// Keeps the bytes of the watched field, up to one more than the watched value (enough to tell a longer
    /// value from it).
    fn keep_run(&mut self, run: &[u8]) {
        if let Some((field, value)) = self.watch
            && self.field == field
        {
            let room = (value.len() + 1).saturating_sub(self.watched.len());
            self.watched.extend_from_slice(&run[..run.len().min(room)]);
        }
    }

    fn end_record(&mut self) {
        if !self.record_started {
            return; // a blank line, or the end of a file that ends with a line break
        }
        let fields = self.field + 1;
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
        self.field = 0;
        self.record_started = false;
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
}
