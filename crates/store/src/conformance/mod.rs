//! The contract of [`Store`], as tests every backend must pass: written once against `&dyn Store` and run
//! against each implementation (SQLite today, PostgreSQL next), so that the server and the worker may
//! rely on the same behaviour whichever backend holds their data.
//!
//! A backend takes part by implementing [`Backend`] (open a store over a fresh, private data location;
//! open it again to simulate a restart) and expanding [`store_conformance_tests!`](crate::store_conformance_tests)
//! in an integration test with an expression that makes a new backend for each test:
//!
//! ```ignore
//! bulkforce_store::store_conformance_tests!(SqliteBackend::new());
//! ```
//!
//! Every case is a public function `fn(&dyn Backend) -> Result<()>` in one of the modules below, grouped
//! by concern; the macro expands to one `#[test]` per case. Cases assert concrete values (ids, states,
//! counters, outcomes), so each can fail; storage errors propagate as `Err` and fail the test too.
//!
//! What the cases check is what the callers rely on: the HTTP routes (jobs, uploads, auth), the worker
//! (claims, chunk application, checkpoints, finishing) and the result routes (which parts are committed).
//! API usage counters are counted over a window ending at a time the caller gives, so the window's
//! edges are tested without waiting.

pub mod auth;
pub mod auto_fields;
pub mod cascades;
pub mod chunks;
pub mod claims;
pub mod clock;
pub mod formula_fields;
pub mod holds;
pub mod isolation;
pub mod jobs;
pub mod pg_database;
pub mod queries;
pub mod reset;
pub mod row_order;
pub mod rows;
pub mod rules;
pub mod seed;
pub mod snapshots;
pub mod units;
pub mod usage;

use crate::{Chunk, ChunkProgress, ChunkSource, Principal, Result, RowOutcome, Store, StoreError};
use bulkforce_core::csv::Dialect;
use bulkforce_core::id::SfId;
use bulkforce_core::ingest::{IngestPlan, RowFailure, RowOp, RowValues};
use bulkforce_core::job::{ApiVersion, Job, JobState, Operation};
use bulkforce_core::schema::Schema;
use bulkforce_core::value::Value;
use chrono::{DateTime, TimeZone, Utc};
use std::collections::VecDeque;
use std::sync::Arc;

/// A store implementation under test.
pub trait Backend {
    /// Opens a store over this backend's data with `schema`, creating the data empty the first time.
    /// Opening again after the previous store was dropped is a restart: whatever was committed is there.
    fn open(&self, schema: Arc<Schema>) -> Result<Box<dyn Store>>;
}

