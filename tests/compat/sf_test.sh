#!/usr/bin/env bash
# The Salesforce CLI `sf` (npm @salesforce/cli) against a running `bulkforce serve`.
#
# Usage: BF_URL=http://127.0.0.1:PORT BF_TOKEN='00D…!…' sf_test.sh TMPDIR
# (`sf` and a Node >= 22 must be first on PATH; python3 checks the files sf writes.)
#
# Runs `sf data import|upsert|update|delete bulk`, `sf data bulk results`, `sf data export bulk` and, for
# abort (sf has no abort command), `sf api request rest … -X PATCH`. The raw access token is the target org
# (clients.md §2: it must look like `00D…!…`). Prints one line per check ("ok   …" or "FAIL …") and exits 1
# if any check failed; every scenario runs even when an earlier one failed.
#
# sf polls job state every 5 s (first poll immediate), so independent commands run in parallel to keep the
# whole script near a minute.
#
# The server must know Account.Ext__c (string, externalId) from a --schema describe file.
set -uo pipefail

: "${BF_URL:?BF_URL is required}" "${BF_TOKEN:?BF_TOKEN is required}"
TMP="${1:?usage: sf_test.sh TMPDIR}"
TMP="$(cd "$TMP" && pwd)"
cd "$TMP"

# Isolated ~/.sf state, no telemetry, no update checks, no OS keychain, the server as the org instance.
# SF_DISABLE_AUTOUPDATE is the variable oclif's update hook reads: with only SF_AUTOUPDATE_DISABLE set, an
# npm-installed sf spawns a detached `sf update --autoupdate` that lingers for an hour after the test.
export HOME="$TMP/home"
mkdir -p "$HOME"
export SF_ORG_INSTANCE_URL="$BF_URL" SF_ORG_API_VERSION=62.0 SF_DISABLE_TELEMETRY=true \
    SFDX_DISABLE_TELEMETRY=true SF_AUTOUPDATE_DISABLE=true SF_DISABLE_AUTOUPDATE=true \
    SF_SKIP_NEW_VERSION_CHECK=true SF_USE_GENERIC_UNIX_KEYCHAIN=true SF_DISABLE_DNS_CHECK=true \
    NO_COLOR=1 FORCE_COLOR=0
# sf honours HTTP(S)_PROXY and ignores NO_PROXY.
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
API=/services/data/v62.0

failed=0
passed=0

# run NAME sf-args…: runs `sf … --json` with stdout in NAME.out, stderr in NAME.err, exit status in NAME.rc.
run() {
    local name=$1
    shift
    sf "$@" --target-org "$BF_TOKEN" --json >"$name.out" 2>"$name.err"
    echo $? >"$name.rc"
}

# verify: runs the Python checks given on stdin (with the helpers below) and tallies their lines.
cat >"$TMP/prelude.py" <<'PY'
import csv, io, json, os, sys
def _line(ok, name, detail=""):
    print(("ok   sf " if ok else "FAIL sf ") + name + ("" if ok or not detail else ": " + detail), flush=True)
    return ok
def check(name, cond, detail=""):
    return _line(bool(cond), name, detail)
def eq(name, got, want):
    return check(name, got == want, f"got {got!r}, want {want!r}")
def text(path):
    with open(path, encoding="utf-8", newline="") as f:
        return f.read()
def rows(path_or_text, is_text=False):
    t = path_or_text if is_text else text(path_or_text)
    return list(csv.DictReader(io.StringIO(t, newline="")))
def out(name):
    """The JSON sf printed (stdout, or stderr for errors) and its exit status."""
    rc = int(text(name + ".rc").strip())
    for stream in ("out", "err"):
        t = text(f"{name}.{stream}").strip()
        if t.startswith("{"):
            try:
                return json.loads(t), rc
            except ValueError:
                pass
    return {"unparsed stdout": text(name + ".out")[-600:], "stderr": text(name + ".err")[-600:]}, rc
