#!/usr/bin/env bash
# Sets up (idempotently) and runs the whole test suite: the unit tests (tests/unit/, no server) first, then the
# tests against real Temporal servers (tests/*.test.ts), in one run so node's closing summary counts both.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
npx tsc --noEmit
exec node --import tsx --test --test-concurrency=1 tests/unit/*.test.ts tests/*.test.ts
