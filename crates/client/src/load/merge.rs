//! Merges the parts' result files into one file per kind, in part order, with the header once: streamed
//! through a fixed buffer into a temp file renamed into place, so a reader never sees half a file.

use super::split::Scanner;
use crate::Result;
use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};

const BUFFER_BYTES: usize = 256 * 1024;

/// Merges `parts` (result files of one kind, each starting with its header record) into `out`. Returns the
/// number of bytes after the header: 0 means no row at all. With `keep_empty` false and no row, nothing is
/// written and an older `out` is removed.
pub(crate) fn merge(
    parts: &[PathBuf],
    out: &Path,
    delimiter: u8,
    line_ending: &[u8],
    keep_empty: bool,
) -> Result<u64> {
    let mut tmp_name = out.file_name().unwrap_or_default().to_owned();
    tmp_name.push(".part");
    let tmp = out.with_file_name(tmp_name);
    let mut writer = BufWriter::with_capacity(BUFFER_BYTES, File::create(&tmp)?);
    let mut wrote_header = false;
    let mut data_bytes = 0u64;
    let mut last_byte = None;
    let mut buf = vec![0u8; BUFFER_BYTES];
    for path in parts {
        let mut file = File::open(path)?;
        let mut scanner = Scanner::new(delimiter, 0);
        let mut header_done = false;
        // Offset of `buf[0]` in this part's file.
        let mut pos = 0u64;
        let mut separated = false;
        loop {
            let n = match file.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e.into()),
            };
            let chunk = &buf[..n];
            let mut body = chunk;
            if !header_done {
                let mut header_end = None;
                scanner.feed(chunk, |record| {
                    header_end = Some(record.end);
                    Ok(false)
                })?;
                let split = match header_end {
                    Some(end) => {
                        header_done = true;
                        (end - pos) as usize
                    }
                    None => n,
                };
                if !wrote_header && split > 0 {
                    writer.write_all(&chunk[..split])?;
                    last_byte = Some(chunk[split - 1]);
                }
                body = &chunk[split..];
            }
            pos += n as u64;
            if body.is_empty() {
                continue;
            }
            if !separated {
                // A part whose last line has no line ending must not glue onto the next one.
                if last_byte.is_some_and(|b| b != b'\n') {
                    writer.write_all(line_ending)?;
                }
                separated = true;
            }
            writer.write_all(body)?;
            data_bytes += body.len() as u64;
            last_byte = body.last().copied();
        }
        if pos > 0 {
            wrote_header = true;
        }
    }
    let file = writer
        .into_inner()
        .map_err(std::io::IntoInnerError::into_error)?;
    file.sync_all()?;
    drop(file);
    if data_bytes == 0 && !keep_empty {
        std::fs::remove_file(&tmp)?;
        match std::fs::remove_file(out) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e.into()),
            _ => {}
        }
        return Ok(0);
    }
    std::fs::rename(&tmp, out)?;
    Ok(data_bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(parts: &[&[u8]], keep_empty: bool) -> (Option<String>, u64) {
        let dir = tempfile::tempdir().unwrap();
        let paths: Vec<PathBuf> = parts
            .iter()
            .enumerate()
            .map(|(i, bytes)| {
                let path = dir.path().join(format!("{i}.csv"));
                std::fs::write(&path, bytes).unwrap();
                path
            })
            .collect();
        let out = dir.path().join("out.csv");
        let n = merge(&paths, &out, b',', b"\n", keep_empty).unwrap();
        (std::fs::read_to_string(&out).ok(), n)
    }

    #[test]
    fn header_once_parts_in_order_missing_final_newlines_repaired() {
        let (text, n) = run(
            &[
                b"\"sf__Id\",\"H\nX\"\n\"1\",\"a\nb\"\n",
                b"\"sf__Id\",\"H\nX\"\n",
                b"\"sf__Id\",\"H\nX\"\n\"2\",\"c\"",
                b"\"sf__Id\",\"H\nX\"\n\"3\",\"d\"\n",
            ],
            true,
        );
        assert_eq!(
            text.unwrap(),
            "\"sf__Id\",\"H\nX\"\n\"1\",\"a\nb\"\n\"2\",\"c\"\n\"3\",\"d\"\n"
        );
        assert_eq!(n, 25);
    }

    #[test]
    fn headers_only_make_no_file_unless_kept() {
        assert_eq!(run(&[b"Name\n", b"Name\n"], false), (None, 0));
        assert_eq!(
            run(&[b"Name\n", b"Name\n"], true),
            (Some("Name\n".into()), 0)
        );
        assert_eq!(
            run(&[b"", b"Name\nA\n"], true),
            (Some("Name\nA\n".into()), 2)
        );
    }
}