def state():
    return json.loads(text("state.json")) if os.path.exists("state.json") else {}
def save(s):
    with open("state.json", "w") as f:
        json.dump(s, f)
def short(o):
    if isinstance(o, dict) and "name" in o and "message" in o:  # an sf error: what, not where
        o = {k: o.get(k) for k in ("name", "message", "data")}
    return json.dumps(o)[:600]
PY
verify() {
    local output
    output="$(cat "$TMP/prelude.py" - | python3 - 2>&1)"
    [[ -n "$output" ]] && echo "$output"
    passed=$((passed + $(grep -c '^ok ' <<<"$output")))
    failed=$((failed + $(grep -c '^FAIL ' <<<"$output")))
    if ! grep -q -E '^(ok|FAIL) ' <<<"$output" || grep -q '^Traceback' <<<"$output"; then
        echo "FAIL sf checker crashed (see above)"
        failed=$((failed + 1))
    fi
}

# Values with quotes, commas, newlines, the other delimiters and non-ASCII text.
python3 - <<'PY'
import csv
ACCOUNTS = [
    ("Acme, Inc.", 'He said "hello", then left', "10", "S-1"),
    ('Globex "The Big One"', "line one\nline two, with comma", "20", "S-2"),
    ("Initech", "", "30", "S-3"),
    ("Umbrella; Corp|Ltd", "tab\there ^caret^ `tick`", "40", "S-4"),
    ("Soylent", 'multi\n\nline "quoted"\n', "50", "S-5"),
    ("Zürich Café", "naïve – ünïcødé", "60", "S-6"),
]
with open("insert.csv", "w", newline="", encoding="utf-8") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["Name", "Description", "NumberOfEmployees", "Ext__c"])
    w.writerows(ACCOUNTS)
with open("upsert.csv", "w", newline="", encoding="utf-8") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["Ext__c", "Name", "NumberOfEmployees"])
    w.writerows([("S-1", "Acme, Inc. (renamed)", "11"), ("S-2", 'Globex "Bigger"', "21"),
                 ("S-7", "Vandelay, Industries", "70"), ("S-8", "Hooli\nXYZ", "80")])
with open("abort.csv", "w", newline="", encoding="utf-8") as f:
    f.write('Name,Description\nAborted One,"a, b"\nAborted Two,x\n')
PY

# 1. insert from a CSV file, then its results through `sf data bulk results`.
run import data import bulk --file insert.csv --sobject Account --wait 1
verify <<'PY'
o, rc = out("import")
eq("import: exit status", rc, 0)
r = o.get("result") or {}
eq("import: processed/successful/failed", [r.get("processedRecords"), r.get("successfulRecords"),
   r.get("failedRecords")], [6, 6, 0]) or print("  sf said: " + short(o))
check("import: jobId", str(r.get("jobId", "")).startswith("750"), short(o))
save({"import_job": r.get("jobId", "")})
PY
job="$(python3 -c 'import json; print(json.load(open("state.json")).get("import_job", ""))')"
run import_results data bulk results --job-id "${job:-750000000000000AAA}"
verify <<'PY'
o, rc = out("import_results")
eq("import results: exit status", rc, 0)
r = o.get("result") or {}
s = state()
eq("import results: processed/successful/failed", [r.get("processedRecords"), r.get("successfulRecords"),
   r.get("failedRecords"), r.get("status")], [6, 6, 0, "JobComplete"]) or print("  sf said: " + short(o))
path = r.get("successFilePath") or ""
if check("import results: success file written", path and os.path.exists(path), short(o)):
    t = text(path)
    check("import results: success file header", t.startswith('"sf__Id","sf__Created",Name,Description,'),
          repr(t[:80]))
    ok = {row["Ext__c"]: row for row in rows(t, True)}
    want = {row["Ext__c"]: row for row in rows("insert.csv")}
    eq("import results: rows", sorted(ok), sorted(want))
    for ext, w in sorted(want.items()):
        if ext in ok:
            eq(f"import results: {ext} round-trips", [ok[ext][k] for k in ("Name", "Description", "NumberOfEmployees")],
               [w[k] for k in ("Name", "Description", "NumberOfEmployees")])
            eq(f"import results: {ext} sf__Created", ok[ext]["sf__Created"], "true")
            s.setdefault("ids", {})[ext] = ok[ext]["sf__Id"]
