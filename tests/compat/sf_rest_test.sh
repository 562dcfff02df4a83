#!/usr/bin/env bash
# The Salesforce CLI `sf` (npm @salesforce/cli) writing records through the REST API of a running
# `bulkforce serve`.
#
# Usage: BF_URL=http://127.0.0.1:PORT BF_TOKEN='00D…!…' sf_rest_test.sh TMPDIR
# (`sf` and a Node >= 22 must be first on PATH; python3 checks what sf prints and writes.)
#
# Runs `sf data create record`, `data get record` (by id and by --where), `data update record` (by id and
# by --where), `data delete record`, with the errors Salesforce answers for bad records; `sf data import tree`
# from a records file (an Account with nested Contacts: POST /composite/tree/Account), from a plan (sf
# replaces `@AccountRef1` references between files and within a file by the ids of earlier requests), and a
# file the server refuses whole (nothing kept); `sf data export tree` (a REST query plus describe) as one
# file and as a plan, whose re-import rebuilds the same parent links. The raw access token is the target org
# (clients.md §2). Prints one line per check ("ok   …" or "FAIL …") and exits 1 if any check failed; every
# step runs even when an earlier one failed.
#
# The server must know Account.Ext__c (string, externalId, unique) from a --schema describe file.
set -uo pipefail

: "${BF_URL:?BF_URL is required}" "${BF_TOKEN:?BF_TOKEN is required}"
TMP="${1:?usage: sf_rest_test.sh TMPDIR}"
TMP="$(cd "$TMP" && pwd)"
cd "$TMP"

# Isolated ~/.sf state, no telemetry, no update checks, no OS keychain, the server as the org instance
# (see sf_test.sh for why SF_DISABLE_AUTOUPDATE matters).
export HOME="$TMP/home"
mkdir -p "$HOME"
export SF_ORG_INSTANCE_URL="$BF_URL" SF_ORG_API_VERSION=62.0 SF_DISABLE_TELEMETRY=true \
    SFDX_DISABLE_TELEMETRY=true SF_AUTOUPDATE_DISABLE=true SF_DISABLE_AUTOUPDATE=true \
    SF_SKIP_NEW_VERSION_CHECK=true SF_USE_GENERIC_UNIX_KEYCHAIN=true SF_DISABLE_DNS_CHECK=true \
    NO_COLOR=1 FORCE_COLOR=0
# sf honours HTTP(S)_PROXY and ignores NO_PROXY.
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY

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
import json, os, sys
def _line(ok, name, detail=""):
    print(("ok   sf-rest " if ok else "FAIL sf-rest ") + name + ("" if ok or not detail else ": " + detail), flush=True)
    return ok
def check(name, cond, detail=""):
    return _line(bool(cond), name, detail)
def eq(name, got, want):
    return check(name, got == want, f"got {got!r}, want {want!r}")
def text(path):
    with open(path, encoding="utf-8", newline="") as f:
        return f.read()
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
def is_id(value, prefix):
    return isinstance(value, str) and len(value) == 18 and value.startswith(prefix)
def ok_result(name, what):
    """sf's answer to NAME when it must have exited 0 (its `result`), else {} after a failed check."""
    o, rc = out(name)
    if not eq(f"{what}: exit status", rc, 0):
        print("  sf said: " + short(o))
        return {}
    return o.get("result") or {}
def refused(name, what, error_name, message_part=None):
    """sf must exit 1 with the error named ERROR_NAME (jsforce names errors after Salesforce's errorCode)."""
    o, rc = out(name)
    eq(f"{what}: exit status 1", rc, 1)
    eq(f"{what}: error {error_name}", o.get("name"), error_name) or print("  sf said: " + short(o))
    if message_part is not None:
        check(f"{what}: message has {message_part!r}", message_part in str(o.get("message")), short(o))
    return o
def query(name):
    """The records of a `sf data query --json`."""
    return ok_result(name, name).get("records") or []
