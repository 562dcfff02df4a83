//! The multipart job create's part reading (`bulkforce_server::fuzzing::read_multipart_create`: our loop
//! over axum's `Multipart`, its size limit and its errors):
//! - never panics; every refusal is 400 `INVALIDJOB` with a message;
//! - a well-formed body (parts named `job` and `content`, any other parts around them, CRLF framing as
//!   curl and the Salesforce clients send it) gives back both parts byte for byte.
//!
//! Input: [mode (bit 0 clear: the rest is the body; set: bit 1 adds a part, bit 2 swaps the order), split
//! point] then the job part and the content part.
#![no_main]

use bulkforce_server::fuzzing::read_multipart_create;
use libfuzzer_sys::fuzz_target;

const BOUNDARY: &str = "bulkforceFuzzBoundary7MA4YWxkTrZu0gW";

fn part(out: &mut Vec<u8>, name: &str, content_type: &str, data: &[u8]) {
    out.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
    out.extend_from_slice(
        format!("Content-Disposition: form-data; name=\"{name}\"\r\nContent-Type: {content_type}\r\n\r\n")
            .as_bytes(),
    );
    out.extend_from_slice(data);
    out.extend_from_slice(b"\r\n");
}

fuzz_target!(|input: &[u8]| {
    let Some((&mode, rest)) = input.split_first() else {
        return;
    };
    let content_type = format!("multipart/form-data; boundary={BOUNDARY}");
    if mode & 1 == 0 {
        // Any body at all.
        if let Err(e) = read_multipart_create(&content_type, rest) {
            assert_eq!(
                (e.status, e.error_code.as_str()),
                (400, "INVALIDJOB"),
                "{e:?}"
            );
            assert!(e.message.starts_with("InvalidJob : "), "{e:?}");
        }
        return;
    }
    // A well-formed body: the rest split in two at a fuzzer-chosen point, as the job and the content.
    let Some((&split, rest)) = rest.split_first() else {
        return;
    };
    let at = usize::from(split).min(rest.len());
    let (job, content) = rest.split_at(at);
    let needle = format!("--{BOUNDARY}");
    if rest.windows(needle.len()).any(|w| w == needle.as_bytes()) {
        return;
    }
    let mut body = Vec::new();
    if mode & 2 == 2 {
        part(&mut body, "note", "text/plain", b"ignored");
    }
    let (first, second) = if mode & 4 == 4 {
        (
            ("content", "text/csv", content),
            ("job", "application/json", job),
        )
    } else {
        (
            ("job", "application/json", job),
            ("content", "text/csv", content),
        )
    };
    part(&mut body, first.0, first.1, first.2);
    part(&mut body, second.0, second.1, second.2);
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    let (read_job, read_content) =
        read_multipart_create(&content_type, &body).unwrap_or_else(|e| panic!("refused: {e:?}"));
    assert_eq!(read_job, job, "the job part");
    assert_eq!(read_content, content, "the content part");
});
