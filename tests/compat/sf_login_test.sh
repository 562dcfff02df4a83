#!/usr/bin/env bash
# The Salesforce CLI `sf` (npm @salesforce/cli) logging in to a running `bulkforce serve`, then using it.
#
# Usage: BF_URL=http(s)://127.0.0.1:PORT BF_USERNAME=… BF_ORG_ID=00D… BF_USER_TOKEN='00D…!…' \
#        [BF_CLIENT_ID=… BF_CLIENT_SECRET=… BF_REFRESH_TOKEN=…] sf_login_test.sh TMPDIR
# (`sf` and a Node >= 22 must be first on PATH; python3 checks what sf printed. Over https,
# NODE_EXTRA_CA_CERTS must name the server's certificate.)
#
# sf has no username/password login (clients.md §2). This covers the two logins that need no browser:
#   1. `sf org login access-token` with SF_ACCESS_TOKEN (a token from `bulkforce admin token`): sf calls
#      /services/oauth2/userinfo, /sobjects/User/{id}, the ScratchOrgInfo query (400 INVALID_TYPE: not a Dev
#      Hub), /services/data and the Organization query, and stores the org under an alias. Then, with
#      `--target-org` that alias: `sf data import bulk` (Bulk API 2.0 ingest) and `sf data query` (the REST
#      query, then the same query with `&columns=true`, whose answer must carry Salesforce's `columnMetadata`
#      array when there are records). An unknown token must be refused (userinfo answers 401).
#   2. `sf org login sfdx-url` with a force://clientId:clientSecret:refreshToken@host:port file (the
#      refresh_token grant at /services/oauth2/token, then the same look-ups as 1), in a fresh ~/.sf so
#      nothing is left from 1. sf always makes the login URL of an sfdx-url https://, so this runs only
#      when BF_URL is https and the refresh token and app are given. Then `sf data export bulk` (a Bulk API
#      2.0 query job) with that alias.
# No SF_ORG_INSTANCE_URL / SF_ORG_API_VERSION: the stored org decides the URL, /services/data the version.
#
# Prints one line per check ("ok   …" or "FAIL …") and exits 1 if any check failed.
set -uo pipefail

: "${BF_URL:?BF_URL is required}" "${BF_USERNAME:?}" "${BF_ORG_ID:?}" "${BF_USER_TOKEN:?}"
TMP="${1:?usage: sf_login_test.sh TMPDIR}"
TMP="$(cd "$TMP" && pwd)"
cd "$TMP"

# Isolated ~/.sf state, no telemetry, no update checks, no OS keychain (see sf_test.sh).
export HOME="$TMP/home"
mkdir -p "$HOME"
export SF_DISABLE_TELEMETRY=true SFDX_DISABLE_TELEMETRY=true SF_AUTOUPDATE_DISABLE=true \
    SF_DISABLE_AUTOUPDATE=true SF_SKIP_NEW_VERSION_CHECK=true SF_USE_GENERIC_UNIX_KEYCHAIN=true \
    SF_DISABLE_DNS_CHECK=true NO_COLOR=1 FORCE_COLOR=0
unset SF_ORG_INSTANCE_URL SF_ORG_API_VERSION SF_TARGET_ORG SF_ACCESS_TOKEN SFDX_ACCESS_TOKEN
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY

failed=0
passed=0

# run NAME sf-args…: runs `sf … --json` with stdout in NAME.out, stderr in NAME.err, exit status in NAME.rc.
run() {
    local name=$1
    shift
    sf "$@" --json >"$name.out" 2>"$name.err"
    echo $? >"$name.rc"
}

cat >"$TMP/prelude.py" <<'PY'
import csv, io, json, os, sys
URL = os.environ["BF_URL"].rstrip("/")
USERNAME = os.environ["BF_USERNAME"]
ORG_ID = os.environ["BF_ORG_ID"]
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
def short(o):
    if isinstance(o, dict) and "name" in o and "message" in o:  # an sf error: what, not where
        o = {k: o.get(k) for k in ("name", "message", "data")}
    return json.dumps(o)[:600]
