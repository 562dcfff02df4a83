#!/usr/bin/env python3
"""simple-salesforce (PyPI) against a running `bulkforce serve`.

Usage: BF_URL=http://127.0.0.1:PORT BF_TOKEN=00D…!… ssf_test.py TMPDIR

Drives the Bulk API 2.0 through simple-salesforce's own public calls (sf.bulk2.Account.insert/upsert/
update/delete/hard_delete/query/query_all, get_*_records) plus its low-level client for abort. Prints one
line per check ("ok   …" or "FAIL …") and exits 1 if any check failed. A scenario that raises is reported
as a failed check and the next scenario still runs, so one server gap does not hide the others.

The server must know Account.Ext__c (string, externalId) from a --schema describe file.
"""

import csv
import io
import os
import sys
import traceback

from simple_salesforce import Salesforce
from simple_salesforce.bulk2 import Operation

URL = os.environ["BF_URL"]
TOKEN = os.environ["BF_TOKEN"]
TMP = sys.argv[1]
WAIT = 0.5  # seconds before the first poll (the client's default is 5)

failures = []
count = 0


def check(name, cond, detail=""):
    global count
    count += 1
    if cond:
        print(f"ok   ssf {name}", flush=True)
    else:
        failures.append(name)
        print(f"FAIL ssf {name}" + (f": {detail}" if detail else ""), flush=True)
    return cond


def eq(name, got, want):
    return check(name, got == want, f"got {got!r}, want {want!r}")


def scenario(fn):
    """Runs one scenario; an exception is a failed check, reported with its message."""
    try:
        fn()
    except Exception as exc:  # noqa: BLE001 - any client exception is a finding
        tb = traceback.extract_tb(exc.__traceback__)
        where = f"{tb[-1].filename.rsplit('/', 1)[-1]}:{tb[-1].lineno}" if tb else "?"
        check(f"{fn.__name__} ran without an exception", False, f"{type(exc).__name__} at {where}: {exc}")


def rows(text):
    """Parses a result or query CSV (keeps newlines inside quoted values)."""
    return list(csv.DictReader(io.StringIO(text, newline="")))


def write_csv(name, header, data):
    path = os.path.join(TMP, name)
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(data)
    return path


sf = Salesforce(instance_url=URL, session_id=TOKEN)
# simple-salesforce hard-codes https:// (clients.md §2); the bulk2 handler is rebuilt from these on access.
if URL.startswith("http://"):
    for attr in ("base_url", "apex_url", "bulk_url", "bulk2_url", "metadata_url", "tooling_url", "oauth2_url"):
        setattr(sf, attr, getattr(sf, attr).replace("https://", "http://", 1))
bulk = sf.bulk2.Account

# Values with quotes, commas, newlines, the other delimiters and non-ASCII text.
ACCOUNTS = [
    ("Acme, Inc.", 'He said "hello", then left', "10", "X-1"),
    ('Globex "The Big One"', "line one\nline two, with comma", "20", "X-2"),
    ("Initech", "", "30", "X-3"),
    ("Umbrella; Corp|Ltd", "tab\there ^caret^ `tick`", "40", "X-4"),
    ("Soylent", 'multi\n\nline "quoted"\n', "50", "X-5"),
    ("Zürich Café", "naïve – ünïcødé", "60", "X-6"),
]
ids = {}  # Ext__c -> Id


def insert_from_csv_file():
    path = write_csv("insert.csv", ["Name", "Description", "NumberOfEmployees", "Ext__c"], ACCOUNTS)
    res = bulk.insert(csv_file=path, wait=WAIT)
    eq("insert: one job", len(res), 1)
    r = res[0]
    eq("insert: numberRecordsProcessed", r["numberRecordsProcessed"], 6)
    eq("insert: numberRecordsFailed", r["numberRecordsFailed"], 0)
    # Downloaded to a file: the server's bytes, decoded as UTF-8 here.
    results_file = os.path.join(TMP, "insert-success.csv")
    bulk.get_successful_records(r["job_id"], file=results_file)
    with open(results_file, encoding="utf-8", newline="") as f:
        raw = f.read()
    check("insert: successfulResults header", raw.startswith('"sf__Id","sf__Created",Name,Description,'),
          repr(raw[:80]))
    ok = rows(raw)
    eq("insert: successful rows", len(ok), 6)
    by_ext = {row["Ext__c"]: row for row in ok}
    for name, desc, emp, ext in ACCOUNTS:
        row = by_ext.get(ext)
        if not check(f"insert: {ext} in successfulResults", row is not None, f"rows: {ok!r}"):
            continue
        eq(f"insert: {ext} Name round-trips", row["Name"], name)
        eq(f"insert: {ext} Description round-trips", row["Description"], desc)
        eq(f"insert: {ext} sf__Created", row["sf__Created"], "true")
        check(f"insert: {ext} sf__Id is an Account id", len(row["sf__Id"]) == 18 and row["sf__Id"].startswith("001"),
              repr(row["sf__Id"]))
        ids[ext] = row["sf__Id"]
    # The same results as text: requests decodes a `text/csv` response without a charset as ISO-8859-1, so
    # only the ASCII rows are compared here (the bytes were compared above).
    text_rows = {row["Ext__c"]: row for row in rows(bulk.get_successful_records(r["job_id"]))}
    eq("insert: successfulResults as text (ASCII rows)",
       [(text_rows.get(ext) or {}).get("Description") for _, _, _, ext in ACCOUNTS[:5]],
       [desc for _, desc, _, _ in ACCOUNTS[:5]])
    failed = rows(bulk.get_failed_records(r["job_id"]))
    eq("insert: failedResults empty", failed, [])
    unprocessed = bulk.get_unprocessed_records(r["job_id"])
    eq("insert: unprocessedRecords is the header only", rows(unprocessed), [])
    all_records = bulk.get_all_ingest_records(r["job_id"])
    eq("insert: get_all_ingest_records counts",
       [len(all_records[k]) for k in ("successfulRecords", "failedRecords", "unprocessedRecords")], [6, 0, 0])