save(s)
# The update file needs the ids: two good rows, two bad numbers.
ids = s.get("ids", {})
with open("update.csv", "w", newline="", encoding="utf-8") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["Id", "NumberOfEmployees"])
    w.writerows([(ids.get("S-3", ""), "33"), (ids.get("S-4", ""), "abc"), (ids.get("S-5", ""), "55"),
                 (ids.get("S-6", ""), "1,5")])
PY

# 2. upsert on the external id (sf fetches and prints the results itself).
run upsert data upsert bulk --file upsert.csv --sobject Account --external-id Ext__c --wait 1
verify <<'PY'
o, rc = out("upsert")
eq("upsert: exit status", rc, 0) or print("  sf said: " + short(o))
r = o.get("result") or {}
info = r.get("jobInfo") or {}
eq("upsert: job counts", [info.get("state"), info.get("numberRecordsProcessed"), info.get("numberRecordsFailed")],
   ["JobComplete", 4, 0])
recs = r.get("records") or {}
ok = {row.get("Ext__c"): row for row in recs.get("successfulResults") or []}
s = state()
ids = s.get("ids", {})
eq("upsert: successful rows", sorted(ok), ["S-1", "S-2", "S-7", "S-8"])
for ext in ("S-1", "S-2"):
    if ext in ok:
        eq(f"upsert: {ext} matched (sf__Created false, same Id)", [ok[ext]["sf__Created"], ok[ext]["sf__Id"]],
           ["false", ids.get(ext)])
for ext in ("S-7", "S-8"):
    if ext in ok:
        eq(f"upsert: {ext} created (sf__Created true)", ok[ext]["sf__Created"], "true")
        ids[ext] = ok[ext]["sf__Id"]
if "S-8" in ok:
    eq("upsert: newline in Name round-trips", ok["S-8"]["Name"], "Hooli\nXYZ")
eq("upsert: failedResults/unprocessedRecords empty", [recs.get("failedResults"), recs.get("unprocessedRecords")],
   [[], []])
save(s)
with open("delete.csv", "w") as f:
    f.write("Id\n" + ids.get("S-5", "") + "\n" + ids.get("S-6", "") + "\n")
with open("hard_delete.csv", "w") as f:
    f.write("Id\n" + ids.get("S-7", "") + "\n" + ids.get("S-8", "") + "\n001000000000000AAA\n")
PY

# 3. update with failing rows: sf exits 1 with FailedRecordDetailsError; the failures come from results.
run update data update bulk --file update.csv --sobject Account --wait 1
verify <<'PY'
o, rc = out("update")
eq("update: exit status 1 (some rows failed)", rc, 1)
eq("update: error name", o.get("name"), "FailedRecordDetailsError") or print("  sf said: " + short(o))
job = (o.get("data") or {}).get("jobId", "")
check("update: error carries the jobId", str(job).startswith("750"), short(o))
s = state(); s["update_job"] = job; save(s)
PY
job="$(python3 -c 'import json; print(json.load(open("state.json")).get("update_job", ""))')"
run update_results data bulk results --job-id "${job:-750000000000000AAA}"
verify <<'PY'
o, rc = out("update_results")
eq("update results: exit status", rc, 0)
r = o.get("result") or {}
eq("update results: processed/successful/failed", [r.get("processedRecords"), r.get("successfulRecords"),
   r.get("failedRecords")], [4, 2, 2]) or print("  sf said: " + short(o))