PY
verify() {
    local output
    output="$(cat "$TMP/prelude.py" - | python3 - 2>&1)"
    [[ -n "$output" ]] && echo "$output"
    passed=$((passed + $(grep -c '^ok ' <<<"$output")))
    failed=$((failed + $(grep -c '^FAIL ' <<<"$output")))
    if ! grep -q -E '^(ok|FAIL) ' <<<"$output" || grep -q '^Traceback' <<<"$output"; then
        echo "FAIL sf-rest checker crashed (see above)"
        failed=$((failed + 1))
    fi
}
# saved KEY: a value the checks saved in state.json (a placeholder id when a check failed before).
saved() {
    python3 -c 'import json,sys; print(json.load(open("state.json")).get(sys.argv[1]) or "001000000000000AAA")' "$1" \
        2>/dev/null || echo 001000000000000AAA
}

# 1. create two records (values are strings on the command line: the server converts them).
run create data create record --sobject Account \
    --values "Name='Sf Rest One' NumberOfEmployees=7 Ext__c=SR-1 Description='made by sf'"
# --skip-assignment-rules sends the Sforce-Auto-Assign: FALSE header, which the server accepts.
run create2 data create record --sobject Account --values "Name='Sf Rest Two' Ext__c=SR-2" --skip-assignment-rules
verify <<'PY'
s = {}
for name, key in (("create", "one"), ("create2", "two")):
    r = ok_result(name, f"create record ({key})")
    check(f"create record ({key}): an Account id", is_id(r.get("id"), "001"), short(r))
    eq(f"create record ({key}): success, no errors", (r.get("success"), r.get("errors")), (True, []))
    s[key] = r.get("id")
save(s)
PY
one="$(saved one)"
two="$(saved two)"

# 2. read back by id and by --where (a query for the Id, then GET /sobjects/Account/{id}).
run get data get record --sobject Account --record-id "$one"
run get_where data get record --sobject Account --where "Ext__c=SR-1"
verify <<'PY'
one = state().get("one")
r = ok_result("get", "get record")
eq("get record: Name, NumberOfEmployees, Description, Ext__c",
   [r.get(k) for k in ("Name", "NumberOfEmployees", "Description", "Ext__c")], ["Sf Rest One", 7, "made by sf", "SR-1"])
eq("get record: attributes", r.get("attributes"),
   {"type": "Account", "url": f"/services/data/v62.0/sobjects/Account/{one}"})
r = ok_result("get_where", "get record --where")
eq("get record --where Ext__c=SR-1: the record", (r.get("Id"), r.get("Name")), (one, "Sf Rest One"))
PY

# 3. update by id and by --where, then read back.
run update data update record --sobject Account --record-id "$one" \
    --values "Description='changed by sf' NumberOfEmployees=8"
run update_where data update record --sobject Account --where "Ext__c=SR-1" --values "Name='Sf Rest Renamed'"
run get_updated data get record --sobject Account --record-id "$one"
verify <<'PY'
one = state().get("one")
eq("update record: a success result", ok_result("update", "update record"), {"id": one, "success": True, "errors": []})
eq("update record --where: a success result", ok_result("update_where", "update record --where"),
   {"id": one, "success": True, "errors": []})
r = ok_result("get_updated", "get record after updates")
eq("update record: Name, NumberOfEmployees, Description, Ext__c",
   [r.get(k) for k in ("Name", "NumberOfEmployees", "Description", "Ext__c")],
   ["Sf Rest Renamed", 8, "changed by sf", "SR-1"])
PY

# 4. bad records: sf exits 1 with the error named after Salesforce's errorCode.
run create_no_name data create record --sobject Account --values "Description='no name'"
run create_dup data create record --sobject Account --values "Name='Dup' Ext__c=SR-1"
run update_unknown data update record --sobject Account --record-id "$one" --values "Bogus__c=1"
run update_bad_number data update record --sobject Account --record-id "$one" --values "NumberOfEmployees=abc"
run get_unknown data get record --sobject Account --record-id 001000000000000AAA
run get_where_none data get record --sobject Account --where "Ext__c=SR-404"
verify <<'PY'
refused("create_no_name", "create record without Name", "REQUIRED_FIELD_MISSING", "Required fields are missing: [Name]")
# Salesforce names the holder by its 15-character id in this message.
refused("create_dup", "create record with a taken Ext__c", "DUPLICATE_VALUE", (state().get("one") or "")[:15])
refused("update_unknown", "update record with an unknown field", "INVALID_FIELD",
        "No such column 'Bogus__c' on sobject of type Account")