def upsert_on_external_id():
    path = write_csv("upsert.csv", ["Ext__c", "Name", "NumberOfEmployees"], [
        ("X-1", "Acme, Inc. (renamed)", "11"),
        ("X-2", 'Globex "Bigger"', "21"),
        ("X-7", "Vandelay, Industries", "70"),
        ("X-8", "Hooli\nXYZ", "80"),
    ])
    res = bulk.upsert(csv_file=path, external_id_field="Ext__c", wait=WAIT)
    r = res[0]
    eq("upsert: numberRecordsProcessed", r["numberRecordsProcessed"], 4)
    eq("upsert: numberRecordsFailed", r["numberRecordsFailed"], 0)
    ok = {row["Ext__c"]: row for row in rows(bulk.get_successful_records(r["job_id"]))}
    eq("upsert: successful rows", sorted(ok), ["X-1", "X-2", "X-7", "X-8"])
    for ext in ("X-1", "X-2"):
        if ext in ok:
            eq(f"upsert: {ext} matched (sf__Created false)", ok[ext]["sf__Created"], "false")
            eq(f"upsert: {ext} kept its Id", ok[ext]["sf__Id"], ids.get(ext))
    for ext in ("X-7", "X-8"):
        if ext in ok:
            eq(f"upsert: {ext} created (sf__Created true)", ok[ext]["sf__Created"], "true")
            ids[ext] = ok[ext]["sf__Id"]
    if "X-8" in ok:
        eq("upsert: newline in Name round-trips", ok["X-8"]["Name"], "Hooli\nXYZ")


def update_with_failing_rows():
    path = write_csv("update.csv", ["Id", "NumberOfEmployees"], [
        (ids["X-3"], "33"),
        (ids["X-4"], "abc"),
        (ids["X-5"], "55"),
        (ids["X-6"], "not a number"),
    ])
    res = bulk.update(csv_file=path, wait=WAIT)
    r = res[0]
    eq("update: numberRecordsProcessed", r["numberRecordsProcessed"], 4)
    eq("update: numberRecordsFailed", r["numberRecordsFailed"], 2)
    ok = rows(bulk.get_successful_records(r["job_id"]))
    eq("update: successful Ids", sorted(row["sf__Id"] for row in ok), sorted([ids["X-3"], ids["X-5"]]))
    check("update: successful rows have sf__Created false", all(row["sf__Created"] == "false" for row in ok),
          repr(ok))
    raw_failed = bulk.get_failed_records(r["job_id"])
    check("update: failedResults header", raw_failed.startswith('"sf__Id","sf__Error",Id,NumberOfEmployees'),
          repr(raw_failed[:80]))
    failed = {row["Id"]: row for row in rows(raw_failed)}
    eq("update: failed Ids", sorted(failed), sorted([ids["X-4"], ids["X-6"]]))
    for ext, bad in (("X-4", "abc"), ("X-6", "not a number")):
        row = failed.get(ids[ext])
        if row is None:
            continue
        err = row["sf__Error"]
        check(f"update: {ext} sf__Error is INVALID_FIELD:Failed to deserialize field at col …",
              err.startswith("INVALID_FIELD:Failed to deserialize field at col ")
              and f"'{bad}' is not a valid value for the type xsd:int:NumberOfEmployees" in err, repr(err))
        eq(f"update: {ext} failed row carries its sf__Id", row["sf__Id"], ids[ext])
        eq(f"update: {ext} failed row echoes the value", row["NumberOfEmployees"], bad)
    eq("update: unprocessedRecords empty", rows(bulk.get_unprocessed_records(r["job_id"])), [])


