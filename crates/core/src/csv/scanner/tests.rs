use super::*;

/// Collects every span and every cell, for checking what a scan told.
#[derive(Default)]
struct Collect {
    spans: Vec<RecordSpan>,
    cells: Vec<Vec<u8>>,
    cell: Vec<u8>,
    stop_after_each: bool,
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
        self.spans.push(span);
        !self.stop_after_each
    }
}

fn scan(input: &[u8], piece: usize) -> Result<Collect, ScanError> {
    let mut scanner = Scanner::new(b',', 0);
    let mut sink = Collect::default();
    for slice in input.chunks(piece) {
        scanner.feed(slice, &mut sink)?;
    }
    scanner.finish(&mut sink)?;
    Ok(sink)
}

#[test]
fn spans_cells_and_terminators_do_not_depend_on_the_slicing() {
    let input = b"Name,Desc\r\n\"a,\"\"b\"\"\",\"x\ny\"\nplain,\r\n\nlone\rlast,\"q\"";
    let whole = scan(input, input.len()).unwrap();
    let ends: Vec<_> = whole
        .spans
        .iter()
        .map(|s| (s.start, s.end, s.terminator))
        .collect();
    assert_eq!(
        ends,
        [
            (0, 11, Terminator::CrLf),
            (11, 27, Terminator::Lf),
            (27, 35, Terminator::CrLf),
            (35, 36, Terminator::Lf),
            (36, 41, Terminator::Cr),
            (41, 49, Terminator::Eof),
        ]
    );
    let lines: Vec<_> = whole.spans.iter().map(|s| (s.line, s.end_line)).collect();
    assert_eq!(lines, [(1, 1), (2, 3), (4, 4), (5, 5), (6, 6), (6, 6)]);
    assert!(whole.spans[3].is_blank());
    assert_eq!(whole.cells[2], b"a,\"b\"");
    assert_eq!(whole.cells[3], b"x\ny");
    for piece in 1..input.len() {
        let sliced = scan(input, piece).unwrap();
        assert_eq!(sliced.spans, whole.spans, "piece {piece}");
        assert_eq!(sliced.cells, whole.cells, "piece {piece}");
    }
}

#[test]
fn quote_errors_tell_where_they_are() {
    for piece in [1, 2, 5, 64] {
        assert_eq!(
            scan(b"a\nb,\"c\n", piece).err(),
            Some(ScanError::UnterminatedQuote { offset: 2, line: 2 })
        );
        assert_eq!(
            scan(b"a\n\"x\ny\"z\n", piece).err(),
            Some(ScanError::TextAfterQuote { offset: 7, line: 3 })
        );
    }
}

#[test]
fn a_sink_can_stop_after_a_record_and_the_scan_resumes_there() {
    let input = b"a,b\n\"c\nd\"\ne";
    let mut scanner = Scanner::new(b',', 100);
    let mut sink = Collect {
        stop_after_each: true,
        ..Collect::default()
    };
    let mut rest = &input[..];
    while !rest.is_empty() {
        let fed = scanner.feed(rest, &mut sink).unwrap();
        rest = &rest[fed.consumed..];
        assert_eq!(fed.stopped, !rest.is_empty());
    }
    assert!(scanner.finish(&mut sink).unwrap());
    assert!(!scanner.finish(&mut sink).unwrap());
    let ends: Vec<_> = sink
        .spans
        .iter()
        .map(|s| (s.start, s.end, s.line))
        .collect();
    assert_eq!(ends, [(100, 104, 1), (104, 110, 2), (110, 111, 4)]);
}

#[test]
fn skipped_bytes_and_set_lines_move_the_next_record() {
    let mut scanner = Scanner::new(b';', 0);
    assert!(scanner.at_record_start());
    scanner.skip(3);
    scanner.set_line(7);
    let mut sink = Collect::default();
    scanner.feed(b"x;y\n", &mut sink).unwrap();
    assert_eq!((sink.spans[0].start, sink.spans[0].line), (3, 7));
    assert_eq!(sink.cells, [&b"x"[..], b"y"]);
    assert_eq!((scanner.offset(), scanner.line()), (7, 8));
}

#[test]
fn terminators_have_names_for_messages() {
    let names: Vec<_> = [Terminator::Lf, Terminator::CrLf, Terminator::Cr]
        .into_iter()
        .map(Terminator::name)
        .collect();
    assert_eq!(names, ["LF", "CRLF", "CR"]);
}
