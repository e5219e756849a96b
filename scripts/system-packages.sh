#!/usr/bin/env bash
# System packages evalround needs beyond Python: bubblewrap, the grading sandbox;
# Debian's Chromium with its driver, which the browser tests drive through Playwright
# (Playwright never downloads a browser of its own: see PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD
# in the Makefile); and Debian's PostgreSQL server, which the tests of a course on
# PostgreSQL (`evalround init --db`) start in a temporary folder (tests/pg.py). Installed
# with Debian's apt when missing (as root, or with passwordless sudo).
# Elsewhere it says what to install and goes on: grading then refuses to run
# candidates' code until a sandbox is there (or the operator passes --unsandboxed).
set -euo pipefail

need=()
command -v bwrap >/dev/null 2>&1 || need+=(bubblewrap)
[ -x /usr/bin/chromium ] || need+=(chromium)
[ -x /usr/bin/chromedriver ] || need+=(chromium-driver)
# The server binaries (initdb, pg_ctl) live in /usr/lib/postgresql/<version>/bin.
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || need+=(postgresql)
[ ${#need[@]} -eq 0 ] && exit 0

if [ "$(uname -s)" != Linux ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "evalround: please install ${need[*]} with your system's package manager" >&2
    exit 0
fi
if [ "$(id -u)" -eq 0 ]; then
    sudo=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo=(sudo -n)
else
    echo "evalround: please run: sudo apt-get install ${need[*]}" >&2
    exit 0
fi
echo "evalround: installing ${need[*]} with apt-get"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
