#!/usr/bin/env bash
# Sets up (idempotently), checks types and lint, then runs the whole test suite: the unit tests (tests/unit/, no
# server) and the tests against real Temporal servers (tests/*.test.ts), in one node run so its closing summary
# (# pass N, # fail N) counts both.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# The production stack's Temporal and UI servers are built from source the first time (minutes on 2 cores). Build
# them now, in the background at the lowest priority (9 here, 10 more in cluster/install.sh), so the build overlaps
# the suite. node --test runs files in path order, so tests/whole-stack.test.ts (the cluster) runs last; its `up`
# waits for this build (a lock) if it is still going, instead of starting one of its own.
mkdir -p .data
nice -n 9 bash scripts/cluster.sh install >.data/cluster-install.log 2>&1 &
npx tsc --noEmit
npm run --silent lint
npm run --silent format:check
exec node --import tsx --test --test-concurrency=1 tests/unit/*.test.ts tests/*.test.ts
