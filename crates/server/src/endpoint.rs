//! Request paths parsed into endpoints, with the URL quirks real clients depend on: repeated slashes
//! collapsed, trailing slashes ignored, result segments matched case-insensitively.

use bulkforce_core::ApiError;
use bulkforce_core::job::{ApiVersion, JobKind, MAX_VERSION, MIN_INGEST_VERSION};

/// The three ingest result files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResultFile {
    Successful,
    Failed,
    Unprocessed,
}

/// A recognised resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    /// `/services/data`: the version list (no authentication).
    Versions,
    /// `/services/data/vXX.X`: the resources of a version.
    VersionRoot(ApiVersion),
    /// `/services/data/vXX.X/jobs/{ingest|query}`.
    Jobs(ApiVersion, JobKind),
    /// `/services/data/vXX.X/jobs/{ingest|query}/{id}`.
    Job(ApiVersion, JobKind, String),
    /// `/services/data/vXX.X/jobs/ingest/{id}/batches`.
    Batches(ApiVersion, String),
    /// `/services/data/vXX.X/jobs/ingest/{id}/{successfulResults|failedResults|unprocessedrecords}`.
    IngestResults(ApiVersion, String, ResultFile),
}

/// Oldest version still served; older ones are retired (410).
pub const MIN_VERSION: u16 = 31;

impl Endpoint {
    /// Parses a request path (without query string).
    pub fn parse(path: &str) -> Result<Endpoint, ApiError> {
        let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        let rest = match segments.as_slice() {
            ["services", "data"] => return Ok(Endpoint::Versions),
            ["services", "data", version, rest @ ..] => {
                let version = ApiVersion::parse(version).ok_or_else(ApiError::not_found)?;
                if version.0 < MIN_VERSION {
                    return Err(ApiError::new(
                        410,
                        "GONE",
                        format!("API version {version} has been retired"),
                    ));
                }
                if version.0 > MAX_VERSION {
                    return Err(ApiError::not_found());
                }
                (version, rest)
            }
            _ => return Err(ApiError::not_found()),
        };
        let (version, rest) = rest;
        let endpoint = match rest {
            [] => Endpoint::VersionRoot(version),
            ["jobs", kind, tail @ ..] => {
                let kind = match *kind {
                    "ingest" => JobKind::Ingest,
                    _ => return Err(ApiError::not_found()),
                };
                if version.0 < MIN_INGEST_VERSION {
                    return Err(ApiError::not_found());
                }
                match tail {
                    [] => Endpoint::Jobs(version, kind),
                    [id] => Endpoint::Job(version, kind, (*id).to_owned()),
                    [id, "batches"] => Endpoint::Batches(version, (*id).to_owned()),
                    [id, file] => {
                        let file = match file.to_ascii_lowercase().as_str() {
                            "successfulresults" => ResultFile::Successful,
                            "failedresults" => ResultFile::Failed,
                            "unprocessedrecords" => ResultFile::Unprocessed,
                            _ => return Err(ApiError::not_found()),
                        };
                        Endpoint::IngestResults(version, (*id).to_owned(), file)
                    }
                    _ => return Err(ApiError::not_found()),
                }
            }
            _ => return Err(ApiError::not_found()),
        };
        Ok(endpoint)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tolerates_client_url_quirks() {
        let id = "7505b0000000001AAA".to_owned();
        assert_eq!(
            Endpoint::parse("/services/data/").unwrap(),
            Endpoint::Versions
        );
        assert_eq!(
            Endpoint::parse("/services/data/v62.0/jobs/ingest//").unwrap(),
            Endpoint::Jobs(ApiVersion(62), JobKind::Ingest)
        );
        assert_eq!(
            Endpoint::parse(&format!("/services/data/v62.0/jobs/ingest/{id}/batches/")).unwrap(),
            Endpoint::Batches(ApiVersion(62), id.clone())
        );
        assert_eq!(
            Endpoint::parse(&format!(
                "/services/data/v59.0/jobs/ingest/{id}/unprocessedRecords"
            ))
            .unwrap(),
            Endpoint::IngestResults(ApiVersion(59), id.clone(), ResultFile::Unprocessed)
        );
        assert_eq!(
            Endpoint::parse(&format!(
                "//services//data/v50.0/jobs/ingest/{id}/SUCCESSFULRESULTS"
            ))
            .unwrap(),
            Endpoint::IngestResults(ApiVersion(50), id, ResultFile::Successful)
        );
        assert_eq!(
            Endpoint::parse("/services/data/v40.0/jobs/ingest")
                .unwrap_err()
                .status,
            404
        );
        assert_eq!(
            Endpoint::parse("/services/data/v20.0").unwrap_err().status,
            410
        );
        assert_eq!(
            Endpoint::parse("/services/data/v99.0").unwrap_err().status,
            404
        );
        assert_eq!(Endpoint::parse("/nope").unwrap_err().status, 404);
    }
}
