#!/usr/bin/env bash
# The Salesforce CLI `sf` (npm @salesforce/cli): deletes as an org does them, against a running
# `bulkforce serve`.
#
# Usage: BF_URL=http://127.0.0.1:PORT BF_TOKEN='00D…!…' sf_cascade_test.sh TMPDIR
# (`sf` and a Node >= 22 must be first on PATH; python3 checks what sf prints.)
#
# Deleting an Account (`sf data delete record`, then `sf data delete bulk`) takes its Contacts and
# Opportunities to the recycle bin: `sf data query` no longer finds them, `sf data query --all-rows`
# (queryAll) shows them with IsDeleted true; a child account's ParentId is cleared. Prints one line per
# check ("ok   …" or "FAIL …") and exits 1 if any check failed; every step runs even when an earlier one
# failed.
set -uo pipefail

: "${BF_URL:?BF_URL is required}" "${BF_TOKEN:?BF_TOKEN is required}"
TMP="${1:?usage: sf_cascade_test.sh TMPDIR}"
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
    print(("ok   sf-cascade " if ok else "FAIL sf-cascade ") + name + ("" if ok or not detail else ": " + detail), flush=True)
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
        echo "FAIL sf-cascade checker crashed (see above)"
        failed=$((failed + 1))
    fi
}
# created NAME: the id `sf data create record` printed for NAME (a placeholder when it failed).
created() {
    python3 -c 'import json,sys; print(json.load(open(sys.argv[1] + ".out"))["result"]["id"])' "$1" \
        2>/dev/null || echo 001000000000000AAA
}

# family LABEL NAME: an Account NAME with a Contact, an Opportunity and a child account; the ids in
# LABEL_account, LABEL_contact, LABEL_opportunity, LABEL_child (files, read with `created`).
family() {
    local label=$1 name=$2
    run "${label}_account" data create record --sobject Account --values "Name='$name'"
    local account
    account="$(created "${label}_account")"
    run "${label}_contact" data create record --sobject Contact --values "LastName='Of $name' AccountId=$account"
    run "${label}_opportunity" data create record --sobject Opportunity \
        --values "Name='$name Deal' StageName=Prospecting CloseDate=2026-06-30 AccountId=$account"
    run "${label}_child" data create record --sobject Account --values "Name='$name Sub' ParentId=$account"
}

# cascaded LABEL: queries what a delete of LABEL's account must have done, then checks it.
cascaded() {
    local label=$1 object id
    for object in Account Contact Opportunity; do
        id="$(created "${label}_${object,,}")"
        run "${label}_${object}_live" data query --query "SELECT Id FROM $object WHERE Id = '$id'"
        run "${label}_${object}_all" data query --all-rows --query "SELECT Id, IsDeleted FROM $object WHERE Id = '$id'"
    done
    run "${label}_child_query" data query --query \
        "SELECT Id, ParentId FROM Account WHERE Id = '$(created "${label}_child")'"
    LABEL="$label" verify <<'PY'
label = os.environ["LABEL"]
for obj in ("Account", "Contact", "Opportunity"):
    eq(f"{label}: the {obj} is gone from query", len(query(f"{label}_{obj}_live")), 0)
    eq(f"{label}: --all-rows shows the {obj} deleted",
       [r.get("IsDeleted") for r in query(f"{label}_{obj}_all")], [True])
eq(f"{label}: the child account stays, its ParentId cleared",
   [r.get("ParentId") for r in query(f"{label}_child_query")], [None])
PY
}

# 1. `sf data delete record` (REST DELETE).
family rest 'Sf Cascade Rest'
run rest_delete data delete record --sobject Account --record-id "$(created rest_account)"
verify <<'PY'
ok_result("rest_delete", "delete record")
PY
cascaded rest

# 2. `sf data delete bulk` (a Bulk API 2.0 delete job).
family bulk 'Sf Cascade Bulk'
printf 'Id\n%s\n' "$(created bulk_account)" >delete.csv
run bulk_delete data delete bulk --file delete.csv --sobject Account --wait 1
verify <<'PY'
ok_result("bulk_delete", "delete bulk")
PY
cascaded bulk

echo "sf-cascade: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