EXPECTED_QUERY = {  # Ext__c -> (Name, Description) after insert, upsert and update
    "X-1": ("Acme, Inc. (renamed)", 'He said "hello", then left'),
    "X-2": ('Globex "Bigger"', "line one\nline two, with comma"),
    "X-3": ("Initech", ""),
    "X-4": ("Umbrella; Corp|Ltd", "tab\there ^caret^ `tick`"),
    "X-5": ("Soylent", 'multi\n\nline "quoted"\n'),
    "X-6": ("Zürich Café", "naïve – ünïcødé"),
    "X-7": ("Vandelay, Industries", ""),
    "X-8": ("Hooli\nXYZ", ""),
}


def query_over_several_pages():
    pages = list(bulk.query("SELECT Id, Name, Description, Ext__c FROM Account ORDER BY Ext__c",
                            max_records=3, wait=WAIT))
    eq("query: pages of maxRecords=3 for 8 rows", len(pages), 3)
    got = []
    for i, page in enumerate(pages):
        first = page.split("\n", 1)[0]
        check(f"query: page {i + 1} starts with the header row", first.replace('"', "") == "Id,Name,Description,Ext__c",
              repr(first))
        got.extend(rows(page))
    eq("query: Ext__c in order", [row["Ext__c"] for row in got], sorted(EXPECTED_QUERY))
    for row in got:
        want = EXPECTED_QUERY.get(row["Ext__c"])
        if want:
            eq(f"query: {row['Ext__c']} Name/Description", (row["Name"], row["Description"]), want)
            eq(f"query: {row['Ext__c']} Id", row["Id"], ids.get(row["Ext__c"]))


def delete_and_hard_delete():
    path = write_csv("delete.csv", ["Id"], [(ids["X-5"],), (ids["X-6"],)])
    r = bulk.delete(csv_file=path, wait=WAIT)[0]
    eq("delete: numberRecordsProcessed", r["numberRecordsProcessed"], 2)
    eq("delete: numberRecordsFailed", r["numberRecordsFailed"], 0)
    ok = rows(bulk.get_successful_records(r["job_id"]))
    eq("delete: successful Ids", sorted(row["sf__Id"] for row in ok), sorted([ids["X-5"], ids["X-6"]]))

    path = write_csv("hard_delete.csv", ["Id"], [(ids["X-7"],), (ids["X-8"],), ("001000000000000AAA",)])
    r = bulk.hard_delete(csv_file=path, wait=WAIT)[0]
    eq("hardDelete: numberRecordsProcessed", r["numberRecordsProcessed"], 3)
    eq("hardDelete: numberRecordsFailed (one unknown Id)", r["numberRecordsFailed"], 1)
    ok = rows(bulk.get_successful_records(r["job_id"]))
    eq("hardDelete: successful Ids", sorted(row["sf__Id"] for row in ok), sorted([ids["X-7"], ids["X-8"]]))
    failed = rows(bulk.get_failed_records(r["job_id"]))
    eq("hardDelete: failed row is the unknown Id", [row["Id"] for row in failed], ["001000000000000AAA"])
    if failed:
        check("hardDelete: failed row has an error code", ":" in failed[0]["sf__Error"], repr(failed[0]))


def query_all_after_deletes():
    pages = list(bulk.query_all("SELECT Id, IsDeleted FROM Account", wait=WAIT))
    got = {row["Id"]: row["IsDeleted"] for page in pages for row in rows(page)}
    eq("queryAll: soft-deleted rows included, hard-deleted rows gone", len(got), 6)
    eq("queryAll: IsDeleted of the soft-deleted rows", [got.get(ids[e]) for e in ("X-5", "X-6")], ["true", "true"])
    pages = list(bulk.query("SELECT Id FROM Account", wait=WAIT))
    eq("query: deleted rows are not returned", sum(len(rows(p)) for p in pages), 4)


def abort_job():
    client = bulk._client  # simple-salesforce has no public abort; this is its own low-level API
    job = client.create_job(Operation.insert)
    eq("abort: created job is Open", job.get("state"), "Open")
    client.upload_job_data(job["id"], "Name,Description\nAborted One,\"a, b\"\nAborted Two,x\n")
    res = client.abort_job(job["id"], False)
    eq("abort: PATCH answers state Aborted", res.get("state"), "Aborted")
    eq("abort: job info state", client.get_job(job["id"], False).get("state"), "Aborted")
    unprocessed = rows(bulk.get_unprocessed_records(job["id"]))
    eq("abort: unprocessedRecords are the uploaded rows", [(r["Name"], r["Description"]) for r in unprocessed],
       [("Aborted One", "a, b"), ("Aborted Two", "x")])
    eq("abort: successfulResults empty", rows(bulk.get_successful_records(job["id"])), [])
    eq("abort: failedResults empty", rows(bulk.get_failed_records(job["id"])), [])


for step in (insert_from_csv_file, upsert_on_external_id, update_with_failing_rows, query_over_several_pages,
             delete_and_hard_delete, query_all_after_deletes, abort_job):
    scenario(step)

print(f"ssf: {count - len(failures)} passed, {len(failures)} failed", flush=True)
sys.exit(1 if failures else 0)