/// Expands to one `#[test]` per conformance case, each on a backend made by `$backend` (evaluated once
/// per test, so every test has its own empty data). Tests are grouped in modules named like the case
/// modules, so a failure reads `chunks::a_failed_commit_leaves_nothing`.
///
/// Every case of the modules is listed here; a new case needs its line.
#[macro_export]
macro_rules! store_conformance_tests {
    ($backend:expr) => {
        $crate::store_conformance_tests!(@cases $backend;
            jobs {
                a_created_job_reads_back_as_stored,
                created_jobs_get_distinct_job_ids,
                an_unknown_job_is_none_everywhere,
                job_lists_filter_by_kind_and_page_oldest_first,
                jobs_are_counted_by_operation_and_state_per_org,
                a_transition_is_a_compare_and_set,
                competing_transitions_have_one_winner,
                a_terminal_transition_keeps_its_error_message,
                an_upload_is_reserved_once_and_released_on_failure,
                only_an_open_job_takes_an_upload,
                a_deleted_job_is_gone,
                an_upload_ended_after_its_reservation_was_released_records_nothing,
            }
            claims {
                only_waiting_jobs_are_claimed_oldest_first,
                a_claimed_job_is_not_claimed_twice,
                concurrent_claims_take_distinct_jobs,
                query_jobs_are_claimed_too,
                after_a_restart_an_in_progress_job_is_claimable_again,
                finishing_is_only_from_in_progress,
                finishing_may_replace_the_processed_count,
                an_aborted_claimed_job_is_not_claimed_again,
                a_released_claim_is_claimable_again_at_its_checkpoint,
                holding_a_claim_ends_with_the_job,
            }
            chunks {
                a_fresh_job_has_an_empty_checkpoint,
                a_chunk_commits_rows_counters_and_checkpoint_together,
                chunks_sharing_a_transaction_report_in_order_and_commit_once,
                a_failed_commit_leaves_nothing,
                a_failure_reporting_outcomes_leaves_nothing,
                a_job_no_longer_in_progress_takes_no_chunk,
                a_chunk_out_of_sequence_stops_the_run_after_the_earlier_ones,
                a_restart_resumes_from_the_committed_checkpoint,
            }
            auto_fields {
                case_numbers_are_issued_in_order_per_org_and_never_twice,
                concurrent_writers_never_share_a_number,
                org_settings_are_per_org_and_last,
                an_org_that_allows_it_keeps_the_audit_values_an_insert_gives,
            }
            rows {
                inserts_mint_fresh_ids_of_the_object,
                updates_change_only_the_fields_they_set,
                updates_and_deletes_of_missing_or_deleted_records_fail,
                soft_deletes_hide_and_hard_deletes_remove,
                upserts_match_on_the_external_id,
                a_key_repeated_in_one_chunk_fails_each_of_its_rows,
                a_unique_value_clash_fails_the_row_only,
            }
            row_order {
                a_unique_value_taken_earlier_in_the_chunk_fails_the_later_row,
                a_row_sees_the_updates_and_deletes_of_earlier_rows,
                a_unique_value_freed_earlier_in_the_chunk_can_be_taken,
                a_lookup_finds_a_parent_inserted_earlier_in_the_chunk,
                references_to_missing_or_deleted_records_fail,
            }
            auth {
                the_default_org_is_created_once,
                orgs_and_users_are_listed,
                a_username_is_taken_once_across_orgs,
                passwords_are_checked,
                tokens_are_issued_verified_and_revoked,
                expired_tokens_are_refused,
                apps_check_their_client_secret,
                wrong_passwords_lock_a_user_out_for_a_while,
                a_lockout_survives_a_restart_and_ends_by_unlock,
                a_lockout_may_last_until_unlocked_or_never_come,
                concurrent_wrong_logins_get_no_more_checks_than_the_policy_allows,
            }
            holds {
                held_jobs_are_not_claimed_and_released_ones_are,
                a_job_held_as_it_becomes_waiting_is_never_claimable,
                a_held_running_job_is_given_up_and_resumed_from_its_checkpoint,
                a_finished_job_is_not_held_and_finishing_ends_a_hold,
                a_hold_survives_a_restart,
                a_timeline_lists_every_state_entered_in_order,
                find_job_looks_in_every_org,
                job_listings_filter_and_come_newest_first,
                a_hold_asked_for_during_a_transaction_is_seen_before_its_next_chunk,
                a_job_detail_reads_the_job_and_its_timeline_at_one_moment,
            }
            isolation {
                another_orgs_job_is_invisible,
                another_orgs_records_are_invisible,
                tokens_users_and_apps_belong_to_their_org,
                ids_are_never_shared_between_orgs,
            }
            queries {
                a_query_visits_rows_in_order_and_can_stop,
                a_count_ignores_the_offset,
            }
            reset {
                resetting_an_org_leaves_other_orgs_alone,
                a_reset_keeps_orgs_users_apps_and_tokens,
                a_reset_clears_the_api_counters,
                ids_are_not_minted_again_after_a_reset,
                an_unknown_org_is_not_reset,
                a_worker_whose_job_was_reset_stops_cleanly,
            }
            snapshots {
                a_restore_brings_back_records_jobs_and_blobs,
                snapshots_are_listed_oldest_first_and_deleted,
                a_snapshot_name_is_plain_and_taken_once,
                users_and_orgs_created_after_a_snapshot_outlive_its_restore,
                an_in_progress_job_resumes_from_the_snapshot_checkpoint,
                a_worker_finishing_a_restored_job_leaves_it_to_resume,
                a_snapshot_taken_while_chunks_are_applied_is_consistent,
            }
            units {
                a_committed_unit_keeps_its_rows_stamped_by_its_user,
                a_rolled_back_unit_leaves_nothing,
                a_unit_reads_its_own_writes,
                a_savepoint_rollback_undoes_only_its_part,
                failed_rows_are_not_applied_in_a_unit,
                a_unit_leaves_other_orgs_untouched,
            }
            usage {
                usage_adds_up_per_counter,
                usage_is_counted_per_org,
                usage_older_than_24_hours_drops_out,
            }
            clock {
                the_clock_is_real_until_set,
                a_set_clock_is_stored_and_applied_at_once,
                the_clock_setting_survives_a_restart,
                a_frozen_clock_stamps_records_and_jobs,
                updates_are_stamped_with_the_clock_of_their_chunk,
                token_expiry_follows_the_clock,
                concurrent_settings_leave_the_clock_on_the_stored_one,
            }
            seed {
                the_seed_marker_lasts_until_the_default_org_is_reset,
            }
            cascades {
                a_delete_cascades_to_children_and_clears_optional_lookups,
                a_restricting_lookup_refuses_the_delete_with_delete_failed,
                a_hard_delete_removes_what_cascaded_even_from_the_recycle_bin,
                a_rest_unit_delete_cascades_and_is_refused_alike,
                the_recycle_bin_purges_what_was_deleted_before_the_cutoff,
                lookups_from_objects_without_a_recycle_bin_are_cleared_or_restrict,
                a_cascade_reaching_100000_records_is_refused_as_too_large,
                the_purge_of_every_org_empties_only_what_is_due,
            }
            formula_fields {
                formula_fields_are_computed_when_read,
                formula_fields_filter_and_sort,
                a_formula_reads_the_parent_through_a_lookup,
                a_formula_field_is_not_written,
            }
            rules {
                a_rule_fails_an_insert_with_its_message,
                an_update_is_checked_on_the_merged_record,
                prior_values_are_the_stored_ones,
                a_rule_reads_the_parent_through_a_lookup,
                an_inactive_rule_is_ignored,
                a_default_formula_fills_a_field_left_out_on_insert,
                a_row_failing_mid_chunk_leaves_the_others_applied,
                a_large_chunk_reads_every_stored_record,
            }
        );
    };
    (@cases $backend:expr; $($module:ident { $($case:ident),* $(,)? })*) => {
        $(
            mod $module {
                #[allow(unused_imports)]
                use super::*;
                $(
                    #[test]
                    fn $case() -> ::std::result::Result<(), $crate::StoreError> {
                        let backend = $backend;
                        $crate::conformance::$module::$case(&backend)
                    }
                )*
            }
        )*
    };
}

