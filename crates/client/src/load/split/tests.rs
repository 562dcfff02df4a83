use super::*;
use crate::Error;

fn plan(data: &[u8], max_bytes: u64, max_rows: Option<u64>, buffer: usize) -> Result<SplitPlan> {
    plan_with_buffer(
        data,
        &SplitOptions {
            max_bytes,
            max_rows,
        },
        buffer,
    )
}

/// A straightforward reference: records as (start, end, blank) by walking the bytes one at a time with
/// the same rules, written independently of the scanner.
fn reference_records(data: &[u8], delimiter: u8) -> Vec<(usize, usize, bool)> {
    let mut records = Vec::new();
    let mut start = 0;
    let mut i = 0;
    let mut in_quotes = false;
    let mut cell_start = true;
    while i < data.len() {
        let b = data[i];
        if in_quotes {
            if b == b'"' {
                if data.get(i + 1) == Some(&b'"') {
                    i += 2;
                    continue;
                }
                in_quotes = false;
            }
            i += 1;
            continue;
        }
        if b == b'"' && cell_start {
            in_quotes = true;
            cell_start = false;
            i += 1;
        } else if b == b'\n' || (b == b'\r' && data.get(i + 1) == Some(&b'\n')) {
            let end = if b == b'\n' { i + 1 } else { i + 2 };
            let raw_end = i;
            records.push((start, end, raw_end == start));
            start = end;
            i = end;
            cell_start = true;
        } else {
            cell_start = b == delimiter;
            i += 1;
        }
    }
    if start < data.len() {
        records.push((start, data.len(), false));
    }
    records
}

/// Every part is whole records, the parts tile the data after the header (blank lines aside), and the
/// limits hold.
fn check_plan(data: &[u8], plan: &SplitPlan, max_bytes: u64, max_rows: Option<u64>) {
    let body_start = plan.header_end() as usize;
    let records = reference_records(&data[body_start..], plan.delimiter.byte());
    let boundaries: std::collections::HashSet<usize> = records
        .iter()
        .flat_map(|r| [r.0 + body_start, r.1 + body_start])
        .chain([body_start])
        .collect();
    let mut rows = 0;
    for part in &plan.parts {
        assert!(
            boundaries.contains(&(part.start as usize)),
            "{part:?} starts mid-record"
        );
        assert!(
            boundaries.contains(&(part.end as usize)),
            "{part:?} ends mid-record"
        );
        assert!(plan.upload_bytes(part) <= max_bytes, "{part:?} too large");
        if let Some(max) = max_rows {
            assert!(part.rows <= max);
        }
        let inside = records
            .iter()
            .filter(|r| {
                r.0 + body_start >= part.start as usize && r.1 + body_start <= part.end as usize
            })
            .filter(|r| !r.2)
            .count() as u64;
        assert_eq!(inside, part.rows, "{part:?}");
        rows += part.rows;
    }
    for pair in plan.parts.windows(2) {
        assert!(pair[0].end <= pair[1].start);
        // Only blank lines between parts.
        let gap = &data[pair[0].end as usize..pair[1].start as usize];
        assert!(gap.iter().all(|&b| b == b'\n' || b == b'\r'), "{gap:?}");
    }
    assert_eq!(rows, records.iter().filter(|r| !r.2).count() as u64);
    assert_eq!(rows, plan.rows);
}

fn tricky_csv(rows: usize, crlf: bool) -> Vec<u8> {
    let nl = if crlf { "\r\n" } else { "\n" };
    let mut s = format!("Name,Description,External_Id__c{nl}");
    for i in 0..rows {
        match i % 5 {
            0 => s.push_str(&format!(
                "\"Acme, {i}\",\"line one{nl}line \"\"two\"\"{nl}\",E{i}{nl}"
            )),
            1 => s.push_str(&format!("Plain {i},,E{i}{nl}")),
            2 => s.push_str(&format!("\"{nl}{nl}\",\"\"\"\",E{i}{nl}")),
            3 => s.push_str(&format!("Quote\"inside {i},x,E{i}{nl}")),
            _ => s.push_str(&format!("\"Long {}\",y,E{i}{nl}", "z".repeat(i % 37))),
        }
    }
    s.into_bytes()
}

#[test]
fn any_buffer_size_gives_the_same_plan_and_parts_never_cut_a_record() {
    for crlf in [false, true] {
        let data = tricky_csv(60, crlf);
        for (max_bytes, max_rows) in [
            (u64::MAX, None),
            (300, None),
            (180, Some(3)),
            (10_000, Some(7)),
        ] {
            let whole = plan(&data, max_bytes, max_rows, 1 << 20).unwrap();
            check_plan(&data, &whole, max_bytes, max_rows);
            for buffer in [1, 2, 3, 5, 7, 13, 64] {
                let small = plan(&data, max_bytes, max_rows, buffer).unwrap();
                assert_eq!(
                    small, whole,
                    "buffer {buffer}, crlf {crlf}, max {max_bytes}"
                );
            }
        }
    }
}

#[test]
fn quoted_newlines_straddling_part_and_buffer_boundaries() {
    // Records whose quoted line breaks fall exactly where a naive line splitter would cut.
    let mut data = b"Name,Note\n".to_vec();
    for i in 0..40 {
        data.extend_from_slice(format!("r{i},\"a\nb\nc,{}\"\n", "x".repeat(i)).as_bytes());
    }
    for max_bytes in 20..90 {
        let whole = plan(&data, max_bytes, None, 4096);
        let Ok(whole) = whole else {
            assert!(matches!(
                whole,
                Err(Error::Load(LoadError::RecordTooLarge { .. }))
            ));
            continue;
        };
        check_plan(&data, &whole, max_bytes, None);
        for buffer in [1, 4, 9] {
            assert_eq!(plan(&data, max_bytes, None, buffer).unwrap(), whole);
        }
    }
}

