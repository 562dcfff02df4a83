#!/usr/bin/env bash
# Installs what the dashboard's browser test (crates/server/tests/dashboard_browser.rs) drives: Debian's
# Chromium and its ChromeDriver (/usr/bin/chromium, /usr/bin/chromedriver). Idempotent: a machine that has
# both only runs two `command -v`. Installs with apt-get as root, or through sudo when there is one.
set -euo pipefail
if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then
    exit 0
fi
as_root=()
if [[ "$(id -u)" != 0 ]]; then
    if command -v sudo >/dev/null 2>&1; then
        as_root=(sudo -n)
    else
        echo "tests/browser/install.sh: Chromium is missing and this user cannot install it;" \
            "install the Debian packages chromium and chromium-driver" >&2
        exit 1
    fi
fi
log="$(mktemp)"
start=$SECONDS
export DEBIAN_FRONTEND=noninteractive
if ! { "${as_root[@]}" apt-get install -y --no-install-recommends chromium chromium-driver >"$log" 2>&1 ||
    { "${as_root[@]}" apt-get update >>"$log" 2>&1 &&
        "${as_root[@]}" apt-get install -y --no-install-recommends chromium chromium-driver >>"$log" 2>&1; }; }; then
    echo "tests/browser/install.sh: installing chromium and chromium-driver failed; last lines:" >&2
    tail -n 30 "$log" >&2
    exit 1
fi
rm -f "$log"
echo "tests/browser/install.sh: installed $(chromium --version 2>/dev/null) in $((SECONDS - start)) s"
