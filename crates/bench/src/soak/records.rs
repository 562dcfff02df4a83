//! Result files read record by record as they stream in, with only the current record's cells held.
//!
//! Built on the workspace's one CSV scanner, like [`crate::csvcount`], but keeping whole cells: the soak
//! checks ids, not just counts.

use bulkforce_core::csv::{RecordSpan, Scanner, Sink};
use std::io::Read;

/// Reads all of `source` as CSV and calls `on_record` with the cells of each record (the header included;
/// blank lines skipped). Answers the number of records.
pub fn for_each_record(
    mut source: impl Read,
    mut on_record: impl FnMut(&[Vec<u8>]) -> anyhow::Result<()>,
) -> anyhow::Result<u64> {
    let mut scanner = Scanner::new(b',', 0);
    let mut cells = Cells::default();
    let mut piece = vec![0u8; 64 * 1024];
    loop {
        let read = source.read(&mut piece)?;
        if read == 0 {
            break;
        }
        scanner.feed(&piece[..read], &mut cells)?;
        cells.drain(&mut on_record)?;
    }
    scanner.finish(&mut cells)?;
    cells.drain(&mut on_record)?;
    Ok(cells.records)
}

/// The scanner's sink: the cells of the records ended since the last drain (a piece of input holds several).
#[derive(Default)]
struct Cells {
    current: Vec<Vec<u8>>,
    cell: Vec<u8>,
    ended: Vec<Vec<Vec<u8>>>,
    records: u64,
}

impl Cells {
    fn drain(
        &mut self,
        on_record: &mut impl FnMut(&[Vec<u8>]) -> anyhow::Result<()>,
    ) -> anyhow::Result<()> {
        for record in self.ended.drain(..) {
            on_record(&record)?;
        }
        Ok(())
    }
}

impl Sink for Cells {
    fn value(&mut self, bytes: &[u8]) {
        self.cell.extend_from_slice(bytes);
    }

    fn end_cell(&mut self) {
        self.current.push(std::mem::take(&mut self.cell));
    }

    fn record(&mut self, span: RecordSpan) -> bool {
        self.end_cell();
        let record = std::mem::take(&mut self.current);
        if !span.is_blank() {
            self.records += 1;
            self.ended.push(record);
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_come_unquoted_record_by_record() {
        let text = "\"sf__Id\",\"x\"\n\"001\",\"a,\"\"b\"\"\nc\"\n\n002,\n";
        let mut seen = Vec::new();
        let records = for_each_record(text.as_bytes(), |cells| {
            seen.push(
                cells
                    .iter()
                    .map(|c| String::from_utf8_lossy(c).into_owned())
                    .collect::<Vec<_>>(),
            );
            Ok(())
        })
        .unwrap();
        assert_eq!(records, 3);
        assert_eq!(seen[1], ["001", "a,\"b\"\nc"]);
        assert_eq!(seen[2], ["002", ""]);
    }
}
