//! What a load is asked to do: the file, the sObject and operation, where its journal and results go
//! ([`LoadSpec`]), and how a run goes about it ([`RunOptions`]).

use super::journal::ResultFiles;
use super::split::SplitOptions;
use crate::{Operation, PollOptions};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// What to load, and where its journal and results go.
///
/// ```
/// use bulkforce_client::Operation;
/// use bulkforce_client::load::LoadSpec;
/// use bulkforce_client::load::split::SplitOptions;
/// let spec = LoadSpec::new("data/accounts.csv", "Account", Operation::Upsert)
///     .external_id("External_Id__c")
///     .split(SplitOptions { max_bytes: 50_000_000, max_rows: None })
///     .results_dir("out");
/// assert_eq!(spec.journal, std::path::Path::new("out/accounts.journal.json"));
/// assert_eq!(spec.results.failed, std::path::Path::new("out/accounts-failed.csv"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadSpec {
    /// The CSV file.
    pub file: PathBuf,
    /// The sObject.
    pub object: String,
    /// One of the five ingest operations.
    pub operation: Operation,
    /// The field upserts match on.
    pub external_id: Option<String>,
    /// How large a part may be.
    pub split: SplitOptions,
    /// The journal file.
    pub journal: PathBuf,
    /// Where results go.
    pub results: ResultFiles,
}

impl LoadSpec {
    /// A load of `file` into `object`, with the default limits, its journal and results beside the file
    /// (`<stem>.journal.json`, `<stem>-success.csv`, …).
    ///
    /// ```
    /// # use bulkforce_client::{Operation, load::LoadSpec};
    /// let spec = LoadSpec::new("a.csv", "Contact", Operation::Insert);
    /// assert_eq!(spec.journal, std::path::Path::new("a.journal.json"));
    /// ```
    pub fn new(
        file: impl Into<PathBuf>,
        object: impl Into<String>,
        operation: Operation,
    ) -> LoadSpec {
        let file = file.into();
        let dir = file.parent().map(Path::to_path_buf).unwrap_or_default();
        let stem = stem(&file);
        LoadSpec {
            journal: dir.join(format!("{stem}.journal.json")),
            results: ResultFiles::in_dir(&dir, &stem),
            file,
            object: object.into(),
            operation,
            external_id: None,
            split: SplitOptions::default(),
        }
    }

    /// Sets the upsert key.
    ///
    /// ```
    /// # use bulkforce_client::{Operation, load::LoadSpec};
    /// let spec = LoadSpec::new("a.csv", "Account", Operation::Upsert).external_id("Id");
    /// assert_eq!(spec.external_id.as_deref(), Some("Id"));
    /// ```
    pub fn external_id(mut self, field: impl Into<String>) -> LoadSpec {
        self.external_id = Some(field.into());
        self
    }

    /// Sets the part limits.
    ///
    /// ```
    /// # use bulkforce_client::{Operation, load::{LoadSpec, split::SplitOptions}};
    /// let spec = LoadSpec::new("a.csv", "Account", Operation::Insert)
    ///     .split(SplitOptions { max_bytes: 1 << 20, max_rows: Some(1000) });
    /// assert_eq!(spec.split.max_rows, Some(1000));
    /// ```
    pub fn split(mut self, split: SplitOptions) -> LoadSpec {
        self.split = split;
        self
    }

    /// Puts the result files and the journal in `dir` instead of beside the input.
    ///
    /// ```
    /// # use bulkforce_client::{Operation, load::LoadSpec};
    /// let spec = LoadSpec::new("in/a.csv", "Account", Operation::Insert).results_dir("out");
    /// assert_eq!(spec.results.success, std::path::Path::new("out/a-success.csv"));
    /// ```
    pub fn results_dir(mut self, dir: impl AsRef<Path>) -> LoadSpec {
        let stem = stem(&self.file);
        self.results = ResultFiles::in_dir(dir.as_ref(), &stem);
        self.journal = dir.as_ref().join(format!("{stem}.journal.json"));
        self
    }

    /// Puts the journal at `path`.
    ///
    /// ```
    /// # use bulkforce_client::{Operation, load::LoadSpec};
    /// let spec = LoadSpec::new("a.csv", "Account", Operation::Insert).journal("/tmp/a.json");
    /// assert_eq!(spec.journal, std::path::Path::new("/tmp/a.json"));
    /// ```
    pub fn journal(mut self, path: impl Into<PathBuf>) -> LoadSpec {
        self.journal = path.into();
        self
    }
}

fn stem(file: &Path) -> String {
    file.file_stem().map_or_else(
        || "results".to_owned(),
        |s| s.to_string_lossy().into_owned(),
    )
}

/// How a load runs.
///
/// ```
/// use bulkforce_client::load::RunOptions;
/// use std::time::Duration;
/// let options = RunOptions { parallel: 8, timeout: Duration::from_secs(600), ..RunOptions::default() };
/// assert_eq!(RunOptions::default().parallel, 4);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunOptions {
    /// Parts in flight at once (each is one job from its creation to its results).
    pub parallel: usize,
    /// How long this run may take; past it, the run stops as on
    /// [`CancellationToken::cancel`](super::CancellationToken::cancel) and the closed jobs keep running on the
    /// server.
    pub timeout: Duration,
    /// How each job is polled (its `timeout` is not used: `timeout` above is the deadline).
    pub poll: PollOptions,
}

impl Default for RunOptions {
    /// 4 parts at once, one hour, the default polling intervals.
    fn default() -> Self {
        RunOptions {
            parallel: 4,
            timeout: Duration::from_secs(3600),
            poll: PollOptions::default(),
        }
    }
}
