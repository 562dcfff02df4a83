#!/usr/bin/env python3
"""simple-salesforce (PyPI) writing records through the REST API of a running `bulkforce serve --tls`.

Usage: BF_URL=https://127.0.0.1:PORT BF_CA=…/tls/cert.pem BF_TOKEN=00D…!… ssf_rest_test.py TMPDIR
(REQUESTS_CA_BUNDLE should name BF_CA too: requests lets it override session.verify, clients.md §2.)

Over https because simple-salesforce's SFType (`sf.Account`) builds its own `https://` URLs and, unlike the
bulk2 handler, cannot be pointed at plain http. Drives simple-salesforce's own calls at its default API
version (59.0):
  - sf.Account.create / get (with and without `fields`) / update / upsert on the external id Ext__c
    (created 201, updated 200) / get_by_custom_id / delete;
  - the errors Salesforce answers for bad records (status, errorCode, fields, message);
  - sf.Contact.create / update naming the parent Account by its external id;
  - sf.restful('composite', …) with references between subrequests and allOrNone, and
    sf.restful('composite/batch', …) with and without haltOnError;
  - the API usage simple-salesforce reads from Sforce-Limit-Info (a composite is one call);
  - sf.Account.updated / deleted over a window of the server's clock (frozen through the control API, so
    that the minute-granular window is exact).

Prints one line per check ("ok   …" or "FAIL …") and exits 1 if any check failed. A scenario that raises is
reported as a failed check and the next scenario still runs.

The server must know Account.Ext__c (string, externalId, unique) from a --schema describe file.
"""

import os
import sys
import traceback
from datetime import datetime, timezone

import requests
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceError

URL = os.environ["BF_URL"].rstrip("/")
CA = os.environ["BF_CA"]
TOKEN = os.environ["BF_TOKEN"]
VERSION = "59.0"  # simple-salesforce's default, spelled out for the composite subrequest URLs

failures = []
count = 0


def check(name, cond, detail=""):
    global count
    count += 1
    if cond:
        print(f"ok   ssf-rest {name}", flush=True)
    else:
        failures.append(name)
        print(f"FAIL ssf-rest {name}" + (f": {detail}" if detail else ""), flush=True)
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


def refused(name, call, status, exc_class, error_code, fields=None, message=None):
    """Checks that CALL raises simple-salesforce's exception for STATUS with Salesforce's error envelope
    (`[{"errorCode", "message", "fields"}]`); returns the first error."""
    try:
        result = call()
    except SalesforceError as exc:
        eq(f"{name}: {status} {exc_class}", (exc.status, type(exc).__name__), (status, exc_class))
        content = exc.content
        if not check(f"{name}: the body is an error array", isinstance(content, list) and content
                     and isinstance(content[0], dict), repr(content)):
            return None
        err = content[0]
        eq(f"{name}: errorCode", err.get("errorCode"), error_code)
        if fields is not None:
            eq(f"{name}: fields", err.get("fields"), fields)
        if message is not None:
            eq(f"{name}: message", err.get("message"), message)
        return err
    check(f"{name}: refused", False, f"it answered {result!r}")
    return None


def is_id(value, prefix):
    return isinstance(value, str) and len(value) == 18 and value.startswith(prefix)


session = requests.Session()
session.verify = CA
sf = Salesforce(instance_url=URL, session_id=TOKEN, session=session)
accounts = sf.Account
ids = {}  # label -> Id


def control(method, path, body=None):
    """The server's control API (no part of Salesforce): the clock."""
    res = session.request(method, f"{URL}/_bulkforce/{path}", json=body,
                          headers={"Authorization": f"Bearer {TOKEN}"})
    check(f"control {method} {path} answers 200", res.status_code == 200, f"{res.status_code} {res.text[:200]}")
    return res


