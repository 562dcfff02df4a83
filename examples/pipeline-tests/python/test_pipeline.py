"""Tests of pipeline.py against `bulkforce serve`, using the emulator's control API (/_bulkforce/…) to reset
the server between tests, hold a job in its queued state and make an upload fail once.

Run against a server: BULKFORCE_URL=http://127.0.0.1:8080 BULKFORCE_TOKEN=<its --access-token> pytest -q
"""

import csv
import os

import pytest
import requests

from pipeline import AccountPipeline, StillRunning, connect

URL = os.environ.get("BULKFORCE_URL", "http://127.0.0.1:8080")
TOKEN = os.environ["BULKFORCE_TOKEN"]  # the server's --access-token (or its --control-token for the controls)

ACCOUNTS = [("Acme", "10"), ("Globex", "20"), ("Initech", "30"), ("Umbrella", "40")]


class Bulkforce:
    """The emulator's controls: what a test can do to the server that a real org never lets it."""

    def __init__(self, url, token):
        self.url = url.rstrip("/") + "/_bulkforce"
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Bearer {token}"

    def call(self, method, path, **kwargs):
        response = self.http.request(method, self.url + path, **kwargs)
        assert response.ok, f"{method} /_bulkforce{path}: {response.status_code} {response.text}"
        return response.json() if response.content else None

    def reset(self):
        """Every record, job and result gone; users and tokens kept."""
        self.call("POST", "/reset")
        self.call("DELETE", "/faults")

    def hold(self, job_id):
        return self.call("POST", f"/jobs/{job_id}/hold")

    def release(self, job_id):
        return self.call("POST", f"/jobs/{job_id}/release")

    def add_fault(self, rule):
        return self.call("POST", "/faults", json=rule)["id"]

    def fault(self, fault_id):
        return next(f for f in self.call("GET", "/faults")["faults"] if f["id"] == fault_id)


@pytest.fixture(scope="session")
def bulkforce():
    return Bulkforce(URL, TOKEN)


@pytest.fixture(autouse=True)
def clean_server(bulkforce):
    """Each test starts on an empty org with no fault rules, without restarting the server."""
    bulkforce.reset()


@pytest.fixture
def pipeline():
    return AccountPipeline(connect(URL, TOKEN), backoff_seconds=0.05, poll_seconds=0.05)


@pytest.fixture
def accounts_csv(tmp_path):
    path = tmp_path / "accounts.csv"
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["Name", "NumberOfEmployees"])
        writer.writerows(ACCOUNTS)
    return str(path)


def account_names(pipeline):
    rows, _ = pipeline.changed_since("2000-01-01T00:00:00Z")
    return sorted(row["Name"] for row in rows)


def test_a_held_job_shows_its_queued_state_until_released(pipeline, bulkforce, accounts_csv):
    load = pipeline.start(accounts_csv)
    bulkforce.hold(load.job_id)
    pipeline.close(load)

    # While held the job stays queued: the pipeline's wait gives up and says what it saw.
    with pytest.raises(StillRunning) as running:
        pipeline.wait(load, timeout_seconds=0.5)
    assert running.value.state == "UploadComplete"
    assert pipeline.refresh(load).processed == 0

    bulkforce.release(load.job_id)
    pipeline.wait(load)
    assert (load.state, load.processed, load.failed) == ("JobComplete", len(ACCOUNTS), 0)
    assert account_names(pipeline) == sorted(name for name, _ in ACCOUNTS)


def test_an_upload_answered_503_is_retried(pipeline, bulkforce, accounts_csv):
    fault = bulkforce.add_fault({
        "kind": "http", "method": "PUT", "path": "/services/data/*/jobs/ingest/*/batches",
        "status": 503, "errorCode": "SERVER_UNAVAILABLE", "message": "Try again later", "times": 1,
    })

    load = pipeline.load_accounts(accounts_csv)

    assert bulkforce.fault(fault)["hits"] == 1
    assert load.upload_attempts == 2
    assert (load.state, load.processed, load.failed) == ("JobComplete", len(ACCOUNTS), 0)
    assert account_names(pipeline) == sorted(name for name, _ in ACCOUNTS)
