#!/usr/bin/env bash
# Sets up (idempotently), checks types and lint, then runs the whole test suite: the unit tests (tests/unit/, no
# server) first, then the tests against real Temporal servers (tests/*.test.ts), in one node run so its closing
# summary (# pass N, # fail N) counts both.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
npx tsc --noEmit
npm run --silent lint
npm run --silent format:check
exec node --import tsx --test --test-concurrency=1 tests/unit/*.test.ts tests/*.test.ts
