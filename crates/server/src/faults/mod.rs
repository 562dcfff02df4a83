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
//! hits until it is deleted, so a test can read how often it fired. At most [`MAX_RULES`] rules are kept,
//! live or expired: a rule added past that drops the oldest expired one (and is refused when all are live),
//! so that a loop adding `times` rules cannot grow memory without bound.
//!
//! A job rule is tried once per job: its decision (hit, or a failed roll) is bound to the job the first
//! time a worker starts it and reused whenever the job resumes ([`decisions`]), so a job is hit at most once
//! and fails after `afterRows` rows counted from the start of the job. Row hits count only rows whose
//! failure is committed ([`uncommitted`]).
//!
//! Rules live in this instance's memory (not in the store): they are per instance, and `--faults` loads them
//! again at every start.

mod codes;
mod decisions;
pub mod http;
pub mod rule;
mod uncommitted;

pub use uncommitted::UncommittedHits;

use bulkforce_core::error::RowError;
use bulkforce_core::id::SfId;
use bulkforce_core::job::Operation;
use decisions::{Decision, Decisions};
use parking_lot::Mutex;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rule::{Action, Kind, Rule, RuleError};
use serde_json::{Value, json};
use std::path::Path;
use std::sync::atomic::{AtomicU8, Ordering};

/// Rules kept at most, live or expired: a bound on what posting rules can cost.
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
    /// What the job rules decided for each job they were tried on.
    jobs: Decisions,
}

