//! `/services/data` and `/services/data/vXX.X`: what clients read to pick a version and find resources.

use crate::wire;
use axum::http::{Method, StatusCode};
use axum::response::Response;
use bulkforce_core::job::{ApiVersion, MAX_VERSION, MIN_INGEST_VERSION};
use serde_json::{Value, json};

/// Salesforce's release name of a version: three releases a year, v20.0 was Winter '11.
fn release_label(version: u16) -> String {
    let steps = i32::from(version) - 20;
    let season = ["Winter", "Spring", "Summer"][steps.rem_euclid(3) as usize];
    let year = 11 + steps.div_euclid(3);
    format!("{season} '{year:02}")
}

/// The version list (those with Bulk API 2.0 ingest: 41.0 and later); no authentication needed. Older
/// versions still answer the REST resources.
pub fn versions(method: &Method) -> Response {
    if method != Method::GET && method != Method::HEAD {
        return wire::error(&wire::not_allowed(method, &["GET", "HEAD"]));
    }
    let list: Vec<Value> = (MIN_INGEST_VERSION..=MAX_VERSION)
        .map(|v| {
            json!({
                "label": release_label(v),
                "url": format!("/services/data/v{v}.0"),
                "version": format!("{v}.0"),
            })
        })
        .collect();
    wire::json(StatusCode::OK, &Value::Array(list))
}

/// The resources of one version.
pub fn version_root(version: ApiVersion) -> Response {
    let base = format!("/services/data/v{version}");
    let mut resources = serde_json::Map::new();
    for name in ["jobs", "query", "queryAll", "sobjects"] {
        resources.insert(name.to_owned(), json!(format!("{base}/{name}")));
    }
    wire::json(StatusCode::OK, &Value::Object(resources))
}

#[cfg(test)]
mod tests {
    use super::release_label;

    #[test]
    fn labels_match_salesforce_releases() {
        assert_eq!(release_label(31), "Summer '14");
        assert_eq!(release_label(41), "Winter '18");
        assert_eq!(release_label(52), "Summer '21");
        assert_eq!(release_label(62), "Winter '25");
        assert_eq!(release_label(66), "Spring '26");
    }
}
