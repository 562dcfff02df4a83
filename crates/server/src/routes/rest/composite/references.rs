//! `@{referenceId.path}` references between composite subrequests: parsed, resolved against the bodies of
//! earlier subrequests, and spliced into a later subrequest's URL and body.
//!
//! A path selects JSON members with `.name` and array elements with `[n]`, recursively
//! (`@{acc.id}`, `@{q.records[0].Id}`, `@{info.BillingAddress.city}`), case-sensitively as Salesforce does
//! (a create answers `id`, so `@{acc.Id}` does not resolve).

use bulkforce_core::ApiError;
use serde_json::Value as Json;
use std::collections::HashMap;

/// From this version a reference to a field whose value is `null` resolves (to nothing); before, it failed.
const NULL_REFERENCE_VERSION: u16 = 52;

/// The answers of the subrequests run so far, by reference id: the body of each one that succeeded;
/// a failed, halted or rolled-back one is absent, so nothing can refer to it.
#[derive(Default)]
pub(super) struct Resolved {
    bodies: HashMap<String, Json>,
}

/// A reference that does not resolve: the subrequest holding it is not run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Unresolved {
    /// The whole expression between `@{` and `}`.
    pub expression: String,
    /// The reference id it starts with.
    pub reference_id: String,
}

impl Unresolved {
    /// 400 `PROCESSING_HALTED` with the text of a real org's answer (CumulusCI's recorded fixture).
    pub fn to_api_error(&self) -> ApiError {
        ApiError::new(
            400,
            "PROCESSING_HALTED",
            format!(
                "Invalid reference specified. No value for {} found in {}",
                self.expression, self.reference_id
            ),
        )
    }
}

/// One step of a reference path.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    Member(String),
    Index(usize),
}

impl Resolved {
    /// Remembers a succeeded subrequest's body for later references.
    pub fn insert(&mut self, reference_id: &str, body: &Json) {
        self.bodies.insert(reference_id.to_owned(), body.clone());
    }

    /// `text` with every reference replaced by the text of its value (a URL, or a string inside a body).
    pub fn splice(&self, text: &str, version: u16) -> Result<String, Unresolved> {
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(start) = rest.find("@{") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let Some(end) = after.find('}') else {
                // `@{` without its `}` is text, not a reference.
                out.push_str(&rest[start..]);
                return Ok(out);
            };
            let value = self.value(&after[..end], version)?;
            out.push_str(&scalar_text(&value));
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        Ok(out)
    }

    /// A body with its references resolved: a string that is exactly one reference becomes the referenced
    /// value itself (a number stays a number, `null` clears the field), references inside longer strings are
    /// spliced in as text. Keys are never references.
    pub fn substitute(&self, body: &Json, version: u16) -> Result<Json, Unresolved> {
        Ok(match body {
            Json::String(text) => match whole_reference(text) {
                Some(expression) => self.value(expression, version)?,
                None => Json::String(self.splice(text, version)?),
            },
            Json::Array(items) => Json::Array(
                items
                    .iter()
                    .map(|item| self.substitute(item, version))
                    .collect::<Result<_, _>>()?,
            ),
            Json::Object(members) => Json::Object(
                members
                    .iter()
                    .map(|(key, value)| Ok((key.clone(), self.substitute(value, version)?)))
                    .collect::<Result<_, _>>()?,
            ),
            other => other.clone(),
        })
    }

    /// The scalar value an expression (`refId.path`) selects.
    fn value(&self, expression: &str, version: u16) -> Result<Json, Unresolved> {
        let (reference_id, path) = parse(expression);
        let unresolved = || Unresolved {
            expression: expression.to_owned(),
            reference_id: reference_id.to_owned(),
        };
        let steps = path.ok_or_else(unresolved)?;
        let mut value = self.bodies.get(reference_id).ok_or_else(unresolved)?;
        for step in &steps {
            value = match (step, value) {
                (Step::Member(name), Json::Object(members)) => members.get(name),
                (Step::Index(i), Json::Array(items)) => items.get(*i),
                _ => None,
            }
            .ok_or_else(unresolved)?;
        }
        match value {
            Json::Object(_) | Json::Array(_) => Err(unresolved()),
            Json::Null if version < NULL_REFERENCE_VERSION || steps.is_empty() => Err(unresolved()),
            scalar => Ok(scalar.clone()),
        }
    }
}