ids = state().get("ids", {})
path = r.get("successFilePath") or ""
if check("update results: success file written", path and os.path.exists(path), short(o)):
    eq("update results: successful Ids", sorted(row["sf__Id"] for row in rows(path)),
       sorted([ids.get("S-3"), ids.get("S-5")]))
path = r.get("failedFilePath") or ""
if check("update results: failed file written", path and os.path.exists(path), short(o)):
    t = text(path)
    check("update results: failed file header", t.startswith('"sf__Id","sf__Error",Id,NumberOfEmployees'),
          repr(t[:80]))
    failed = {row["Id"]: row for row in rows(t, True)}
    eq("update results: failed Ids", sorted(failed), sorted([ids.get("S-4"), ids.get("S-6")]))
    for ext, bad in (("S-4", "abc"), ("S-6", "1,5")):
        row = failed.get(ids.get(ext))
        if row:
            err = row["sf__Error"]
            check(f"update results: {ext} sf__Error is INVALID_FIELD:Failed to deserialize field at col …",
                  err.startswith("INVALID_FIELD:Failed to deserialize field at col ")
                  and f"'{bad}' is not a valid value for the type xsd:int:NumberOfEmployees" in err, repr(err))
PY

# 4. delete, hardDelete and abort, in parallel (independent records and jobs).
run delete data delete bulk --file delete.csv --sobject Account --wait 1 &
run hard_delete data delete bulk --hard-delete --file hard_delete.csv --sobject Account --wait 1 &
(
    run abort_create api request rest "$API/jobs/ingest" -X POST -b '{"object":"Account","operation":"insert"}'
    abort_job="$(python3 -c 'import json; print(json.load(open("abort_create.out"))["result"]["body"]["id"])' \
        2>/dev/null)"
    abort_job="${abort_job:-750000000000000AAA}"
    run abort_upload api request rest "$API/jobs/ingest/$abort_job/batches" -X PUT -H 'Content-Type: text/csv' \
        -b @abort.csv
    run abort_patch api request rest "$API/jobs/ingest/$abort_job" -X PATCH -b '{"state":"Aborted"}'
    run abort_unprocessed api request rest "$API/jobs/ingest/$abort_job/unprocessedrecords"
) &
wait
verify <<'PY'
ids = state().get("ids", {})
o, rc = out("delete")
eq("delete: exit status", rc, 0) or print("  sf said: " + short(o))
r = o.get("result") or {}
recs = r.get("records") or {}
eq("delete: successful Ids", sorted(row.get("sf__Id") for row in recs.get("successfulResults") or []),
   sorted([ids.get("S-5"), ids.get("S-6")]))
eq("delete: job counts", [(r.get("jobInfo") or {}).get(k) for k in ("numberRecordsProcessed", "numberRecordsFailed")],
   [2, 0])

o, rc = out("hard_delete")
# One unknown Id fails, so sf exits 1 (FailedRecordDetailsError), like update.
eq("hardDelete: exit status 1 (one unknown Id)", rc, 1)
eq("hardDelete: error name", o.get("name"), "FailedRecordDetailsError") or print("  sf said: " + short(o))
s = state(); s["hard_delete_job"] = (o.get("data") or {}).get("jobId", ""); save(s)

# `sf api request rest --json` answers {"status", "result": {"statusCode", "headers", "body"}}.
def rest(name):
    o, rc = out(name)
    r = o.get("result") or {}
    return rc, r.get("statusCode"), r.get("body"), o
rc, status, body, o = rest("abort_create")
eq("abort: create job (api request rest POST) answers 200, state Open",
   [rc, status, (body or {}).get("state") if isinstance(body, dict) else body], [0, 200, "Open"])
rc, status, body, o = rest("abort_upload")
eq("abort: upload (api request rest PUT) answers 201", [rc, status], [0, 201]) or print("  sf said: " + short(o))
rc, status, body, o = rest("abort_patch")
eq("abort: PATCH {state: Aborted} answers 200, state Aborted",
   [rc, status, body.get("state") if isinstance(body, dict) else body], [0, 200, "Aborted"]) \
   or print("  sf said: " + short(o))