/// The schema every case runs with: the built-in objects, and on Account a unique external id
/// (`Ext__c`) for upserts and unique-value clashes.
pub fn schema() -> Arc<Schema> {
    let mut schema = Schema::builtin();
    schema
        .merge_describe(
            r#"{"name":"Account","fields":[{"name":"Ext__c","type":"string","length":80,
                "externalId":true,"unique":true,"nillable":true,"createable":true,"updateable":true}]}"#,
        )
        .expect("the conformance describe is valid");
    Arc::new(schema)
}

/// A store opened with [`schema`], and the admin of its default org.
pub struct Fixture {
    pub store: Box<dyn Store>,
    pub admin: Principal,
}

impl Fixture {
    /// Opens `backend` and makes sure its default org exists.
    pub fn open(backend: &dyn Backend) -> Result<Fixture> {
        let store = backend.open(schema())?;
        let admin = store.ensure_default_org()?;
        Ok(Fixture { store, admin })
    }

    pub fn org(&self) -> SfId {
        self.admin.org_id
    }

    /// Creates an ingest job of `operation` on `object` in the default org.
    pub fn create_ingest(&self, operation: Operation, object: &str) -> Result<Job> {
        self.store
            .create_job(self.org(), new_job(&self.admin, operation, object, None))
    }