struct Entry {
    /// The id's number (`f7`: 7); rules are kept in this order.
    number: u64,
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
    #[error("at most {MAX_RULES} fault rules at once, and all of them have hits left")]
    TooMany,
    #[error("reading the file: {0}")]
    Read(#[from] std::io::Error),
    #[error("the file is not a JSON array of rules: {0}")]
    NotAnArray(#[from] serde_json::Error),
}

/// A rule that was hit: its id and what it does.
#[derive(Clone)]
pub struct Hit<T> {
    pub id: String,
    /// The id's number.
    rule: u64,
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
#[derive(Clone)]
pub struct JobHit {
    pub after_rows: u64,
    pub message: String,
}

impl Faults {
    /// Adds a rule; its id.
    pub fn add(&self, given: Value) -> Result<String, FaultError> {
        let rule = rule::parse(&given)?;
        let mut registry = self.inner.lock();
        if registry.entries.len() >= MAX_RULES {
            let oldest_expired = registry
                .entries
                .iter()
                .position(|e| !e.live())
                .ok_or(FaultError::TooMany)?;
            registry.entries.remove(oldest_expired);
        }
        registry.last_id += 1;
        let number = registry.last_id;
        let id = format!("f{number}");
        let rng = match rule.seed {
            Some(seed) => StdRng::seed_from_u64(seed),
            None => StdRng::from_rng(&mut rand::rng()),
        };
        registry.entries.push(Entry {
            number,
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

    /// Removes one rule; false when there is none with that id. A job it hit no longer fails on resume.
    pub fn remove(&self, id: &str) -> bool {
        let mut registry = self.inner.lock();
        let Some(index) = registry.entries.iter().position(|e| e.id == id) else {
            return false;
        };
        let removed = registry.entries.remove(index);
        registry.jobs.forget_rule(removed.number);
        self.refresh(&registry);
        true
    }

    /// Removes every rule and what they decided for jobs (ids keep counting: a new rule never takes an old
    /// one's id).
    pub fn clear(&self) {
        let mut registry = self.inner.lock();
        registry.entries.clear();
        registry.jobs.clear();
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

    /// The job rule an ingest job (`job` of `org`, on `object` with `operation`) hits when a worker starts
    /// or resumes it, if any. The first time decides: a hit is returned again on every resume without
    /// counting again, and a rule whose roll failed for the job is not tried for it again.
    pub fn job(
        &self,
        (org, job): (SfId, SfId),
        object: &str,
        operation: Operation,
    ) -> Option<Hit<JobHit>> {
        let mut registry = self.inner.lock();
        let tried_through = match registry.jobs.get((org, job)) {
            Some(Decision::Hit(hit)) => return Some(hit.clone()),
            Some(Decision::Missed { tried_through }) => *tried_through,
            None => 0,
        };
        let last_id = registry.last_id;
        let (hit, rolled_out) = try_rules(
            &mut registry.entries,
            Kind::Job,
            tried_through,
            |rule, id| match &rule.action {
                Action::Job(fault) if fault.on.matches(object, operation) => Some(JobHit {
                    after_rows: fault.after_rows,
                    message: fault.message.clone().unwrap_or_else(|| {
                        format!("Unknown : the job was failed by bulkforce fault {id}")
                    }),
                }),
                _ => None,
            },
        );
        match &hit {
            Some(hit) => registry.jobs.bind((org, job), Decision::Hit(hit.clone())),
            None if rolled_out => registry.jobs.bind(
                (org, job),
                Decision::Missed {
                    tried_through: last_id,
                },
            ),
            None => {}
        }
        self.refresh(&registry);
        hit
    }

    /// The row rule this row hits, if any, with its error. `cell` gives the row's value of a column (by
    /// header name, case-insensitive), for rules limited to rows holding a value. The ingest reader asks
    /// through [`UncommittedHits::row`], which gives the hit back if the row's chunk is never committed.
    fn row<'c>(
        &self,
        object: &str,
        operation: Operation,
        cell: impl Fn(&str) -> Option<&'c [u8]>,
    ) -> Option<Hit<RowError>> {
        self.fire(Kind::Row, |rule, id| match &rule.action {
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
        })
    }

    /// Gives back row hits (rule number, hits) whose rows were never committed; a rule deleted meanwhile
    /// is skipped.
    fn give_back(&self, hits: &[(u64, u64)]) {
        let mut registry = self.inner.lock();
        for &(number, count) in hits {
            if let Some(entry) = registry.entries.iter_mut().find(|e| e.number == number) {
                entry.hits = entry.hits.saturating_sub(count);
                entry.remaining = entry.remaining.map(|n| n + count);
            }
        }
        self.refresh(&registry);
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
        let (hit, _) = try_rules(&mut registry.entries, kind, 0, select);
        let hit = hit?;
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

/// Tries the live rules of `kind` numbered above `newer_than`, in order: the first that `select` matches
/// and whose roll succeeds is hit (its count goes up, its `times` down). Also says whether a matching rule
/// failed its roll.
fn try_rules<T>(
    entries: &mut [Entry],
    kind: Kind,
    newer_than: u64,
    select: impl Fn(&Rule, &str) -> Option<T>,
) -> (Option<Hit<T>>, bool) {
    let mut rolled_out = false;
    let hit = entries.iter_mut().find_map(|entry| {
        if entry.number <= newer_than || !entry.live() || entry.rule.action.kind() != kind {
            return None;
        }
        let fault = select(&entry.rule, &entry.id)?;
        let probability = entry.rule.probability;
        if probability < 1.0 && !entry.rng.random_bool(probability) {
            rolled_out = true;
            return None;
        }
        entry.hits += 1;
        entry.remaining = entry.remaining.map(|n| n - 1);
        Some(Hit {
            id: entry.id.clone(),
            rule: entry.number,
            fault,
        })
    });
    (hit, rolled_out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

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
            .unwrap()
            .fault;
        assert_eq!(error.code, "UNABLE_TO_LOCK_ROW");
        assert!(
            faults
                .row("Contact", Operation::Insert, cells(b"B"))
                .is_none()
        );
    }

    #[test]
    fn expired_rules_are_dropped_oldest_first_past_the_cap() {
        let faults = Faults::default();
        let spent = json!({"kind": "limit", "remaining": 0, "times": 1});
        for _ in 0..3 * MAX_RULES {
            faults.add(spent.clone()).unwrap();
            assert_eq!(faults.limit(), Some(0), "the new rule is hit once");
        }
        let listed = faults.list();
        assert_eq!(listed.len(), MAX_RULES, "expired rules do not pile up");
        let newest = format!("f{}", 3 * MAX_RULES);
        assert_eq!(listed.last().unwrap()["id"], newest.as_str());
        assert_eq!(listed[0]["id"], format!("f{}", 2 * MAX_RULES + 1).as_str());

        // A live rule is never dropped: once every kept rule is live, a new one is refused.
        let live = json!({"kind": "limit", "remaining": 1});
        for _ in 0..MAX_RULES {
            faults.add(live.clone()).unwrap();
        }
        assert_eq!(faults.list().len(), MAX_RULES);
        assert!(faults.list().iter().all(|r| r["remaining"].is_null()));
        assert!(matches!(faults.add(live), Err(FaultError::TooMany)));
    }

    fn job_key(n: u8) -> (SfId, SfId) {
        let id = |prefix: &str| SfId::parse(&format!("{prefix}0000000000{n:02}")).unwrap();
        (id("00D"), id("750"))
    }

    #[test]
    fn a_job_is_hit_once_and_keeps_its_decision() {
        let faults = Faults::default();
        faults
            .add(json!({"kind": "job", "object": "Account", "afterRows": 5, "times": 1}))
            .unwrap();
        let first = faults
            .job(job_key(1), "Account", Operation::Insert)
            .unwrap();
        assert_eq!(first.fault.after_rows, 5);
        // Resumed: the same hit, not counted again, though the rule has expired.
        assert!(
            faults
                .job(job_key(1), "Account", Operation::Insert)
                .is_some()
        );
        assert!(
            faults
                .job(job_key(2), "Account", Operation::Insert)
                .is_none()
        );
        assert_eq!(faults.list()[0]["hits"], 1);
        // A deleted rule fails no job any more.
        assert!(faults.remove(&first.id));
        assert!(
            faults
                .job(job_key(1), "Account", Operation::Insert)
                .is_none()
        );
    }

    #[test]
    fn a_failed_roll_is_kept_for_the_job_and_newer_rules_are_tried() {
        let faults = Faults::default();
        faults
            .add(json!({"kind": "job", "probability": 0.0}))
            .unwrap();
        assert!(
            faults
                .job(job_key(1), "Account", Operation::Insert)
                .is_none()
        );
        assert_eq!(faults.inner.lock().jobs.len(), 1, "the miss is bound");
        faults.add(json!({"kind": "job"})).unwrap();
        let hit = faults
            .job(job_key(1), "Account", Operation::Insert)
            .unwrap();
        assert_eq!(hit.id, "f2");
        assert_eq!(faults.list()[1]["hits"], 1);
    }

    #[test]
    fn job_decisions_are_bounded() {
        let faults = Faults::default();
        faults.add(json!({"kind": "job"})).unwrap();
        for n in 0..=u8::MAX {
            for m in 0..50u8 {
                let id =
                    |prefix: &str| SfId::parse(&format!("{prefix}0000000{n:03}{m:02}")).unwrap();
                faults.job((id("00D"), id("750")), "Account", Operation::Insert);
            }
        }
        assert_eq!(faults.inner.lock().jobs.len(), decisions::MAX_DECISIONS);
    }

    #[test]
    fn row_hits_of_a_chunk_never_committed_are_given_back() {
        let faults = Arc::new(Faults::default());
        faults.add(json!({"kind": "row", "times": 2})).unwrap();
        let no_cells = |_: &str| None;
        let mut dropped = UncommittedHits::new(&faults);
        assert!(
            dropped
                .row("Account", Operation::Insert, no_cells)
                .is_some()
        );
        assert!(
            dropped
                .row("Account", Operation::Insert, no_cells)
                .is_some()
        );
        assert!(
            dropped
                .row("Account", Operation::Insert, no_cells)
                .is_none()
        );
        drop(dropped);
        assert_eq!(faults.list()[0]["hits"], 0);
        assert_eq!(faults.list()[0]["remaining"], 2);
        let mut kept = UncommittedHits::new(&faults);
        assert!(kept.row("Account", Operation::Insert, no_cells).is_some());
        kept.committed();
        assert_eq!(faults.list()[0]["hits"], 1);
        assert_eq!(faults.list()[0]["remaining"], 1);
    }
}