rc, status, body, o = rest("abort_unprocessed")
eq("abort: unprocessedrecords answers 200", [rc, status], [0, 200]) or print("  sf said: " + short(o))
if isinstance(body, str):
    eq("abort: unprocessedrecords are the uploaded rows",
       [(r.get("Name"), r.get("Description")) for r in rows(body, True)],
       [("Aborted One", "a, b"), ("Aborted Two", "x")])
else:
    check("abort: unprocessedrecords body is CSV text", False, short(o))
PY
# hardDelete's results (sf does not print them when it exits 1).
job="$(python3 -c 'import json; print(json.load(open("state.json")).get("hard_delete_job", ""))')"
run hard_delete_results data bulk results --job-id "${job:-750000000000000AAA}" &

# 5. queries: the export writes the whole result (sf reads every page) as CSV and as JSON.
soql="SELECT Id, Name, Description, Ext__c FROM Account ORDER BY Ext__c"
run export_csv data export bulk --query "$soql" --output-file export.csv --result-format csv --wait 1 &
run export_json data export bulk --query "$soql" --output-file export.json --result-format json --wait 1 &
wait
verify <<'PY'
ids = state().get("ids", {})
o, rc = out("hard_delete_results")
r = o.get("result") or {}
eq("hardDelete results: processed/successful/failed", [rc, r.get("processedRecords"), r.get("successfulRecords"),
   r.get("failedRecords")], [0, 3, 2, 1]) or print("  sf said: " + short(o))
if r.get("successFilePath") and os.path.exists(r["successFilePath"]):
    eq("hardDelete results: successful Ids", sorted(row["sf__Id"] for row in rows(r["successFilePath"])),
       sorted([ids.get("S-7"), ids.get("S-8")]))
if r.get("failedFilePath") and os.path.exists(r["failedFilePath"]):
    eq("hardDelete results: failed row is the unknown Id", [row["Id"] for row in rows(r["failedFilePath"])],
       ["001000000000000AAA"])

# After the deletes: S-1..S-4 remain.
expected = {
    "S-1": ("Acme, Inc. (renamed)", 'He said "hello", then left'),
    "S-2": ('Globex "Bigger"', "line one\nline two, with comma"),
    "S-3": ("Initech", ""),
    "S-4": ("Umbrella; Corp|Ltd", "tab\there ^caret^ `tick`"),
}
o, rc = out("export_csv")
eq("export csv: exit status", rc, 0) or print("  sf said: " + short(o))
eq("export csv: totalSize", (o.get("result") or {}).get("totalSize"), 4)
if check("export csv: file written", os.path.exists("export.csv")):
    got = rows("export.csv")
    eq("export csv: Ext__c in order", [row.get("Ext__c") for row in got], sorted(expected))
    for row in got:
        if row.get("Ext__c") in expected:
            eq(f"export csv: {row['Ext__c']} Id/Name/Description",
               (row.get("Id"), row.get("Name"), row.get("Description")),
               (ids.get(row["Ext__c"]),) + expected[row["Ext__c"]])
o, rc = out("export_json")
eq("export json: exit status", rc, 0) or print("  sf said: " + short(o))
if check("export json: file written", os.path.exists("export.json")):
    try:
        got = json.loads(text("export.json"))
    except ValueError as e:
        got = None
        check("export json: file is valid JSON", False, f"{e}: {text('export.json')[:300]!r}")
    if got is not None:
        eq("export json: Ext__c in order", [row.get("Ext__c") for row in got], sorted(expected))
        for row in got:
            if row.get("Ext__c") in expected:
                eq(f"export json: {row['Ext__c']} Name/Description", (row.get("Name"), row.get("Description") or ""),
                   expected[row["Ext__c"]])
PY

echo "sf: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
