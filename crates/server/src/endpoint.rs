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
    Jobs { version: ApiVersion, kind: JobKind },
    /// `/services/data/vXX.X/jobs/{ingest|query}/{id}`.
    Job {
        version: ApiVersion,
        kind: JobKind,
        job_id: String,
    },
    /// `/services/data/vXX.X/jobs/ingest/{id}/batches`.
    Batches { version: ApiVersion, job_id: String },
    /// `/services/data/vXX.X/jobs/ingest/{id}/{successfulResults|failedResults|unprocessedrecords}`.
    IngestResults {
        version: ApiVersion,
        job_id: String,
        file: ResultFile,
    },
    /// `/services/data/vXX.X/jobs/query/{id}/results`.
    QueryResults { version: ApiVersion, job_id: String },
    /// `/services/data/vXX.X/jobs/query/{id}/resultPages` (API 58.0 and later).
    ResultPages { version: ApiVersion, job_id: String },
    /// `/services/data/vXX.X/query` or `/queryAll`, optionally followed by a cursor (`01g…-2000`).
    RestQuery {
        version: ApiVersion,
        all_rows: bool,
        cursor: Option<String>,
    },
    /// `/services/data/vXX.X/sobjects`.
    SObjects(ApiVersion),
    /// `/services/data/vXX.X/sobjects/{name}`.
    SObject { version: ApiVersion, object: String },
    /// `/services/data/vXX.X/sobjects/{name}/describe`.
    Describe { version: ApiVersion, object: String },
    /// `/services/data/vXX.X/sobjects/{name}/{id}`.
    Record {
        version: ApiVersion,
        object: String,
        record_id: String,
    },
    /// `/services/data/vXX.X/sobjects/{name}/{externalIdField}/{value}`: a record by external id (the value
    /// percent-decoded).
    RecordByExternalId {
        version: ApiVersion,
        object: String,
        field: String,
        value: String,
    },
    /// `/services/data/vXX.X/sobjects/{name}/updated` (`?start=…&end=…`).
    Updated { version: ApiVersion, object: String },
    /// `/services/data/vXX.X/sobjects/{name}/deleted` (`?start=…&end=…`).
    Deleted { version: ApiVersion, object: String },
    /// `/services/data/vXX.X/composite/sobjects`, `…/composite/sobjects/{name}` (retrieve) and
    /// `…/composite/sobjects/{name}/{externalIdField}` (upsert): sObject Collections.
    Collections {
        version: ApiVersion,
        object: Option<String>,
        field: Option<String>,
    },
    /// `/services/data/vXX.X/composite`.
    Composite(ApiVersion),
    /// `/services/data/vXX.X/composite/batch`.
    CompositeBatch(ApiVersion),
    /// `/services/data/vXX.X/composite/tree/{name}`.
    CompositeTree { version: ApiVersion, object: String },
    /// `/services/data/vXX.X/limits`.
    Limits(ApiVersion),
    /// `/services/oauth2/token` (no bearer token: the grant authenticates).
    OAuthToken,
    /// `/services/oauth2/revoke`.
    OAuthRevoke,
    /// `/services/oauth2/userinfo`.
    UserInfo,
    /// `/id/{orgId}/{userId}`: the identity URL.
    Identity { org_id: String, user_id: String },
    /// `/services/Soap/u/XX.X` (partner, `api` is `u`) or `/services/Soap/c/XX.X` (enterprise, `c`): SOAP
    /// `login`; `version` as written after the API letter, normalised (`62.0`).
    SoapLogin { api: char, version: String },
}

impl Endpoint {
    /// Endpoints that authenticate by their own means rather than a bearer token.
    pub fn is_public(&self) -> bool {
        matches!(
            self,
            Endpoint::Versions
                | Endpoint::OAuthToken
                | Endpoint::OAuthRevoke
                | Endpoint::SoapLogin { .. }
        )
    }
}