def create_and_get():
    res = accounts.create({"Name": "REST One", "NumberOfEmployees": 5, "Description": "first", "Ext__c": "R-1"})
    check("create: an Account id", is_id(res.get("id"), "001"), repr(res))
    eq("create: success and no errors", (res.get("success"), res.get("errors")), (True, []))
    ids["R-1"] = res.get("id")
    usage = accounts.api_usage.get("api-usage")
    check("create: Sforce-Limit-Info parsed into api_usage (the org's default 100000 a day)",
          usage is not None and usage.total == 100000 and usage.used >= 1, repr(accounts.api_usage))
    rec = accounts.get(ids["R-1"])
    eq("get: counted as one more API call", accounts.api_usage.get("api-usage").used, usage.used + 1)
    eq("get: attributes", rec.get("attributes"),
       {"type": "Account", "url": f"/services/data/v{VERSION}/sobjects/Account/{ids['R-1']}"})
    eq("get: Id, Name, NumberOfEmployees, Description, Ext__c",
       [rec.get(k) for k in ("Id", "Name", "NumberOfEmployees", "Description", "Ext__c")],
       [ids["R-1"], "REST One", 5, "first", "R-1"])
    check("get: every field, IsDeleted false", rec.get("IsDeleted") is False and "CreatedDate" in rec, repr(rec))
    rec = accounts.get(ids["R-1"], params={"fields": "Name,Ext__c"})
    eq("get ?fields=Name,Ext__c: the fields asked for", (rec.get("Name"), rec.get("Ext__c")), ("REST One", "R-1"))
    check("get ?fields=Name,Ext__c: not the others", "Description" not in rec and "NumberOfEmployees" not in rec,
          repr(sorted(rec)))
    refused("get an unknown id", lambda: accounts.get("001000000000000AAA"), 404, "SalesforceResourceNotFound",
            "NOT_FOUND")


def update():
    status = accounts.update(ids["R-1"], {"Description": "updated", "NumberOfEmployees": None})
    eq("update: 204", status, 204)
    rec = accounts.get(ids["R-1"])
    eq("update: Description set, NumberOfEmployees cleared by null, Name kept",
       [rec.get(k) for k in ("Description", "NumberOfEmployees", "Name")], ["updated", None, "REST One"])
    check("update: LastModifiedDate in Salesforce's format",
          isinstance(rec.get("LastModifiedDate"), str) and rec["LastModifiedDate"].endswith("+0000"),
          repr(rec.get("LastModifiedDate")))


def upsert_on_external_id():
    status = accounts.upsert("Ext__c/R-2", {"Name": "Upserted", "NumberOfEmployees": 20})
    eq("upsert: no match creates (201)", status, 201)
    rec = accounts.get_by_custom_id("Ext__c", "R-2")
    check("get_by_custom_id: an Account id", is_id(rec.get("Id"), "001"), repr(rec))
    ids["R-2"] = rec.get("Id")
    eq("get_by_custom_id: Name, NumberOfEmployees, Ext__c",
       [rec.get(k) for k in ("Name", "NumberOfEmployees", "Ext__c")], ["Upserted", 20, "R-2"])
    eq("get_by_custom_id: attributes.url names the record Id", (rec.get("attributes") or {}).get("url"),
       f"/services/data/v{VERSION}/sobjects/Account/{ids['R-2']}")
    res = accounts.upsert("Ext__c/R-2", {"Name": "Upserted again"}, raw_response=True)
    eq("upsert: one match updates (200 from v46.0 on)", res.status_code, 200)
    body = res.json()
    eq("upsert: the update's body", body, {"id": ids["R-2"], "success": True, "errors": [], "created": False})
    rec = accounts.get_by_custom_id("Ext__c", "R-2")
    eq("upsert: the same record renamed, other fields kept", [rec.get(k) for k in ("Id", "Name", "NumberOfEmployees")],
       [ids["R-2"], "Upserted again", 20])
    res = accounts.upsert("Ext__c/R-3", {"Name": "Third"}, raw_response=True)
    eq("upsert: created answers 201", res.status_code, 201)
    body = res.json()
    check("upsert: the create's body has the id and created true",
          is_id(body.get("id"), "001") and body.get("created") is True and body.get("success") is True, repr(body))
    ids["R-3"] = body.get("id")
    refused("get_by_custom_id with an unknown value", lambda: accounts.get_by_custom_id("Ext__c", "R-404"), 404,
            "SalesforceResourceNotFound", "NOT_FOUND")


