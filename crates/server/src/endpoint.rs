//! Request paths parsed into endpoints, with the URL quirks real clients depend on: repeated slashes
//! collapsed, trailing slashes ignored, result segments matched case-insensitively.

use bulkforce_core::ApiError;
use bulkforce_core::job::{
    ApiVersion, JobKind, MAX_VERSION, MIN_INGEST_VERSION, MIN_QUERY_VERSION,
};

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
    /// `/services/data/vXX.X/jobs/query/{id}/results`.
    QueryResults(ApiVersion, String),
    /// `/services/data/vXX.X/jobs/query/{id}/resultPages` (API 58.0 and later).
    ResultPages(ApiVersion, String),
    /// `/services/data/vXX.X/query` or `/queryAll`, optionally followed by a cursor (`01g…-2000`).
    RestQuery {
        version: ApiVersion,
        all_rows: bool,
        cursor: Option<String>,
    },
    /// `/services/data/vXX.X/sobjects`.
    SObjects(ApiVersion),
    /// `/services/data/vXX.X/sobjects/{name}`.
    SObject(ApiVersion, String),
    /// `/services/data/vXX.X/sobjects/{name}/describe`.
    Describe(ApiVersion, String),
    /// `/services/data/vXX.X/sobjects/{name}/{id}`.
    Record(ApiVersion, String, String),
    /// `/services/data/vXX.X/limits`.
    Limits(ApiVersion),
    /// `/services/oauth2/token` (no bearer token: the grant authenticates).
    OAuthToken,
    /// `/services/oauth2/revoke`.
    OAuthRevoke,
    /// `/services/oauth2/userinfo`.
    UserInfo,
    /// `/id/{orgId}/{userId}`: the identity URL.
    Identity(String, String),
    /// `/services/Soap/u/XX.X` (partner) or `/services/Soap/c/XX.X` (enterprise): SOAP `login`.
    SoapLogin(char, String),
}

impl Endpoint {
    /// Endpoints that authenticate by their own means rather than a bearer token.
    pub fn is_public(&self) -> bool {
        matches!(
            self,
            Endpoint::Versions
                | Endpoint::OAuthToken
                | Endpoint::OAuthRevoke
                | Endpoint::SoapLogin(..)
        )
    }
}

/// The first version with `resultPages`.
pub const MIN_RESULT_PAGES_VERSION: u16 = 58;

/// Oldest version still served; older ones are retired (410).
pub const MIN_VERSION: u16 = 31;

impl Endpoint {
    /// Parses a request path (without query string).
    pub fn parse(path: &str) -> Result<Endpoint, ApiError> {
        let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        let rest = match segments.as_slice() {
            ["services", "data"] => return Ok(Endpoint::Versions),
            ["services", "oauth2", "token"] => return Ok(Endpoint::OAuthToken),
            ["services", "oauth2", "revoke"] => return Ok(Endpoint::OAuthRevoke),
            ["services", "oauth2", "userinfo"] => return Ok(Endpoint::UserInfo),
            ["id", org, user] => {
                return Ok(Endpoint::Identity((*org).to_owned(), (*user).to_owned()));
            }
            ["services", "Soap", api @ ("u" | "c"), version, ..] => {
                let version = ApiVersion::parse(version).ok_or_else(ApiError::not_found)?;
                return Ok(Endpoint::SoapLogin(
                    api.chars().next().unwrap_or('u'),
                    version.to_string(),
                ));
            }
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
            [resource, tail @ ..] if *resource == "query" || *resource == "queryAll" => {
                match tail {
                    [] => Endpoint::RestQuery {
                        version,
                        all_rows: *resource == "queryAll",
                        cursor: None,
                    },
                    [cursor] => Endpoint::RestQuery {
                        version,
                        all_rows: *resource == "queryAll",
                        cursor: Some((*cursor).to_owned()),
                    },
                    _ => return Err(ApiError::not_found()),
                }
            }
            ["limits"] => Endpoint::Limits(version),
            ["sobjects"] => Endpoint::SObjects(version),
            ["sobjects", name] => Endpoint::SObject(version, (*name).to_owned()),
            ["sobjects", name, "describe"] => Endpoint::Describe(version, (*name).to_owned()),
            ["sobjects", name, id] => {
                Endpoint::Record(version, (*name).to_owned(), (*id).to_owned())
            }
            ["jobs", kind, tail @ ..] => {
                let (kind, min_version) = match *kind {
                    "ingest" => (JobKind::Ingest, MIN_INGEST_VERSION),
                    "query" => (JobKind::Query, MIN_QUERY_VERSION),
                    _ => return Err(ApiError::not_found()),
                };
                if version.0 < min_version {
                    return Err(ApiError::not_found());
                }
                match (kind, tail) {
                    (_, []) => Endpoint::Jobs(version, kind),
                    (_, [id]) => Endpoint::Job(version, kind, (*id).to_owned()),
                    (JobKind::Query, [id, segment]) if segment.eq_ignore_ascii_case("results") => {
                        Endpoint::QueryResults(version, (*id).to_owned())
                    }
                    (JobKind::Query, [id, segment])
                        if segment.eq_ignore_ascii_case("resultPages") =>
                    {
                        if version.0 < MIN_RESULT_PAGES_VERSION {
                            return Err(ApiError::not_found());
                        }
                        Endpoint::ResultPages(version, (*id).to_owned())
                    }
                    (JobKind::Query, _) => return Err(ApiError::not_found()),
                    (JobKind::Ingest, [id, "batches"]) => {
                        Endpoint::Batches(version, (*id).to_owned())
                    }
                    (JobKind::Ingest, [id, file]) => {
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
        assert_eq!(
            Endpoint::parse("/services/data/v62.0/jobs/query//7505b0000000001AAA/results").unwrap(),
            Endpoint::QueryResults(ApiVersion(62), "7505b0000000001AAA".into())
        );
        assert_eq!(
            Endpoint::parse("/services/data/v46.0/jobs/query")
                .unwrap_err()
                .status,
            404
        );
        assert_eq!(
            Endpoint::parse("/services/data/v57.0/jobs/query/x/resultPages")
                .unwrap_err()
                .status,
            404
        );
    }
}