refused("update_bad_number", "update record with a non-number", "JSON_PARSER_ERROR", "abc")
refused("get_unknown", "get record of an unknown id", "NOT_FOUND")
refused("get_where_none", "get record --where matching nothing", "DataRecordGetNoRecord")
r = ok_result("get_updated", "get record after updates")
eq("bad records changed nothing", (r.get("Name"), r.get("NumberOfEmployees")), ("Sf Rest Renamed", 8))
PY

# 5. delete, then delete and get again.
run delete data delete record --sobject Account --record-id "$two"
run delete_again data delete record --sobject Account --record-id "$two"
run get_deleted data get record --sobject Account --record-id "$two"
verify <<'PY'
two = state().get("two")
eq("delete record: a success result", ok_result("delete", "delete record"), {"id": two, "success": True, "errors": []})
refused("delete_again", "delete record again", "ENTITY_IS_DELETED")
o, rc = out("get_deleted")
eq("get record of a deleted record: exit status 1", rc, 1)
check("get record of a deleted record: 404 (ENTITY_IS_DELETED or NOT_FOUND)",
      o.get("name") in ("ENTITY_IS_DELETED", "NOT_FOUND"), short(o))
PY

# 6. import tree from a records file: one request to /composite/tree/Account with nested Contacts.
cat >tree.json <<'JSON'
{
  "records": [
    {
      "attributes": { "type": "Account", "referenceId": "TreeAcc1" },
      "Name": "Tree One", "Ext__c": "T-1", "NumberOfEmployees": "100",
      "Contacts": {
        "records": [
          { "attributes": { "type": "Contact", "referenceId": "TreeCon1" }, "LastName": "Leaf", "FirstName": "Ann",
            "Email": "ann@tree.test" },
          { "attributes": { "type": "Contact", "referenceId": "TreeCon2" }, "LastName": "Branch" }
        ]
      }
    },
    { "attributes": { "type": "Account", "referenceId": "TreeAcc2" }, "Name": "Tree Two", "Ext__c": "T-2" }
  ]
}
JSON
run import_files data import tree --files tree.json
verify <<'PY'
r = ok_result("import_files", "import tree --files")
got = {row.get("refId"): row for row in r} if isinstance(r, list) else {}
eq("import tree --files: one result per record, typed", sorted((k, v.get("type")) for k, v in got.items()),
   [("TreeAcc1", "Account"), ("TreeAcc2", "Account"), ("TreeCon1", "Contact"), ("TreeCon2", "Contact")])
for ref, prefix in (("TreeAcc1", "001"), ("TreeAcc2", "001"), ("TreeCon1", "003"), ("TreeCon2", "003")):
    check(f"import tree --files: {ref} has an id", is_id((got.get(ref) or {}).get("id"), prefix), short(r))
s = state()
s["tree"] = {k: v.get("id") for k, v in got.items()}
save(s)
PY
run tree_contacts data query --query \
    "SELECT LastName, FirstName, Email, AccountId, Account.Name FROM Contact WHERE Account.Ext__c = 'T-1' ORDER BY LastName"
run tree_accounts data query --query "SELECT Name, NumberOfEmployees FROM Account WHERE Ext__c LIKE 'T-%' ORDER BY Ext__c"
verify <<'PY'
tree = state().get("tree") or {}
got = [(r.get("LastName"), r.get("FirstName"), r.get("Email"), r.get("AccountId"), (r.get("Account") or {}).get("Name"))
       for r in query("tree_contacts")]
eq("import tree --files: the nested Contacts belong to their Account", got,
   [("Branch", None, None, tree.get("TreeAcc1"), "Tree One"), ("Leaf", "Ann", "ann@tree.test", tree.get("TreeAcc1"), "Tree One")])
eq("import tree --files: the Accounts (NumberOfEmployees given as a string)",
   [(r.get("Name"), r.get("NumberOfEmployees")) for r in query("tree_accounts")], [("Tree One", 100), ("Tree Two", None)])
PY

