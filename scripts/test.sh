#!/usr/bin/env bash
# Sets up (idempotently) and runs the whole test suite against real Temporal servers.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
npx tsc --noEmit
exec node --import tsx --test --test-concurrency=1 tests/*.test.ts