impl Endpoint {
    /// The endpoint's kind, a bounded set of names for metrics and logs (never the path, whose ids would
    /// make every job its own series).
    pub fn route(&self) -> &'static str {
        match self {
            Endpoint::Versions => "versions",
            Endpoint::VersionRoot(_) => "version_root",
            Endpoint::Jobs {
                kind: JobKind::Ingest,
                ..
            } => "ingest_jobs",
            Endpoint::Jobs {
                kind: JobKind::Query,
                ..
            } => "query_jobs",
            Endpoint::Job {
                kind: JobKind::Ingest,
                ..
            } => "ingest_job",
            Endpoint::Job {
                kind: JobKind::Query,
                ..
            } => "query_job",
            Endpoint::Batches { .. } => "ingest_batches",
            Endpoint::IngestResults { .. } => "ingest_results",
            Endpoint::QueryResults { .. } => "query_results",
            Endpoint::ResultPages { .. } => "query_result_pages",
            Endpoint::RestQuery { .. } => "rest_query",
            Endpoint::SObjects(_) => "sobjects",
            Endpoint::SObject { .. } => "sobject",
            Endpoint::Describe { .. } => "describe",
            Endpoint::Record { .. } => "record",
            Endpoint::RecordByExternalId { .. } => "record_by_external_id",
            Endpoint::Updated { .. } => "sobject_updated",
            Endpoint::Deleted { .. } => "sobject_deleted",
            Endpoint::Collections { .. } => "composite_sobjects",
            Endpoint::Composite(_) => "composite",
            Endpoint::CompositeBatch(_) => "composite_batch",
            Endpoint::CompositeTree { .. } => "composite_tree",
            Endpoint::Limits(_) => "limits",
            Endpoint::OAuthToken => "oauth_token",
            Endpoint::OAuthRevoke => "oauth_revoke",
            Endpoint::UserInfo => "userinfo",
            Endpoint::Identity { .. } => "identity",
            Endpoint::SoapLogin { .. } => "soap_login",
        }
    }

    /// The job id the path names, as written.
    pub fn job_id(&self) -> Option<&str> {
        match self {
            Endpoint::Job { job_id, .. }
            | Endpoint::Batches { job_id, .. }
            | Endpoint::IngestResults { job_id, .. }
            | Endpoint::QueryResults { job_id, .. }
            | Endpoint::ResultPages { job_id, .. } => Some(job_id),
            _ => None,
        }
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
        match segments.as_slice() {
            ["services", "data"] => Ok(Endpoint::Versions),
            ["services", "oauth2", "token"] => Ok(Endpoint::OAuthToken),
            ["services", "oauth2", "revoke"] => Ok(Endpoint::OAuthRevoke),
            ["services", "oauth2", "userinfo"] => Ok(Endpoint::UserInfo),
            ["id", org, user] => Ok(Endpoint::Identity {
                org_id: (*org).to_owned(),
                user_id: (*user).to_owned(),
            }),
            ["services", "Soap", api @ ("u" | "c"), version, ..] => {
                let version = ApiVersion::parse(version).ok_or_else(ApiError::not_found)?;
                Ok(Endpoint::SoapLogin {
                    api: if *api == "c" { 'c' } else { 'u' },
                    version: version.to_string(),
                })
            }
            ["services", "data", version, rest @ ..] => {
                parse_data_path(served_version(version)?, rest)
            }
            _ => Err(ApiError::not_found()),
        }
    }
}

/// The version of a `/services/data/vXX.X/…` path: 410 once retired, 404 past the newest.
fn served_version(text: &str) -> Result<ApiVersion, ApiError> {
    let version = ApiVersion::parse(text).ok_or_else(ApiError::not_found)?;
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
    Ok(version)
}

/// The segments after `/services/data/vXX.X`.
fn parse_data_path(version: ApiVersion, rest: &[&str]) -> Result<Endpoint, ApiError> {
    let endpoint = match rest {
        [] => Endpoint::VersionRoot(version),
        [resource @ ("query" | "queryAll"), tail @ ..] => {
            let cursor = match tail {
                [] => None,
                [cursor] => Some((*cursor).to_owned()),
                _ => return Err(ApiError::not_found()),
            };
            Endpoint::RestQuery {
                version,
                all_rows: *resource == "queryAll",
                cursor,
            }
        }
        ["limits"] => Endpoint::Limits(version),
        ["sobjects"] => Endpoint::SObjects(version),
        ["sobjects", name] => Endpoint::SObject {
            version,
            object: (*name).to_owned(),
        },
        ["sobjects", name, "describe"] => Endpoint::Describe {
            version,
            object: (*name).to_owned(),
        },
        ["sobjects", name, "updated"] => Endpoint::Updated {
            version,
            object: (*name).to_owned(),
        },
        ["sobjects", name, "deleted"] => Endpoint::Deleted {
            version,
            object: (*name).to_owned(),
        },
        ["sobjects", name, id] => Endpoint::Record {
            version,
            object: (*name).to_owned(),
            record_id: (*id).to_owned(),
        },
        ["sobjects", name, field, value] => Endpoint::RecordByExternalId {
            version,
            object: (*name).to_owned(),
            field: (*field).to_owned(),
            value: percent_decode(value)?,
        },
        ["composite"] => Endpoint::Composite(version),
        ["composite", "batch"] => Endpoint::CompositeBatch(version),
        ["composite", "tree", name] => Endpoint::CompositeTree {
            version,
            object: (*name).to_owned(),
        },
        ["composite", "sobjects", tail @ ..] => match tail {
            [] => Endpoint::Collections {
                version,
                object: None,
                field: None,
            },
            [name] => Endpoint::Collections {
                version,
                object: Some((*name).to_owned()),
                field: None,
            },
            [name, field] => Endpoint::Collections {
                version,
                object: Some((*name).to_owned()),
                field: Some((*field).to_owned()),
            },
            _ => return Err(ApiError::not_found()),
        },
        ["jobs", kind, tail @ ..] => return parse_jobs_path(version, kind, tail),
        _ => return Err(ApiError::not_found()),
    };
    Ok(endpoint)
}

