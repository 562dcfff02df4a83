//! Fault injection: rules that make this server misbehave on purpose, so that a pipeline's retry and
//! recovery code can be tested deterministically (`/_bulkforce/faults`, `serve --faults FILE`).
//!
//! - [`rule`] checks a posted rule (kinds `http`, `job`, `row`, `limit`) into what the server acts on;
//! - [`Faults`] (in `AppState.faults`) keeps the rules in the order they were added, with ids `f1`, `f2`, …
//!   (never reused), hit counts and what remains of `times`; the dispatcher, the ingest worker and the API
//!   allocation check ask it whether a request, a job or a row is hit;
//! - [`http`] turns an http hit into the answer (or the delay, or the hang-up) the dispatcher gives.
//!
//! A rule is tried only while it has hits left; among the rules that match, the first (oldest) whose
//! probability roll succeeds is hit, and only that one: one hit per request, job or row. A failed roll is
//! not a hit. Each rule rolls with its own RNG, seeded from its `seed` when given, so a run with seeds hits
//! the same requests every time. An expired rule (`times` used up) stays listed with `remaining: 0` and its
//! hits until it is deleted, so a test can read how often it fired.
//!
//! Rules live in this instance's memory (not in the store): they are per instance, and `--faults` loads them
//! again at every start.

mod codes;
pub mod http;
pub mod rule;

use bulkforce_core::error::RowError;
use bulkforce_core::job::Operation;
use parking_lot::Mutex;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rule::{Action, Kind, Rule, RuleError};
use serde_json::{Value, json};
use std::path::Path;
use std::sync::atomic::{AtomicU8, Ordering};

/// Live rules kept at most: a bound on what posting rules can cost.
const MAX_RULES: usize = 1_000;

/// The fault rules of this instance.
#[derive(Default)]
pub struct Faults {
    /// The kinds ([`Kind`] bits) that have a rule with hits left: a request, job or row asks the lock only
    /// when its kind has one, so a server without rules pays one atomic load.
    live: AtomicU8,
    inner: Mutex<Registry>,
}

#[derive(Default)]
struct Registry {
    /// The number of the last id handed out.
    last_id: u64,
    entries: Vec<Entry>,
}

struct Entry {
    id: String,
    /// The rule as given, for the listing.
    given: Value,
    rule: Rule,
    hits: u64,
    /// Hits left before the rule expires (`None`: never).
    remaining: Option<u64>,
    rng: StdRng,
}

impl Entry {
    fn live(&self) -> bool {
        self.remaining != Some(0)
    }
}