# 7. import tree from a plan: references across files and within a file, resolved by sf between requests.
cat >plan-accounts.json <<'JSON'
{
  "records": [
    { "attributes": { "type": "Account", "referenceId": "AccountRef1" }, "Name": "Plan Parent", "Ext__c": "P-1" },
    { "attributes": { "type": "Account", "referenceId": "AccountRef2" }, "Name": "Plan Child", "Ext__c": "P-2",
      "ParentId": "@AccountRef1" }
  ]
}
JSON
cat >plan-contacts.json <<'JSON'
{
  "records": [
    { "attributes": { "type": "Contact", "referenceId": "ContactRef1" }, "LastName": "Planned A", "AccountId": "@AccountRef2" },
    { "attributes": { "type": "Contact", "referenceId": "ContactRef2" }, "LastName": "Planned B", "AccountId": "@AccountRef1" }
  ]
}
JSON
cat >plan.json <<'JSON'
[
  { "sobject": "Account", "saveRefs": true, "resolveRefs": false, "files": ["plan-accounts.json"] },
  { "sobject": "Contact", "saveRefs": false, "resolveRefs": true, "files": ["plan-contacts.json"] }
]
JSON
run import_plan data import tree --plan plan.json
run plan_accounts data query --query "SELECT Id, Name, ParentId FROM Account WHERE Ext__c LIKE 'P-%' ORDER BY Ext__c"
run plan_contacts data query --query "SELECT LastName, AccountId FROM Contact WHERE LastName LIKE 'Planned%' ORDER BY LastName"
verify <<'PY'
r = ok_result("import_plan", "import tree --plan")
got = {row.get("refId"): row.get("id") for row in r} if isinstance(r, list) else {}
eq("import tree --plan: every reference id", sorted(got), ["AccountRef1", "AccountRef2", "ContactRef1", "ContactRef2"])
accounts = query("plan_accounts")
eq("import tree --plan: the Accounts", [(a.get("Id"), a.get("Name")) for a in accounts],
   [(got.get("AccountRef1"), "Plan Parent"), (got.get("AccountRef2"), "Plan Child")])
eq("import tree --plan: @AccountRef1 in the same file became the parent's id",
   [a.get("ParentId") for a in accounts], [None, got.get("AccountRef1")])
eq("import tree --plan: the Contacts point at the Accounts their references named",
   [(c.get("LastName"), c.get("AccountId")) for c in query("plan_contacts")],
   [("Planned A", got.get("AccountRef2")), ("Planned B", got.get("AccountRef1"))])
PY

# 8. import trees the server refuses: a record without Name (400 hasErrors, nothing kept) and an unknown
#    field (INVALID_FIELD, which sf turns into its field-level-security message).
cat >bad-tree.json <<'JSON'
{
  "records": [
    { "attributes": { "type": "Account", "referenceId": "BadAcc1" }, "Name": "Bad Tree One",
      "Contacts": { "records": [ { "attributes": { "type": "Contact", "referenceId": "BadCon1" }, "LastName": "Never" } ] } },
    { "attributes": { "type": "Account", "referenceId": "BadAcc2" }, "Description": "no name" }
  ]
}
JSON
cat >unknown-field-tree.json <<'JSON'
{ "records": [ { "attributes": { "type": "Account", "referenceId": "OddAcc1" }, "Name": "Odd", "Bogus__c": "x" } ] }
JSON
run import_bad data import tree --files bad-tree.json
run import_unknown data import tree --files unknown-field-tree.json
run bad_left data query --query "SELECT Id FROM Account WHERE Name IN ('Bad Tree One', 'Odd')"
run bad_contacts data query --query "SELECT Id FROM Contact WHERE LastName = 'Never'"
verify <<'PY'
o, rc = out("import_bad")
eq("import tree refused: exit status 1", rc, 1)
eq("import tree refused: sf's 'Data Import failed'", o.get("message"), "Data Import failed") or print("  sf said: " + short(o))
errors = o.get("data") if isinstance(o.get("data"), list) else []
eq("import tree refused: the failing record and its error",
   [(e.get("referenceId"), e.get("StatusCode"), e.get("fields")) for e in errors],
   [("BadAcc2", "REQUIRED_FIELD_MISSING", "Name")])
o, rc = out("import_unknown")
eq("import tree with an unknown field: exit status 1", rc, 1)
check("import tree with an unknown field: sf's message names the field and the object",
      "don't have access to Bogus__c on Account" in str(o.get("message")), short(o))
eq("import tree refused: nothing was kept", (query("bad_left"), query("bad_contacts")), ([], []))
PY

# 9. export tree: one file, then a plan of two queries whose re-import rebuilds the same links.
run export_files data export tree --query \
    "SELECT Id, Name, Ext__c, NumberOfEmployees FROM Account WHERE Ext__c LIKE 'T-%' ORDER BY Ext__c" \
    --output-dir export