    /// Creates a query job in the default org, UploadComplete as the query route stores it.
    pub fn create_query(&self, soql: &str) -> Result<Job> {
        let mut job = new_job(&self.admin, Operation::Query, "Account", Some(soql));
        job.state = JobState::UploadComplete;
        self.store.create_job(self.org(), job)
    }

    /// An ingest job taken through its upload to UploadComplete, as the routes do.
    pub fn uploaded(&self, operation: Operation, object: &str) -> Result<Job> {
        let job = self.create_ingest(operation, object)?;
        self.store.begin_upload(self.org(), job.id)?;
        self.store.end_upload(self.org(), job.id, Some(100))?;
        let (job, moved) = self
            .store
            .transition(
                self.org(),
                job.id,
                &[JobState::Open],
                JobState::UploadComplete,
                None,
            )?
            .ok_or_else(|| StoreError::Invalid("the job just created is gone".into()))?;
        assert!(moved, "Open -> UploadComplete must move a fresh job");
        Ok(job)
    }

    /// An uploaded ingest job, claimed: InProgress, as the worker holds it.
    pub fn claimed(&self, operation: Operation) -> Result<Job> {
        let job = self.uploaded(operation, "Account")?;
        let claimed = self
            .store
            .claim_job()?
            .ok_or_else(|| StoreError::Invalid("no job to claim".into()))?;
        assert_eq!(claimed.job.id, job.id, "the only waiting job is claimed");
        Ok(claimed.job)
    }

    /// The plan of `header` for `operation` on Account (upserts key on `Ext__c`).
    pub fn plan(&self, operation: Operation, header: &[&str]) -> IngestPlan {
        let schema = self.store.schema();
        let account = schema
            .object("Account")
            .expect("Account is built in")
            .clone();
        let key = (operation == Operation::Upsert).then_some("Ext__c");
        let header: Vec<String> = header
            .iter()
            .map(std::string::ToString::to_string)
            .collect();
        IngestPlan::new(schema, account, operation, key, &header)
            .expect("the conformance headers name Account fields")
    }

    /// The index of an Account field.
    pub fn field(&self, name: &str) -> usize {
        self.store
            .schema()
            .object("Account")
            .and_then(|o| o.field_index(name))
            .expect("the conformance cases name Account fields")
    }

    /// Row values setting Account fields by name.
    pub fn values(&self, fields: &[(&str, &str)]) -> RowValues {
        RowValues {
            assignments: fields
                .iter()
                .map(|(name, text)| (self.field(name), Value::Text(text.to_string())))
                .collect(),
            lookups: Vec::new(),
        }
    }

    /// An Account insert row with this Name.
    pub fn insert(&self, name: &str) -> Result<RowOp, RowFailure> {
        Ok(RowOp::Insert(self.values(&[("Name", name)])))
    }

    /// Applies `rows` as the job's chunk `chunk` in a run of its own; the outcomes, or why the run stopped.
    pub fn apply(
        &self,
        job: &Job,
        operation: Operation,
        chunk: u64,
        rows: Vec<Result<RowOp, RowFailure>>,
    ) -> Result<Option<Vec<RowOutcome>>> {
        let plan = self.plan(operation, header_for(operation));
        let mut feed = Feed::default();
        let ending =
            self.store
                .apply_chunks(self.org(), job, &plan, chunk_of(chunk, rows), &mut feed)?;
        Ok(match ending {
            crate::ChunkCommit::Committed => feed.applied.pop().map(|(_, outcomes)| outcomes),
            crate::ChunkCommit::JobStopped => None,
        })
    }

    /// A stored Account field as text (`None`: no such record, or the field is null).
    pub fn account_field(&self, id: SfId, field: &str) -> Result<Option<String>> {
        Ok(self
            .store
            .get_record(self.org(), "Account", id)?
            .and_then(|fields| fields.into_iter().find(|(name, _)| name == field))
            .and_then(|(_, value)| value))
    }

    /// The job as stored now.
    pub fn job(&self, id: SfId) -> Result<Job> {
        self.store
            .get_job(self.org(), id)?
            .ok_or_else(|| StoreError::Invalid(format!("job {id} is gone")))
    }
}