def bad_records():
    refused("create without Name", lambda: accounts.create({"Description": "no name"}), 400,
            "SalesforceMalformedRequest", "REQUIRED_FIELD_MISSING", fields=["Name"],
            message="Required fields are missing: [Name]")
    refused("create with an unknown field", lambda: accounts.create({"Name": "x", "Bogus__c": 1}), 400,
            "SalesforceMalformedRequest", "INVALID_FIELD",
            message="No such column 'Bogus__c' on sobject of type Account")
    err = refused("create with a 256-character Name", lambda: accounts.create({"Name": "n" * 256}), 400,
                  "SalesforceMalformedRequest", "STRING_TOO_LONG", fields=["Name"])
    if err:
        check("create with a 256-character Name: message names the limit", "max length=255" in err.get("message", ""),
              repr(err.get("message")))
    err = refused("create with a taken Ext__c", lambda: accounts.create({"Name": "dup", "Ext__c": "R-1"}), 400,
                  "SalesforceMalformedRequest", "DUPLICATE_VALUE")
    if err:
        # Salesforce names the holder by its 15-character id in this message.
        check("create with a taken Ext__c: message names the record", ids["R-1"][:15] in err.get("message", ""),
              repr(err.get("message")))
    refused("update with a malformed id", lambda: accounts.update("001000000000000ZZZ", {"Name": "x"}), 400,
            "SalesforceMalformedRequest", "MALFORMED_ID", fields=["Id"])
    refused("update clearing Name", lambda: accounts.update(ids["R-1"], {"Name": None}), 400,
            "SalesforceMalformedRequest", "REQUIRED_FIELD_MISSING", fields=["Name"])
    eq("no refused write changed anything", accounts.get(ids["R-1"]).get("Name"), "REST One")
    total = sf.query("SELECT COUNT() FROM Account").get("totalSize")
    eq("no refused create left a record (R-1, R-2, R-3)", total, 3)


def parent_by_external_id():
    res = sf.Contact.create({"LastName": "Linked", "Account": {"Ext__c": "R-1"}})
    check("create Contact with Account by Ext__c: a Contact id", is_id(res.get("id"), "003"), repr(res))
    eq("create Contact with Account by Ext__c: AccountId is R-1's", sf.Contact.get(res.get("id")).get("AccountId"),
       ids["R-1"])
    eq("update Contact with Account by Ext__c: 204", sf.Contact.update(res.get("id"), {"Account": {"Ext__c": "R-2"}}),
       204)
    eq("update Contact with Account by Ext__c: AccountId is R-2's", sf.Contact.get(res.get("id")).get("AccountId"),
       ids["R-2"])
    refused("create Contact with an unknown parent Ext__c",
            lambda: sf.Contact.create({"LastName": "Orphan", "Account": {"Ext__c": "R-404"}}), 400,
            "SalesforceMalformedRequest", "INVALID_FIELD",
            message="Foreign key external ID: R-404 not found for field Ext__c in entity Account")


def delete():
    eq("delete: 204", accounts.delete(ids["R-3"]), 204)
    refused("delete again", lambda: accounts.delete(ids["R-3"]), 404, "SalesforceResourceNotFound",
            "ENTITY_IS_DELETED", message="entity is deleted")
    res = sf.query_all(f"SELECT Id, IsDeleted FROM Account WHERE Id = '{ids['R-3']}'", include_deleted=True)
    eq("delete: the record is in the recycle bin (queryAll IsDeleted)",
       [r.get("IsDeleted") for r in res.get("records", [])], [True])