run export_plan data export tree --plan --output-dir planexport \
    --query "SELECT Id, Name FROM Account WHERE Ext__c LIKE 'P-%' ORDER BY Name" \
    --query "SELECT Id, LastName, AccountId FROM Contact WHERE LastName LIKE 'Planned%' ORDER BY LastName"
verify <<'PY'
ok_result("export_files", "export tree")
path = "export/Account.json"
if check("export tree: export/Account.json written", os.path.exists(path), str(os.listdir("export") if os.path.isdir("export") else "")):
    eq("export tree: records in tree format (no Id, no nulls, reference ids)", json.loads(text(path)), {"records": [
        {"attributes": {"type": "Account", "referenceId": "AccountRef1"}, "Name": "Tree One", "Ext__c": "T-1",
         "NumberOfEmployees": 100},
        {"attributes": {"type": "Account", "referenceId": "AccountRef2"}, "Name": "Tree Two", "Ext__c": "T-2"},
    ]})
ok_result("export_plan", "export tree --plan")
if check("export tree --plan: plan.json written", os.path.exists("planexport/plan.json"),
         str(os.listdir("planexport") if os.path.isdir("planexport") else "")):
    # sf runs the queries at once and lists the objects in the order their answers came.
    eq("export tree --plan: the plan", sorted(json.loads(text("planexport/plan.json")), key=lambda p: p.get("sobject")),
       [{"sobject": "Account", "files": ["Account.json"]}, {"sobject": "Contact", "files": ["Contact.json"]}])
    accounts = json.loads(text("planexport/Account.json")).get("records", [])
    contacts = json.loads(text("planexport/Contact.json")).get("records", [])
    by_ref = {a["attributes"]["referenceId"]: a.get("Name") for a in accounts}
    eq("export tree --plan: the Accounts", sorted(by_ref.values()), ["Plan Child", "Plan Parent"])
    eq("export tree --plan: Contact.AccountId written as references to the exported Accounts",
       [(c.get("LastName"), by_ref.get(str(c.get("AccountId", "")).lstrip("@"))) for c in contacts],
       [("Planned A", "Plan Child"), ("Planned B", "Plan Parent")])
PY
run reimport_plan data import tree --plan planexport/plan.json
run reimported data query --query \
    "SELECT LastName, Account.Name, Account.Ext__c FROM Contact WHERE LastName LIKE 'Planned%' ORDER BY LastName, Account.Ext__c"
verify <<'PY'
r = ok_result("reimport_plan", "import tree --plan of the export")
eq("re-import: two Accounts and two Contacts created", sorted((row.get("type") for row in r) if isinstance(r, list) else []),
   ["Account", "Account", "Contact", "Contact"])
got = [(c.get("LastName"), (c.get("Account") or {}).get("Name"), (c.get("Account") or {}).get("Ext__c"))
       for c in query("reimported")]
# The copies have no Ext__c (it was not exported): each Contact's copy points at the copy of its Account.
eq("re-import: each copied Contact points at the copy of its Account", got,
   [("Planned A", "Plan Child", None), ("Planned A", "Plan Child", "P-2"),
    ("Planned B", "Plan Parent", None), ("Planned B", "Plan Parent", "P-1")])
PY

# Values the org derives: an Opportunity created at Closed Won reads back closed and won, with the stage's
# probability and forecast category.
derived_opportunity_fields() {
    run opp_create data create record --sobject Opportunity \
        --values "Name='Sf Derived' StageName='Closed Won' CloseDate=2026-06-30"
    run opp_query data query --query \
        "SELECT IsClosed, IsWon, Probability, ForecastCategory FROM Opportunity WHERE Name = 'Sf Derived'"
    verify <<'PY'
r = ok_result("opp_create", "create an Opportunity at Closed Won")
check("create Opportunity: an Opportunity id", is_id(r.get("id"), "006"), short(r))
got = [(o.get("IsClosed"), o.get("IsWon"), o.get("Probability"), o.get("ForecastCategory")) for o in query("opp_query")]
eq("Closed Won: closed, won, probability 100, forecast Closed", got, [(True, True, 100, "Closed")])
PY
}
derived_opportunity_fields

echo "sf-rest: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