#[test]
fn row_and_byte_limits() {
    let data = b"Name\nA\nB\nC\nD\nE\n";
    let p = plan(data, 1000, Some(2), 3).unwrap();
    assert_eq!(
        p.parts.iter().map(|p| p.rows).collect::<Vec<_>>(),
        [2, 2, 1]
    );
    assert_eq!(
        p.parts[0],
        Part {
            start: 5,
            end: 9,
            rows: 2
        }
    );
    // 5 header bytes + 2 per row: at most 4 rows in 13 bytes.
    let p = plan(data, 13, None, 2).unwrap();
    assert_eq!(p.parts.iter().map(|p| p.rows).collect::<Vec<_>>(), [4, 1]);
    // Exactly at the limit fits.
    let p = plan(data, 15, None, 2).unwrap();
    assert_eq!(p.parts.len(), 1);
}

#[test]
fn bom_crlf_semicolon_and_no_final_newline() {
    let data = b"\xEF\xBB\xBFName;Note\r\nA;\"1\r\n2\"\r\nB;3";
    let p = plan(data, 1000, None, 2).unwrap();
    assert!(p.bom);
    assert_eq!(p.header_start, 3);
    assert_eq!(p.header, b"Name;Note\r\n");
    assert_eq!(p.delimiter, ColumnDelimiter::Semicolon);
    assert_eq!(p.line_ending, LineEnding::Crlf);
    assert_eq!(p.rows, 2);
    assert_eq!(
        p.parts,
        [Part {
            start: 14,
            end: data.len() as u64,
            rows: 2
        }]
    );
    assert_eq!(p.file_bytes, data.len() as u64);
}

#[test]
fn blank_lines_are_not_rows_and_never_make_a_part() {
    let data = b"Name\n\nA\n\n\nB\n\n\n";
    let p = plan(data, 1000, Some(1), 1).unwrap();
    assert_eq!(p.rows, 2);
    assert_eq!(p.parts.iter().map(|p| p.rows).collect::<Vec<_>>(), [1, 1]);
    check_plan(data, &p, 1000, Some(1));
}

#[test]
fn header_only_gives_one_empty_part() {
    for data in [&b"Name,Note\n"[..], b"Name,Note", b"Name\n\n\n"] {
        let p = plan(data, 1000, None, 4).unwrap();
        assert_eq!(p.rows, 0);
        assert_eq!(p.parts.len(), 1);
        assert!(p.parts[0].rows == 0);
    }
}

#[test]
fn refusals_are_clear() {
    let err = |data: &[u8], max_bytes: u64| plan(data, max_bytes, None, 3).unwrap_err().to_string();
    assert!(err(b"", 100).contains("empty"));
    assert!(err(b"\xEF\xBB\xBF", 100).contains("empty"));
    assert!(err(b"\nName\n", 100).contains("blank"));
    let e = err(b"Name\nshort\nthis one is long\n", 16);
    assert!(
        e.contains("line 3") && e.contains("byte 11") && e.contains("22 bytes"),
        "{e}"
    );
    let e = err(b"Name\nA\n\"open\nB\nC\n", 100);
    assert!(e.contains("starts on line 3 is never closed"), "{e}");
    let e = err(b"Name,X\n\"a\"b,c\n", 100);
    assert!(e.contains("closing quote on line 2"), "{e}");
    let e = err(b"Name\r\nA\r\nB\nC\r\n", 100);
    assert!(
        e.contains("line 3 ends in LF but the header line ends in CRLF"),
        "{e}"
    );
    let e = err(b"Name\nA\nB\r\nC\n", 100);
    assert!(e.contains("line 3 ends in CRLF"), "{e}");
    let e = err(b"Name\nA\rB\n", 100);
    assert!(e.contains("line 2 ends in CR"), "{e}");
    let e = plan(b"Name\n", 0, None, 3).unwrap_err().to_string();
    assert!(e.contains("above 0"), "{e}");
    // A quoted CRLF inside an LF file is data, not a line ending.
    assert_eq!(plan(b"Name\n\"a\r\nb\"\n", 100, None, 1).unwrap().rows, 1);
}

#[test]
fn detects_the_six_delimiters_and_both_line_endings() {
    let cases: [(&[u8], ColumnDelimiter); 6] = [
        (b"Name,Description\n", ColumnDelimiter::Comma),
        (b"Name;\"A,B\";C\n", ColumnDelimiter::Semicolon),
        (b"Name\tDescription\n", ColumnDelimiter::Tab),
        (b"Name|Description|X\n", ColumnDelimiter::Pipe),
        (b"Name^Description\n", ColumnDelimiter::Caret),
        (b"Name`Description\n", ColumnDelimiter::Backquote),
    ];
    for (line, expected) in cases {
        assert_eq!(detect_dialect(line), (expected, LineEnding::Lf));
    }
    assert_eq!(
        detect_dialect(b"Name\r\n"),
        (ColumnDelimiter::Comma, LineEnding::Crlf)
    );
    assert_eq!(
        detect_dialect(b"\"a|b\",c\r\n"),
        (ColumnDelimiter::Comma, LineEnding::Crlf)
    );
}

#[test]
fn scanner_stops_when_asked_and_reports_lines() {
    let mut scanner = Scanner::new(b',', 0);
    let mut seen = Vec::new();
    let more = scanner
        .feed(b"\"a\nb\",c\nd\ne\n", |r| {
            seen.push(r);
            Ok(false)
        })
        .unwrap();
    assert!(!more);
    assert_eq!(seen.len(), 1);
    assert_eq!(
        (seen[0].start, seen[0].end, seen[0].line, seen[0].end_line),
        (0, 8, 1, 2)
    );
}
