//! `recordTypes/<Name>.recordType-meta.xml` (`RecordType`): a record type of an object and the picklist
//! values it offers (their names URL-encoded in source format: `Food %26 Beverage`).

use super::field::{Problem, flag, problem};
use super::xml::{Element, Position};

/// A record type as its file declares it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct RecordTypeDecl {
    pub developer_name: String,
    pub label: String,
    pub active: bool,
    pub description: Option<String>,
    pub picklists: Vec<RecordTypePicklist>,
}

/// One `picklistValues` block: the values `picklist` offers under the record type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct RecordTypePicklist {
    pub picklist: String,
    pub position: Position,
    /// Each value's name and whether it is this record type's default.
    pub values: Vec<(String, bool)>,
}

pub(super) fn parse(root: &Element, developer_name: &str) -> Result<RecordTypeDecl, Problem> {
    let Some(active) = flag(root, "active")? else {
        return Err(problem(root, "a record type needs <active>"));
    };
    let mut picklists = Vec::new();
    for block in root.all("picklistValues") {
        let Some(picklist) = block.text_of("picklist") else {
            return Err(problem(block, "<picklistValues> without <picklist>"));
        };
        let mut values = Vec::new();
        for value in block.all("values") {
            let Some(name) = value.text_of("fullName") else {
                return Err(problem(value, "<values> without <fullName>"));
            };
            values.push((
                percent_decode(name),
                flag(value, "default")?.unwrap_or(false),
            ));
        }
        picklists.push(RecordTypePicklist {
            picklist: picklist.to_owned(),
            position: block.position,
            values,
        });
    }
    Ok(RecordTypeDecl {
        developer_name: developer_name.to_owned(),
        label: root.text_of("label").unwrap_or(developer_name).to_owned(),
        active,
        description: root.text_of("description").map(str::to_owned),
        picklists,
    })
}

/// Decodes `%XX` escapes (source format URL-encodes picklist value names); anything else is kept as is.
pub(super) fn percent_decode(text: &str) -> String {
    if !text.contains('%') {
        return text.to_owned();
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%'
            && let (Some(h), Some(l)) = (
                bytes.get(i + 1).copied().and_then(hex),
                bytes.get(i + 2).copied().and_then(hex),
            )
        {
            out.push(u8::try_from(h * 16 + l).unwrap_or(b'?'));
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap_or_else(|_| text.to_owned())
}