/// A job as the create routes build it: Open, CSV with default dialect, created now (whole milliseconds,
/// as every backend can keep them).
pub fn new_job(
    creator: &Principal,
    operation: Operation,
    object: &str,
    query: Option<&str>,
) -> Job {
    let now = whole_millis(Utc::now());
    Job {
        id: SfId::mint(bulkforce_core::id::KeyPrefix::JOB, 0, 0),
        operation,
        object: object.to_owned(),
        created_by_id: creator.user_id,
        created_date: now,
        system_modstamp: now,
        state: JobState::Open,
        external_id_field_name: (operation == Operation::Upsert).then(|| "Ext__c".to_owned()),
        assignment_rule_id: None,
        api_version: ApiVersion(62),
        dialect: Dialect::default(),
        number_records_processed: 0,
        number_records_failed: 0,
        retries: 0,
        total_processing_time: 0,
        api_active_processing_time: 0,
        apex_processing_time: 0,
        error_message: None,
        upload_bytes: None,
        query: query.map(str::to_owned),
    }
}

fn whole_millis(time: DateTime<Utc>) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(time.timestamp_millis())
        .single()
        .expect("a current time is representable")
}

/// A header for `operation` on Account that the row helpers fit.
fn header_for(operation: Operation) -> &'static [&'static str] {
    match operation {
        Operation::Update => &["Id", "Name", "Ext__c"],
        Operation::Delete | Operation::HardDelete => &["Id"],
        _ => &["Name", "Ext__c"],
    }
}

/// Chunk `index` of a job, with a checkpoint derived from it (offset `100 * (index + 1)`, line
/// `10 * (index + 1)`), so that which chunk committed last can be read off the checkpoint.
pub fn chunk_of(index: u64, rows: Vec<Result<RowOp, RowFailure>>) -> Chunk {
    Chunk {
        rows,
        progress: ChunkProgress {
            chunk: index,
            next_offset: 100 * (index + 1),
            next_line: 10 * (index + 1),
            active_ms: 1,
        },
    }
}

/// A [`ChunkSource`] that hands over queued chunks and records what the store reports, optionally
/// failing at a given point to check that nothing of a failed transaction remains.
#[derive(Default)]
pub struct Feed {
    /// Chunks still to hand over after the first.
    pub queued: VecDeque<Chunk>,
    /// Each applied chunk's index and outcomes, in the order reported.
    pub applied: Vec<(u64, Vec<RowOutcome>)>,
    /// How often `before_commit` was called.
    pub commits: usize,
    /// Fail `chunk_applied` for this chunk.
    pub fail_applied: Option<u64>,
    /// Fail `before_commit`.
    pub fail_commit: bool,
}

impl ChunkSource for Feed {
    fn next_chunk(&mut self) -> Option<Chunk> {
        self.queued.pop_front()
    }

    fn chunk_applied(
        &mut self,
        chunk: u64,
        outcomes: Vec<RowOutcome>,
        _spent: Vec<RowValues>,
    ) -> Result<()> {
        self.applied.push((chunk, outcomes));
        if self.fail_applied == Some(chunk) {
            return Err(StoreError::Invalid(
                "result parts could not be written".into(),
            ));
        }
        Ok(())
    }

    fn before_commit(&mut self) -> Result<()> {
        self.commits += 1;
        if self.fail_commit {
            return Err(StoreError::Invalid("result parts are not durable".into()));
        }
        Ok(())
    }
}

/// The id a row outcome names, if it succeeded.
pub fn succeeded(outcome: &RowOutcome) -> Option<SfId> {
    match outcome {
        RowOutcome::Created(id) | RowOutcome::Updated(id) | RowOutcome::Deleted(id) => Some(*id),
        RowOutcome::Failed { .. } => None,
    }
}

/// The error code of a failed outcome.
pub fn failure_code(outcome: &RowOutcome) -> Option<&'static str> {
    match outcome {
        RowOutcome::Failed { error, .. } => Some(error.code),
        _ => None,
    }
}