/// Why a rule or a rules file was refused.
#[derive(Debug, thiserror::Error)]
pub enum FaultError {
    #[error("{0}")]
    Rule(#[from] RuleError),
    #[error("rule {index} (counting from 1): {error}")]
    InFile { index: usize, error: RuleError },
    #[error("at most {MAX_RULES} fault rules at once")]
    TooMany,
    #[error("reading the file: {0}")]
    Read(#[from] std::io::Error),
    #[error("the file is not a JSON array of rules: {0}")]
    NotAnArray(#[from] serde_json::Error),
}

/// A rule that was hit: its id and what it does.
pub struct Hit<T> {
    pub id: String,
    pub fault: T,
}

/// An http hit: what the dispatcher does with the request.
pub struct HttpHit {
    pub status: Option<u16>,
    pub error_code: String,
    pub message: String,
    pub latency_ms: Option<u64>,
    pub disconnect: bool,
}

/// A limit hit, kept in the request's extensions for `/limits`: the API calls the org appears to have left.
#[derive(Debug, Clone, Copy)]
pub struct LimitFault {
    pub remaining: u64,
}

/// A job hit: the job fails with `message` once `after_rows` rows are processed.
pub struct JobHit {
    pub after_rows: u64,
    pub message: String,
}

impl Faults {
    /// Adds a rule; its id.
    pub fn add(&self, given: Value) -> Result<String, FaultError> {
        let rule = rule::parse(&given)?;
        let mut registry = self.inner.lock();
        if registry.entries.iter().filter(|e| e.live()).count() >= MAX_RULES {
            return Err(FaultError::TooMany);
        }
        registry.last_id += 1;
        let id = format!("f{}", registry.last_id);
        let rng = match rule.seed {
            Some(seed) => StdRng::seed_from_u64(seed),
            None => StdRng::from_rng(&mut rand::rng()),
        };
        registry.entries.push(Entry {
            id: id.clone(),
            given,
            remaining: rule.times,
            rule,
            hits: 0,
            rng,
        });
        self.refresh(&registry);
        Ok(id)
    }

    /// Reads the rules of a `--faults` file (a JSON array of rules) and checks every one, so that a bad
    /// file refuses the start before anything else runs; [`Faults::add_all`] adds them later.
    pub fn read_file(path: &Path) -> Result<Vec<Value>, FaultError> {
        let text = std::fs::read_to_string(path)?;
        let rules: Vec<Value> = serde_json::from_str(&text)?;
        if rules.len() > MAX_RULES {
            return Err(FaultError::TooMany);
        }
        for (index, given) in rules.iter().enumerate() {
            rule::parse(given).map_err(|error| FaultError::InFile {
                index: index + 1,
                error,
            })?;
        }
        Ok(rules)
    }

    /// Adds checked rules (of [`Faults::read_file`]) in order.
    pub fn add_all(&self, rules: Vec<Value>) -> Result<(), FaultError> {
        for given in rules {
            self.add(given)?;
        }
        Ok(())
    }

    /// The rules in order, with their hits: `{"id","rule","hits","remaining"}` each.
    pub fn list(&self) -> Vec<Value> {
        self.inner
            .lock()
            .entries
            .iter()
            .map(|e| json!({"id": e.id, "rule": e.given, "hits": e.hits, "remaining": e.remaining}))
            .collect()
    }

    /// Removes one rule; false when there is none with that id.
    pub fn remove(&self, id: &str) -> bool {
        let mut registry = self.inner.lock();
        let before = registry.entries.len();
        registry.entries.retain(|e| e.id != id);
        self.refresh(&registry);
        registry.entries.len() != before
    }

    /// Removes every rule (ids keep counting: a new rule never takes an old one's id).
    pub fn clear(&self) {
        let mut registry = self.inner.lock();
        registry.entries.clear();
        self.refresh(&registry);
    }

    /// The http rule a Salesforce request hits, if any.
    pub fn http(&self, method: &str, path: &str) -> Option<Hit<HttpHit>> {
        self.fire(Kind::Http, |rule, id| match &rule.action {
            Action::Http(http) if http.matches(method, path) => Some(HttpHit {
                status: http.status,
                error_code: http
                    .error_code
                    .clone()
                    .unwrap_or_else(|| "SERVER_UNAVAILABLE".to_owned()),
                message: http
                    .message
                    .clone()
                    .unwrap_or_else(|| format!("Server unavailable (bulkforce fault {id})")),
                latency_ms: http.latency_ms,
                disconnect: http.disconnect,
            }),
            _ => None,
        })
    }

    /// The job rule an ingest job hits when its processing starts, if any.
    pub fn job(&self, object: &str, operation: Operation) -> Option<Hit<JobHit>> {
        self.fire(Kind::Job, |rule, id| match &rule.action {
            Action::Job(job) if job.on.matches(object, operation) => Some(JobHit {
                after_rows: job.after_rows,
                message: job.message.clone().unwrap_or_else(|| {
                    format!("Unknown : the job was failed by bulkforce fault {id}")
                }),
            }),
            _ => None,
        })
    }

    /// The error of a row rule this row hits, if any. `cell` gives the row's value of a column (by header
    /// name, case-insensitive), for rules limited to rows holding a value.
    pub fn row<'c>(
        &self,
        object: &str,
        operation: Operation,
        cell: impl Fn(&str) -> Option<&'c [u8]>,
    ) -> Option<RowError> {
        let hit = self.fire(Kind::Row, |rule, id| match &rule.action {
            Action::Row(row)
                if row.on.matches(object, operation)
                    && row.field_value.as_ref().is_none_or(|(field, value)| {
                        cell(field).is_some_and(|c| c == value.as_bytes())
                    }) =>
            {
                let message = row.message.clone().unwrap_or_else(|| {
                    format!(
                        "unable to obtain exclusive access to this record or 1 records: bulkforce fault {id}"
                    )
                });
                Some(RowError::new(row.error_code, message, Vec::new()))
            }
            _ => None,
        })?;
        Some(hit.fault)
    }

    /// The API calls left that a limit rule makes this request see, if one is hit.
    pub fn limit(&self) -> Option<u64> {
        let hit = self.fire(Kind::Limit, |rule, _| match rule.action {
            Action::Limit { remaining } => Some(remaining),
            _ => None,
        })?;
        Some(hit.fault)
    }

    /// Tries the live rules of `kind` in order: the first that `select` matches and whose roll succeeds is
    /// hit (its count goes up, its `times` down).
    fn fire<T>(&self, kind: Kind, select: impl Fn(&Rule, &str) -> Option<T>) -> Option<Hit<T>> {
        if self.live.load(Ordering::Relaxed) & kind as u8 == 0 {
            return None;
        }
        let mut registry = self.inner.lock();
        let hit = registry.entries.iter_mut().find_map(|entry| {
            if !entry.live() || entry.rule.action.kind() != kind {
                return None;
            }
            let fault = select(&entry.rule, &entry.id)?;
            let probability = entry.rule.probability;
            if probability < 1.0 && !entry.rng.random_bool(probability) {
                return None;
            }
            entry.hits += 1;
            entry.remaining = entry.remaining.map(|n| n - 1);
            Some(Hit {
                id: entry.id.clone(),
                fault,
            })
        })?;
        self.refresh(&registry);
        Some(hit)
    }

    /// Recomputes which kinds have live rules (under the registry's lock, so it never goes stale).
    fn refresh(&self, registry: &Registry) {
        let live = registry
            .entries
            .iter()
            .filter(|e| e.live())
            .fold(0, |bits, e| bits | e.rule.action.kind() as u8);
        self.live.store(live, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pattern(faults: &Faults, n: usize) -> Vec<bool> {
        (0..n)
            .map(|_| faults.http("GET", "/services/data/v62.0/limits").is_some())
            .collect()
    }

    #[test]
    fn times_expire_a_rule_that_stays_listed() {
        let faults = Faults::default();
        let id = faults
            .add(json!({"kind": "http", "path": "/services/**", "status": 503, "times": 2}))
            .unwrap();
        assert_eq!(id, "f1");
        assert_eq!(pattern(&faults, 4), [true, true, false, false]);
        let listed = faults.list();
        assert_eq!(listed[0]["hits"], 2);
        assert_eq!(listed[0]["remaining"], 0);
        assert_eq!(faults.live.load(Ordering::Relaxed), 0, "no live rule left");
    }

    #[test]
    fn a_seed_repeats_the_same_hits() {
        let rule = json!({"kind": "http", "path": "/services/**", "status": 503,
                          "probability": 0.5, "seed": 7});
        let runs: Vec<Vec<bool>> = (0..2)
            .map(|_| {
                let faults = Faults::default();
                faults.add(rule.clone()).unwrap();
                pattern(&faults, 40)
            })
            .collect();
        assert_eq!(runs[0], runs[1]);
        assert!(runs[0].contains(&true) && runs[0].contains(&false));
    }

    #[test]
    fn ids_are_never_reused() {
        let faults = Faults::default();
        let rule = json!({"kind": "limit", "remaining": 0});
        assert_eq!(faults.add(rule.clone()).unwrap(), "f1");
        faults.clear();
        assert_eq!(faults.add(rule.clone()).unwrap(), "f2");
        assert!(faults.remove("f2"));
        assert!(!faults.remove("f2"));
        assert_eq!(faults.limit(), None);
    }

    #[test]
    fn rows_match_on_a_field_value() {
        let faults = Faults::default();
        faults
            .add(json!({"kind": "row", "object": "Account", "field": "Name", "value": "B"}))
            .unwrap();
        let cells = |name: &'static [u8]| {
            move |field: &str| field.eq_ignore_ascii_case("name").then_some(name)
        };
        assert!(
            faults
                .row("account", Operation::Insert, cells(b"A"))
                .is_none()
        );
        let error = faults
            .row("account", Operation::Insert, cells(b"B"))
            .unwrap();
        assert_eq!(error.code, "UNABLE_TO_LOCK_ROW");
        assert!(
            faults
                .row("Contact", Operation::Insert, cells(b"B"))
                .is_none()
        );
    }
}