def composite():
    base = f"/services/data/v{VERSION}"
    body = {
        "allOrNone": True,
        "compositeRequest": [
            {"method": "POST", "url": f"{base}/sobjects/Account", "referenceId": "acc",
             "body": {"Name": "Composite Co", "Ext__c": "C-1"}},
            {"method": "POST", "url": f"{base}/sobjects/Contact", "referenceId": "con",
             "body": {"LastName": "Composite", "AccountId": "@{acc.id}"}},
            {"method": "GET", "url": f"{base}/query?q=SELECT+Id,AccountId+FROM+Contact+WHERE+AccountId='@{{acc.id}}'",
             "referenceId": "q"},
            {"method": "PATCH", "url": f"{base}/sobjects/Account/@{{acc.id}}", "referenceId": "upd",
             "body": {"Description": "contact @{q.records[0].Id}"}},
            {"method": "GET", "url": f"{base}/sobjects/Account/Ext__c/C-1?fields=Name,Description",
             "referenceId": "get"},
        ],
    }
    sf.restful("limits")
    before = sf.api_usage["api-usage"].used
    res = sf.restful("composite", method="POST", json=body)
    eq("composite: five subrequests count as one API call", sf.api_usage["api-usage"].used, before + 1)
    subs = (res or {}).get("compositeResponse") or []
    eq("composite: one answer per subrequest, in order", [s.get("referenceId") for s in subs],
       ["acc", "con", "q", "upd", "get"])
    eq("composite: statuses", [s.get("httpStatusCode") for s in subs], [201, 201, 200, 204, 200])
    if len(subs) != 5:
        return
    acc_id = (subs[0].get("body") or {}).get("id")
    con_id = (subs[1].get("body") or {}).get("id")
    check("composite: create bodies carry the ids", is_id(acc_id, "001") and is_id(con_id, "003"), repr(subs[:2]))
    eq("composite: 201 carries Location", (subs[0].get("httpHeaders") or {}).get("Location"),
       f"{base}/sobjects/Account/{acc_id}")
    eq("composite: the query saw the contact made with @{acc.id}",
       [(r.get("Id"), r.get("AccountId")) for r in (subs[2].get("body") or {}).get("records", [])], [(con_id, acc_id)])
    eq("composite: 204 has a null body", subs[3].get("body"), None)
    eq("composite: the GET by external id saw the PATCH", ((subs[4].get("body") or {}).get("Name"),
       (subs[4].get("body") or {}).get("Description")), ("Composite Co", f"contact {con_id}"))
    ids["C-1"] = acc_id

    failing = {
        "allOrNone": True,
        "compositeRequest": [
            {"method": "POST", "url": f"{base}/sobjects/Account", "referenceId": "ok",
             "body": {"Name": "Rolled Back Co"}},
            {"method": "POST", "url": f"{base}/sobjects/Account", "referenceId": "bad",
             "body": {"Description": "no name"}},
        ],
    }
    res = sf.restful("composite", method="POST", json=failing)
    subs = (res or {}).get("compositeResponse") or []
    eq("composite allOrNone: both answer 400", [s.get("httpStatusCode") for s in subs], [400, 400])
    if len(subs) == 2:
        eq("composite allOrNone: the good one is halted",
           [e.get("errorCode") for e in subs[0].get("body") or []], ["PROCESSING_HALTED"])
        eq("composite allOrNone: the bad one has its own error",
           [e.get("errorCode") for e in subs[1].get("body") or []], ["REQUIRED_FIELD_MISSING"])
    eq("composite allOrNone: nothing was kept",
       sf.query("SELECT Id FROM Account WHERE Name = 'Rolled Back Co'").get("totalSize"), 0)


def composite_batch():
    """Independent subrequests, each committed on its own; haltOnError skips what follows a failure."""
    batch = {
        "haltOnError": True,
        "batchRequests": [
            {"method": "PATCH", "url": f"v{VERSION}/sobjects/Account/{ids['R-1']}", "richInput": {"Site": "batch"}},
            {"method": "PATCH", "url": f"v{VERSION}/sobjects/Account/{ids['R-1']}", "richInput": {"Name": None}},
            {"method": "GET", "url": f"v{VERSION}/sobjects/Account/{ids['R-1']}?fields=Site"},
        ],
    }
    res = sf.restful("composite/batch", method="POST", json=batch) or {}
    eq("composite/batch: hasErrors", res.get("hasErrors"), True)
    results = res.get("results") or []
    eq("composite/batch: 204, 400, then 412 after the failure", [r.get("statusCode") for r in results], [204, 400, 412])
    if len(results) == 3:
        eq("composite/batch: the failure's result is the REST error",
           [e.get("errorCode") for e in results[1].get("result") or []], ["REQUIRED_FIELD_MISSING"])
        eq("composite/batch: the skipped one is BATCH_PROCESSING_HALTED",
           [e.get("errorCode") for e in results[2].get("result") or []], ["BATCH_PROCESSING_HALTED"])
    eq("composite/batch: the first PATCH was kept (no rollback)", accounts.get(ids["R-1"]).get("Site"), "batch")
    batch["haltOnError"] = False
    res = sf.restful("composite/batch", method="POST", json=batch) or {}
    eq("composite/batch without haltOnError: 204, 400, 200", [r.get("statusCode") for r in res.get("results") or []],
       [204, 400, 200])
    eq("composite/batch without haltOnError: the GET ran", ((res.get("results") or [{}] * 3)[2].get("result") or {})
       .get("Site"), "batch")


