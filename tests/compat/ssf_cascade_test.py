#!/usr/bin/env python3
"""simple-salesforce (PyPI): deletes as an org does them, against a running `bulkforce serve --tls`.

Usage: BF_URL=https://127.0.0.1:PORT BF_CA=…/tls/cert.pem BF_TOKEN=00D…!… ssf_cascade_test.py TMPDIR
(REQUESTS_CA_BUNDLE should name BF_CA too.)

Deleting an Account (sf.Account.delete over REST, then sf.bulk2.Account.delete) takes its Contacts and
Opportunities to the recycle bin: sf.query no longer finds them, sf.query_all(include_deleted=True) shows
them with IsDeleted true; a child account's ParentId is cleared. sf.bulk2.Account.hard_delete of an
account in the recycle bin removes what was deleted with it. Prints one line per check ("ok   …" or
"FAIL …") and exits 1 if any check failed.
"""

import csv
import os
import sys
import traceback

import requests
from simple_salesforce import Salesforce

URL = os.environ["BF_URL"].rstrip("/")
CA = os.environ["BF_CA"]
TOKEN = os.environ["BF_TOKEN"]
TMP = sys.argv[1]
WAIT = 0.5

failures = []
count = 0


def check(name, cond, detail=""):
    global count
    count += 1
    if cond:
        print(f"ok   ssf-cascade {name}", flush=True)
    else:
        failures.append(name)
        print(f"FAIL ssf-cascade {name}" + (f": {detail}" if detail else ""), flush=True)
    return cond


def eq(name, got, want):
    return check(name, got == want, f"got {got!r}, want {want!r}")


def scenario(fn):
    try:
        fn()
    except Exception as exc:  # noqa: BLE001 - any client exception is a finding
        tb = traceback.extract_tb(exc.__traceback__)
        where = f"{tb[-1].filename.rsplit('/', 1)[-1]}:{tb[-1].lineno}" if tb else "?"
        check(f"{fn.__name__} ran without an exception", False, f"{type(exc).__name__} at {where}: {exc}")


session = requests.Session()
session.verify = CA
sf = Salesforce(instance_url=URL, session_id=TOKEN, session=session)


def family(name):
    """An Account with a Contact, an Opportunity and a child account; their ids."""
    account = sf.Account.create({"Name": name})["id"]
    return {
        "account": account,
        "contact": sf.Contact.create({"LastName": f"Of {name}", "AccountId": account})["id"],
        "opportunity": sf.Opportunity.create({"Name": f"{name} Deal", "StageName": "Prospecting",
                                              "CloseDate": "2026-06-30", "AccountId": account})["id"],
        "child": sf.Account.create({"Name": f"{name} Sub", "ParentId": account})["id"],
    }


def deleted_flags(object_name, ids):
    """IsDeleted by Id over queryAll, for the records of IDS still stored."""
    quoted = ", ".join(f"'{i}'" for i in ids)
    found = sf.query_all(f"SELECT Id, IsDeleted FROM {object_name} WHERE Id IN ({quoted})",
                         include_deleted=True)
    return {r["Id"]: r["IsDeleted"] for r in found["records"]}


def assert_cascaded(label, f):
    for object_name in ("Contact", "Opportunity"):
        key = object_name.lower()
        live = sf.query(f"SELECT Id FROM {object_name} WHERE Id = '{f[key]}'")
        eq(f"{label}: the {object_name} is gone from query", live["totalSize"], 0)
        eq(f"{label}: queryAll shows the {object_name} deleted", deleted_flags(object_name, [f[key]]),
           {f[key]: True})
    eq(f"{label}: queryAll shows the Account deleted", deleted_flags("Account", [f["account"]]),
       {f["account"]: True})
    child = sf.Account.get(f["child"])
    eq(f"{label}: the child account stays, its ParentId cleared", (child.get("IsDeleted"), child.get("ParentId")),
       (False, None))


def write_ids(name, ids):
    path = os.path.join(TMP, name)
    with open(path, "w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["Id"])
        writer.writerows([i] for i in ids)
    return path


state = {}


def rest_delete_cascades():
    f = family("SSF Rest")
    state["rest"] = f
    eq("REST delete answers 204", sf.Account.delete(f["account"]), 204)
    assert_cascaded("REST delete", f)


def bulk_delete_cascades():
    f = family("SSF Bulk")
    res = sf.bulk2.Account.delete(csv_file=write_ids("delete.csv", [f["account"]]), wait=WAIT)[0]
    eq("bulk delete: no failed row", res["numberRecordsFailed"], 0)
    assert_cascaded("bulk delete", f)


def hard_delete_removes_what_cascaded():
    f = state["rest"]
    res = sf.bulk2.Account.hard_delete(csv_file=write_ids("hard.csv", [f["account"]]), wait=WAIT)[0]
    eq("hardDelete: no failed row", res["numberRecordsFailed"], 0)
    eq("hardDelete: the Account is gone from queryAll", deleted_flags("Account", [f["account"]]), {})
    eq("hardDelete: its Contact is gone too", deleted_flags("Contact", [f["contact"]]), {})
    eq("hardDelete: its Opportunity is gone too", deleted_flags("Opportunity", [f["opportunity"]]), {})


for step in (rest_delete_cascades, bulk_delete_cascades, hard_delete_removes_what_cascaded):
    scenario(step)

print(f"ssf-cascade: {count - len(failures)} passed, {len(failures)} failed", flush=True)
sys.exit(1 if failures else 0)