def logged_in(label, name):
    o, rc = out(name)
    eq(f"{label}: exit status", rc, 0) or print("  sf said: " + short(o))
    r = o.get("result") or {}
    eq(f"{label}: username (from sobjects/User/{{id}})", r.get("username"), USERNAME)
    eq(f"{label}: orgId", r.get("orgId"), ORG_ID)
    eq(f"{label}: instanceUrl", (r.get("instanceUrl") or "").rstrip("/"), URL)
    eq(f"{label}: not a Dev Hub (ScratchOrgInfo query refused)", r.get("isDevHub"), False)
    eq(f"{label}: org name (from the Organization query)", r.get("name"), "acme")
    check(f"{label}: API version from /services/data", str(r.get("instanceApiVersion", "")).endswith(".0"), short(o))
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

printf 'Name,NumberOfEmployees\n"sf login 1, with comma",10\nsf login 2 Zürich,20\n"sf login 3 ""quoted""",30\n' \
    >accounts.csv

# 1. access-token login; an unknown token (same org prefix) in parallel.
SF_ACCESS_TOKEN="$BF_USER_TOKEN" run login_token org login access-token --instance-url "$BF_URL" --no-prompt \
    --alias local &
SF_ACCESS_TOKEN="${BF_ORG_ID:0:15}!unknown.token" run login_bad org login access-token --instance-url "$BF_URL" \
    --no-prompt --alias bad &
wait
verify <<'PY'
logged_in("access-token login", "login_token")
o, rc = out("login_bad")
eq("access-token login: an unknown token is refused (exit status 1)", rc, 1) or print("  sf said: " + short(o))
PY

run import data import bulk --file accounts.csv --sobject Account --wait 1 --target-org local
verify <<'PY'
o, rc = out("import")
eq("import bulk (alias local): exit status", rc, 0)
r = o.get("result") or {}
eq("import bulk (alias local): processed/successful/failed", [r.get("processedRecords"), r.get("successfulRecords"),
   r.get("failedRecords")], [3, 3, 0]) or print("  sf said: " + short(o))
PY

run query data query --query "SELECT Name, NumberOfEmployees FROM Account ORDER BY Name" --target-org local
verify <<'PY'
o, rc = out("query")
eq("data query (alias local): exit status", rc, 0) or print("  sf said: " + short(o))
r = o.get("result") or {}
eq("data query (alias local): totalSize/done", [r.get("totalSize"), r.get("done")], [3, True])
eq("data query (alias local): records", [(x.get("Name"), x.get("NumberOfEmployees")) for x in r.get("records") or []],
   [("sf login 1, with comma", 10), ("sf login 2 Zürich", 20), ('sf login 3 "quoted"', 30)])
PY

# 2. sfdx-url login (refresh_token grant), over https only.
if [[ "$BF_URL" == https://* && -n "${BF_REFRESH_TOKEN:-}" && -n "${BF_CLIENT_ID:-}" ]]; then
    export HOME="$TMP/home-sfdx-url"
    mkdir -p "$HOME"
    printf 'force://%s:%s:%s@%s\n' "$BF_CLIENT_ID" "${BF_CLIENT_SECRET:-}" "$BF_REFRESH_TOKEN" "${BF_URL#https://}" \
        >authurl.txt
    run login_url org login sfdx-url --sfdx-url-file authurl.txt --alias viaurl
    verify <<'PY'
logged_in("sfdx-url login", "login_url")
PY
    run url_export data export bulk --query "SELECT Id, Name FROM Account ORDER BY Name" --output-file url.csv \
        --result-format csv --wait 1 --target-org viaurl
    verify <<'PY'
o, rc = out("url_export")
eq("export bulk (alias viaurl): exit status", rc, 0) or print("  sf said: " + short(o))
eq("export bulk (alias viaurl): totalSize", (o.get("result") or {}).get("totalSize"), 3)
if check("export bulk (alias viaurl): file written", os.path.exists("url.csv")):
    eq("export bulk (alias viaurl): names", [r["Name"] for r in csv.DictReader(io.StringIO(text("url.csv"), newline=""))],
       ["sf login 1, with comma", "sf login 2 Zürich", 'sf login 3 "quoted"'])
PY
else
    echo "skip sf sfdx-url login: needs an https BF_URL and BF_REFRESH_TOKEN/BF_CLIENT_ID (sf makes its URL https)"
fi

echo "sf logins: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