/// A path segment percent-decoded (an external id value may hold any character); not UTF-8 → 404.
fn percent_decode(segment: &str) -> Result<String, ApiError> {
    percent_encoding::percent_decode_str(segment)
        .decode_utf8()
        .map(std::borrow::Cow::into_owned)
        .map_err(|_| ApiError::not_found())
}

/// The segments after `/services/data/vXX.X/jobs/`: the kind, then the job and its sub-resource.
fn parse_jobs_path(version: ApiVersion, kind: &str, tail: &[&str]) -> Result<Endpoint, ApiError> {
    let (kind, min_version) = match kind {
        "ingest" => (JobKind::Ingest, MIN_INGEST_VERSION),
        "query" => (JobKind::Query, MIN_QUERY_VERSION),
        _ => return Err(ApiError::not_found()),
    };
    if version.0 < min_version {
        return Err(ApiError::not_found());
    }
    let (id, segment) = match tail {
        [] => return Ok(Endpoint::Jobs { version, kind }),
        [id] => {
            return Ok(Endpoint::Job {
                version,
                kind,
                job_id: (*id).to_owned(),
            });
        }
        [id, segment] => ((*id).to_owned(), *segment),
        _ => return Err(ApiError::not_found()),
    };
    match kind {
        JobKind::Query => parse_query_job_resource(version, id, segment),
        JobKind::Ingest => parse_ingest_job_resource(version, id, segment),
    }
}

/// `results` or `resultPages` of a query job (either spelled in any case).
fn parse_query_job_resource(
    version: ApiVersion,
    job_id: String,
    segment: &str,
) -> Result<Endpoint, ApiError> {
    if segment.eq_ignore_ascii_case("results") {
        Ok(Endpoint::QueryResults { version, job_id })
    } else if segment.eq_ignore_ascii_case("resultPages") && version.0 >= MIN_RESULT_PAGES_VERSION {
        Ok(Endpoint::ResultPages { version, job_id })
    } else {
        Err(ApiError::not_found())
    }
}

/// `batches` (exactly) or one of the result files (in any case) of an ingest job.
fn parse_ingest_job_resource(
    version: ApiVersion,
    job_id: String,
    segment: &str,
) -> Result<Endpoint, ApiError> {
    if segment == "batches" {
        return Ok(Endpoint::Batches { version, job_id });
    }
    let file = match segment.to_ascii_lowercase().as_str() {
        "successfulresults" => ResultFile::Successful,
        "failedresults" => ResultFile::Failed,
        "unprocessedrecords" => ResultFile::Unprocessed,
        _ => return Err(ApiError::not_found()),
    };
    Ok(Endpoint::IngestResults {
        version,
        job_id,
        file,
    })
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
            Endpoint::Jobs {
                version: ApiVersion(62),
                kind: JobKind::Ingest
            }
        );
        assert_eq!(
            Endpoint::parse(&format!("/services/data/v62.0/jobs/ingest/{id}/batches/")).unwrap(),
            Endpoint::Batches {
                version: ApiVersion(62),
                job_id: id.clone()
            }
        );
        assert_eq!(
            Endpoint::parse(&format!(
                "/services/data/v59.0/jobs/ingest/{id}/unprocessedRecords"
            ))
            .unwrap(),
            Endpoint::IngestResults {
                version: ApiVersion(59),
                job_id: id.clone(),
                file: ResultFile::Unprocessed
            }
        );
        assert_eq!(
            Endpoint::parse(&format!(
                "//services//data/v50.0/jobs/ingest/{id}/SUCCESSFULRESULTS"
            ))
            .unwrap(),
            Endpoint::IngestResults {
                version: ApiVersion(50),
                job_id: id,
                file: ResultFile::Successful
            }
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
            Endpoint::QueryResults {
                version: ApiVersion(62),
                job_id: "7505b0000000001AAA".into()
            }
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

    #[test]
    fn rest_write_resources() {
        let v = ApiVersion(62);
        assert_eq!(
            Endpoint::parse("/services/data/v62.0/sobjects/Account/Ext__c/a%2Fb%20c").unwrap(),
            Endpoint::RecordByExternalId {
                version: v,
                object: "Account".into(),
                field: "Ext__c".into(),
                value: "a/b c".into()
            }
        );
        assert_eq!(
            Endpoint::parse("/services/data/v62.0/sobjects/Account/updated/").unwrap(),
            Endpoint::Updated {
                version: v,
                object: "Account".into()
            }
        );
        assert_eq!(
            Endpoint::parse("/services/data/v62.0/composite/sobjects/Account/Ext__c").unwrap(),
            Endpoint::Collections {
                version: v,
                object: Some("Account".into()),
                field: Some("Ext__c".into())
            }
        );
        assert_eq!(
            Endpoint::parse("/services/data/v62.0/composite/tree/Account").unwrap(),
            Endpoint::CompositeTree {
                version: v,
                object: "Account".into()
            }
        );
        assert_eq!(
            Endpoint::parse("/services/data/v62.0/composite/batch").unwrap(),
            Endpoint::CompositeBatch(v)
        );
    }
}
