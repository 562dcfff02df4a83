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

    pub fn feed(&mut self, bytes: &[u8]) {
        for &b in bytes {
            if self.in_quotes {
                if b == b'"' {
                    self.in_quotes = false;
                    self.after_quote = true;
                } else {
                    self.keep(b);
                }
                continue;
            }
            if self.after_quote {
                self.after_quote = false;
                if b == b'"' {
                    self.keep(b'"');
                    self.in_quotes = true;
                    continue;
                }
            }
            match b {
                b'"' => {
                    self.in_quotes = true;
                    self.record_started = true;
                }
                b',' => {
                    self.field += 1;
                    self.record_started = true;
                }
                b'\n' => self.end_record(),
                b'\r' => {}
                _ => {
                    self.record_started = true;
                    self.keep(b);
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

    fn keep(&mut self, b: u8) {
        if let Some((field, value)) = self.watch
            && self.field == field
            && self.watched.len() <= value.len()
        {
            self.watched.push(b);
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
    fn a_longer_value_is_not_a_match() {
        assert_eq!(count("x,truest\nx,tru\nx,\"true\"\n", 3).matches, 1);
    }
}