def updated_and_deleted():
    """Writes at a frozen 10:00:20, then reads the window 10:00–10:10 once the clock is at 10:20."""
    control("PUT", "clock", {"now": "2031-03-10T10:00:20Z"})
    try:
        res = accounts.create({"Name": "Synced", "Ext__c": "S-1"})
        synced = res.get("id")
        eq("sync: update in the window", accounts.update(ids["R-1"], {"Description": "synced"}), 204)
        eq("sync: delete in the window", accounts.delete(ids["R-2"]), 204)
        control("PUT", "clock", {"now": "2031-03-10T10:20:00Z"})
        start = datetime(2031, 3, 10, 10, 0, tzinfo=timezone.utc)
        end = datetime(2031, 3, 10, 10, 10, tzinfo=timezone.utc)
        res = accounts.updated(start, end)
        # Live records only: the record deleted in the window is deleted()'s to report.
        eq("updated: the created and the updated record", sorted(res.get("ids") or []), sorted([synced, ids["R-1"]]))
        eq("updated: latestDateCovered is the end", res.get("latestDateCovered"), "2031-03-10T10:10:00.000+0000")
        res = accounts.deleted(start, end)
        eq("deleted: the deleted record with its date", res.get("deletedRecords"),
           [{"id": ids["R-2"], "deletedDate": "2031-03-10T10:00:20.000+0000"}])
        check("deleted: earliestDateAvailable", isinstance(res.get("earliestDateAvailable"), str)
              and res["earliestDateAvailable"].endswith("+0000"), repr(res))
        eq("deleted: latestDateCovered is the end", res.get("latestDateCovered"), "2031-03-10T10:10:00.000+0000")
        later = accounts.updated(datetime(2031, 3, 10, 10, 1, tzinfo=timezone.utc), end)
        eq("updated: nothing after 10:01", later.get("ids"), [])
        refused("updated with end before start", lambda: accounts.updated(end, start), 400,
                "SalesforceMalformedRequest", "INVALID_REPLICATION_DATE")
    finally:
        control("DELETE", "clock")


def derived_opportunity_fields():
    """Values the org derives: an Opportunity at a closed stage reads back closed and won, with the stage's
    probability and forecast category; a new stage brings its own."""
    opportunities = sf.Opportunity
    res = opportunities.create({"Name": "SSF Derived", "StageName": "Closed Won", "CloseDate": "2026-06-30"})
    check("derived: an Opportunity id", is_id(res.get("id"), "006"), repr(res))
    rec = opportunities.get(res.get("id"))
    eq("derived: Closed Won is closed and won, probability 100, forecast Closed",
       [rec.get(k) for k in ("IsClosed", "IsWon", "Probability", "ForecastCategory")], [True, True, 100, "Closed"])
    opportunities.update(res.get("id"), {"StageName": "Closed Lost"})
    found = sf.query(f"SELECT IsClosed, IsWon, Probability, ForecastCategoryName FROM Opportunity WHERE Id = '{res.get('id')}'")
    eq("derived: Closed Lost is closed, not won, probability 0, forecast Omitted",
       [[r.get(k) for k in ("IsClosed", "IsWon", "Probability", "ForecastCategoryName")] for r in found["records"]],
       [[True, False, 0, "Omitted"]])


for step in (create_and_get, update, upsert_on_external_id, bad_records, parent_by_external_id, delete, composite,
             composite_batch, updated_and_deleted, derived_opportunity_fields):
    scenario(step)

print(f"ssf-rest: {count - len(failures)} passed, {len(failures)} failed", flush=True)
sys.exit(1 if failures else 0)
