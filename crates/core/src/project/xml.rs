//! A small element tree over quick-xml, just enough for the metadata files: element names (namespace
//! prefixes dropped), their text (entities decoded, CDATA kept), their children, and where each piece of
//! text sits in the file, so that an error inside a formula can name the file's line and column.

use quick_xml::Reader;
use quick_xml::events::Event;

/// Where in a file: 1-based line and column (columns count characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Position {
    pub line: u32,
    pub column: u32,
}

impl Position {
    /// The position of byte `offset` of `source` (clamped to its length and to a character boundary).
    pub fn of_offset(source: &str, offset: usize) -> Position {
        let mut offset = offset.min(source.len());
        while !source.is_char_boundary(offset) {
            offset -= 1;
        }
        let before = &source[..offset];
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        Position {
            line: to_u32(before.matches('\n').count() + 1),
            column: to_u32(before[line_start..].chars().count() + 1),
        }
    }
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Malformed XML: what and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XmlError {
    pub position: Position,
    pub message: String,
}

/// One run of an element's text in the file: `raw` bytes `start..end` of the source, decoded to `text`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Piece {
    start: usize,
    end: usize,
    cdata: bool,
}

/// One element: its local name, where its start tag is, its text (direct text only) and children.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Element {
    pub name: String,
    pub position: Position,
    pub text: String,
    pub children: Vec<Element>,
    pieces: Vec<Piece>,
}

impl Element {
    /// The first child named `name`.
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    /// Every child named `name`, in file order.
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// The trimmed text of the first child named `name`, when present and not empty.
    pub fn text_of(&self, name: &str) -> Option<&str> {
        self.child(name)
            .map(|c| c.text.trim())
            .filter(|t| !t.is_empty())
    }

    /// The file position of every character of this element's text, in order (entities count as the
    /// one character they decode to, at the position of their `&`).
    pub fn text_positions(&self, source: &str) -> Vec<Position> {
        let mut positions = Vec::with_capacity(self.text.len());
        for piece in &self.pieces {
            let Some(raw) = source.get(piece.start..piece.end) else {
                continue;
            };
            let mut at = Position::of_offset(source, piece.start);
            let mut chars = raw.chars().peekable();
            while let Some(c) = chars.next() {
                positions.push(at);
                let mut consumed = vec![c];
                if c == '&' && !piece.cdata {
                    while let Some(&next) = chars.peek() {
                        consumed.push(next);
                        chars.next();
                        if next == ';' {
                            break;
                        }
                    }
                }
                for c in consumed {
                    if c == '\n' {
                        at.line += 1;
                        at.column = 1;
                    } else {
                        at.column += 1;
                    }
                }
            }
        }
        positions
    }
}

/// Parses `source` into its root element, or says where it is malformed.
pub fn parse(source: &str) -> Result<Element, XmlError> {
    let mut reader = Reader::from_str(source);
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    let at = |offset: u64| Position::of_offset(source, usize::try_from(offset).unwrap_or(0));
    loop {
        let before = usize::try_from(reader.buffer_position()).unwrap_or(0);
        let event = reader.read_event().map_err(|e| XmlError {
            position: at(reader.error_position()),
            message: e.to_string(),
        })?;
        let after = usize::try_from(reader.buffer_position()).unwrap_or(0);
        match event {
            Event::Start(ref start) | Event::Empty(ref start) => {
                let empty = matches!(event, Event::Empty(_));
                let element = Element {
                    name: String::from_utf8_lossy(start.local_name().as_ref()).into_owned(),
                    position: Position::of_offset(source, before),
                    ..Element::default()
                };
                if root.is_some() && stack.is_empty() {
                    return Err(XmlError {
                        position: element.position,
                        message: "a second root element".into(),
                    });
                }
                stack.push(element);
                if empty {
                    close(&mut stack, &mut root);
                }
            }
            Event::End(_) => close(&mut stack, &mut root),
            Event::Text(text) => {
                let decoded = text.unescape().map_err(|e| XmlError {
                    position: Position::of_offset(source, before),
                    message: e.to_string(),
                })?;
                match stack.last_mut() {
                    Some(current) => {
                        current.text.push_str(&decoded);
                        current.pieces.push(Piece {
                            start: before,
                            end: after,
                            cdata: false,
                        });
                    }
                    None if decoded.trim().is_empty() => {}
                    None => {
                        return Err(XmlError {
                            position: Position::of_offset(source, before),
                            message: "text outside the root element".into(),
                        });
                    }
                }
            }
            Event::CData(data) => {
                let Some(current) = stack.last_mut() else {
                    return Err(XmlError {
                        position: Position::of_offset(source, before),
                        message: "CDATA outside the root element".into(),
                    });
                };
                current.text.push_str(&String::from_utf8_lossy(&data));
                current.pieces.push(Piece {
                    start: before + "<![CDATA[".len(),
                    end: after.saturating_sub("]]>".len()),
                    cdata: true,
                });
            }
            Event::Eof => break,
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) | Event::DocType(_) => {}
        }
    }
    if let Some(open) = stack.last() {
        return Err(XmlError {
            position: Position::of_offset(source, source.len()),
            message: format!("the file ends before <{}> is closed", open.name),
        });
    }
    root.ok_or_else(|| XmlError {
        position: Position::of_offset(source, source.len()),
        message: "no root element".into(),
    })
}

/// Ends the innermost open element: it becomes its parent's child, or the root.
fn close(stack: &mut Vec<Element>, root: &mut Option<Element>) {
    let Some(done) = stack.pop() else { return };
    match stack.last_mut() {
        Some(parent) => parent.children.push(done),
        None => *root = Some(done),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_elements_text_and_positions() {
        let source = "<?xml version=\"1.0\"?>\n<A xmlns=\"x\">\n  <b>1 &lt; 2</b>\n  <c/>\n  <d><![CDATA[x<y]]></d>\n</A>\n";
        let root = parse(source).unwrap();
        assert_eq!(root.name, "A");
        assert_eq!(root.text_of("b"), Some("1 < 2"));
        assert!(root.child("c").is_some());
        assert_eq!(root.text_of("d"), Some("x<y"));
        let b = root.child("b").unwrap();
        let positions = b.text_positions(source);
        assert_eq!(positions.len(), 5);
        assert_eq!(positions[0], Position { line: 3, column: 6 });
        assert_eq!(positions[2], Position { line: 3, column: 8 });
        assert_eq!(
            positions[3],
            Position {
                line: 3,
                column: 12
            }
        );
        let d = root.child("d").unwrap().text_positions(source);
        assert_eq!(
            d[1],
            Position {
                line: 5,
                column: 16
            }
        );
    }

    #[test]
    fn malformed_xml_names_its_line_and_column() {
        let error = parse("<A>\n  <b>x</c>\n</A>").unwrap_err();
        assert_eq!(error.position.line, 2);
        assert!(error.message.contains('c'), "{}", error.message);
        let error = parse("<A>\n  <b>x</b>\n").unwrap_err();
        assert!(error.message.contains("<A>"), "{}", error.message);
        let error = parse("<A>&bogus;</A>").unwrap_err();
        assert_eq!(error.position, Position { line: 1, column: 4 });
        assert!(parse("").is_err());
    }
}
