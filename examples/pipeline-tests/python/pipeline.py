"""The pipeline under test: loads Accounts from a CSV and syncs changed Accounts, over simple-salesforce's
Bulk API 2.0 client.

Nothing here knows about bulkforce. It is ordinary Salesforce client code that gets an instance URL and an
access token; the tests in test_pipeline.py point it at `bulkforce serve` and use the emulator's controls to
drive it through the situations a real org produces only by bad luck (a 503 on upload, a job that stays
queued for a while).
"""

from __future__ import annotations

import csv
import io
import time
from dataclasses import dataclass

from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceGeneralError

# Answers that say "try again later": the request was not carried out.
TRANSIENT_STATUSES = {502, 503, 504}
FINAL_STATES = {"JobComplete", "Failed", "Aborted"}


class StillRunning(Exception):
    """The job did not finish in the time the caller allowed; it goes on on the server (resume with wait())."""

    def __init__(self, job_id: str, state: str):
        super().__init__(f"job {job_id} is still {state}")
        self.job_id = job_id
        self.state = state


@dataclass
class Load:
    """One load job, as far as the pipeline knows it."""

    job_id: str
    upload_attempts: int
    state: str = "Open"
    processed: int = 0
    failed: int = 0


def connect(instance_url: str, token: str) -> Salesforce:
    """A simple-salesforce session on INSTANCE_URL with an access token."""
    sf = Salesforce(instance_url=instance_url, session_id=token)
    if instance_url.startswith("http://"):
        # simple-salesforce always builds https:// URLs; a local emulator may speak plain http.
        for attr in ("base_url", "bulk2_url"):
            setattr(sf, attr, getattr(sf, attr).replace("https://", "http://", 1))
    return sf


class AccountPipeline:
    """Loads Account CSVs (retrying an upload the server could not take) and finds Accounts changed since
    the last run."""

    def __init__(self, sf: Salesforce, *, upload_attempts: int = 3, backoff_seconds: float = 0.2,
                 poll_seconds: float = 0.2):
        self.sf = sf
        # simple-salesforce's step-by-step Bulk 2.0 client (create, upload, close, get): its one-call
        # `sf.bulk2.Account.insert()` gives no place to retry an upload or to return before the job ends.
        self.jobs = sf.bulk2.Account._client
        self.upload_attempts = upload_attempts
        self.backoff_seconds = backoff_seconds
        self.poll_seconds = poll_seconds

    def load_accounts(self, csv_path: str, timeout_seconds: float = 60.0) -> Load:
        """Inserts every row of CSV_PATH and waits for the job to end."""
        load = self.start(csv_path)
        self.close(load)
        return self.wait(load, timeout_seconds)

    def start(self, csv_path: str) -> Load:
        """Creates an insert job and uploads the file (the job stays Open until close())."""
        with open(csv_path, encoding="utf-8", newline="") as f:
            data = f.read()
        job = self.jobs.create_job("insert")
        attempts = self._upload(job["id"], data)
        return Load(job_id=job["id"], upload_attempts=attempts)

    def close(self, load: Load) -> None:
        """Marks the upload complete: Salesforce queues the job."""
        load.state = self.jobs.close_job(load.job_id)["state"]

    def refresh(self, load: Load) -> Load:
        """Reads the job's state and counters."""
        info = self.jobs.get_job(load.job_id, False)
        load.state = info["state"]
        load.processed = int(info["numberRecordsProcessed"])
        load.failed = int(info["numberRecordsFailed"])
        return load

    def wait(self, load: Load, timeout_seconds: float = 60.0) -> Load:
        """Polls until the job ends; raises StillRunning if it has not ended after TIMEOUT_SECONDS."""
        deadline = time.monotonic() + timeout_seconds
        while self.refresh(load).state not in FINAL_STATES:
            if time.monotonic() >= deadline:
                raise StillRunning(load.job_id, load.state)
            time.sleep(self.poll_seconds)
        return load

    def changed_since(self, watermark: str) -> tuple[list[dict], str]:
        """Accounts modified after WATERMARK (a SOQL datetime), and the watermark for the next run."""
        soql = (f"SELECT Id, Name, SystemModstamp FROM Account WHERE SystemModstamp > {watermark} "
                "ORDER BY SystemModstamp")
        rows = [row for page in self.sf.bulk2.Account.query(soql, wait=self.poll_seconds)
                for row in csv.DictReader(io.StringIO(page, newline=""))]
        return rows, max((row["SystemModstamp"] for row in rows), default=watermark)

    def _upload(self, job_id: str, data: str) -> int:
        """Uploads DATA, retrying with exponential backoff while the server answers a transient error.
        Returns how many attempts it took."""
        for attempt in range(1, self.upload_attempts + 1):
            try:
                self.jobs.upload_job_data(job_id, data)
                return attempt
            except SalesforceGeneralError as err:
                if err.status not in TRANSIENT_STATUSES or attempt == self.upload_attempts:
                    raise
                time.sleep(self.backoff_seconds * 2 ** (attempt - 1))
        raise AssertionError("unreachable: the last attempt returns or raises")