/// The expression of a string that is one reference and nothing else.
fn whole_reference(text: &str) -> Option<&str> {
    let inner = text.strip_prefix("@{")?.strip_suffix('}')?;
    (!inner.contains('}')).then_some(inner)
}

/// How a referenced scalar reads inside a longer string (`null` as nothing).
fn scalar_text(value: &Json) -> String {
    match value {
        Json::String(text) => text.clone(),
        Json::Null => String::new(),
        other => other.to_string(),
    }
}

/// Splits `refId.a[0].b` into the reference id and its steps (`None`: the path is not well formed).
fn parse(expression: &str) -> (&str, Option<Vec<Step>>) {
    let id_end = expression.find(['.', '[']).unwrap_or(expression.len());
    let (reference_id, mut rest) = expression.split_at(id_end);
    let mut steps = Vec::new();
    while !rest.is_empty() {
        let step = if let Some(member) = rest.strip_prefix('.') {
            let end = member.find(['.', '[']).unwrap_or(member.len());
            if end == 0 {
                return (reference_id, None);
            }
            rest = &member[end..];
            Step::Member(member[..end].to_owned())
        } else if let Some(index) = rest.strip_prefix('[') {
            let Some((digits, after)) = index.split_once(']') else {
                return (reference_id, None);
            };
            let Ok(i) = digits.parse::<usize>() else {
                return (reference_id, None);
            };
            rest = after;
            Step::Index(i)
        } else {
            return (reference_id, None);
        };
        steps.push(step);
    }
    (reference_id, Some(steps))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn resolved() -> Resolved {
        let mut r = Resolved::default();
        r.insert("acc", &json!({"id": "001000000000001AAA", "success": true}));
        r.insert(
            "q",
            &json!({"records": [{"Id": "003000000000001AAA", "N": 10.0, "Gone": null}]}),
        );
        r
    }

    #[test]
    fn splices_references_into_urls_and_strings() {
        let r = resolved();
        assert_eq!(
            r.splice(
                "/services/data/v62.0/sobjects/Account/@{acc.id}?fields=Name",
                62
            ),
            Ok("/services/data/v62.0/sobjects/Account/001000000000001AAA?fields=Name".to_owned())
        );
        assert_eq!(
            r.splice("@{q.records[0].Id}-@{q.records[0].N}", 62),
            Ok("003000000000001AAA-10.0".to_owned())
        );
        assert_eq!(
            r.splice("no ref @{ here", 62),
            Ok("no ref @{ here".to_owned())
        );
    }

    #[test]
    fn whole_string_references_keep_the_value_type() {
        let r = resolved();
        let body =
            json!({"AccountId": "@{acc.id}", "N": "@{q.records[0].N}", "x": ["a@{acc.success}"]});
        assert_eq!(
            r.substitute(&body, 62),
            Ok(json!({"AccountId": "001000000000001AAA", "N": 10.0, "x": ["atrue"]}))
        );
    }

    #[test]
    fn unresolvable_references_name_the_expression_and_the_reference() {
        let r = resolved();
        for (text, reference) in [
            ("@{acc.Id}", "acc"),
            ("@{nope.id}", "nope"),
            ("@{q.records[1].Id}", "q"),
            ("@{q.records}", "q"),
            ("@{q.records[x].Id}", "q"),
            ("@{acc}", "acc"),
        ] {
            let error = r.splice(text, 62).expect_err(text);
            assert_eq!(error.reference_id, reference);
            assert_eq!(error.expression, &text[2..text.len() - 1]);
        }
        let message = r
            .splice("@{acc.Id}", 62)
            .unwrap_err()
            .to_api_error()
            .message;
        assert_eq!(
            message,
            "Invalid reference specified. No value for acc.Id found in acc"
        );
    }

    #[test]
    fn null_values_resolve_from_version_52() {
        let r = resolved();
        assert_eq!(
            r.substitute(&json!("@{q.records[0].Gone}"), 52),
            Ok(Json::Null)
        );
        assert!(r.substitute(&json!("@{q.records[0].Gone}"), 51).is_err());
    }
}
