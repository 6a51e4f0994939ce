#!/usr/bin/env bash
# The main job: sets up (idempotently), then runs a Temporal dev server with its Web UI and a persistent
# SQLite database under .data/, an agent worker with /metrics, and the demo. Ctrl-C stops everything.
#   TEMPORAL_PORT (7233)  UI_PORT (8233)  METRICS_PORT (9464)  DATA_DIR (.data)  EXIT_AFTER_DEMO=1 stops after the demo.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

TEMPORAL_PORT=${TEMPORAL_PORT:-7233}
UI_PORT=${UI_PORT:-8233}
METRICS_PORT=${METRICS_PORT:-9464}
DATA_DIR=${DATA_DIR:-.data}
export TEMPORAL_ADDRESS="127.0.0.1:${TEMPORAL_PORT}" METRICS_PORT
mkdir -p "${DATA_DIR}"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

echo "[start] Temporal dev server on ${TEMPORAL_ADDRESS}, Web UI on http://localhost:${UI_PORT} (data: ${DATA_DIR}/temporal.db)"
.venv/bin/temporal server start-dev --ip 127.0.0.1 --port "${TEMPORAL_PORT}" --ui-port "${UI_PORT}" \
  --db-filename "${DATA_DIR}/temporal.db" --log-level warn >"${DATA_DIR}/temporal-server.log" 2>&1 &
pids+=($!)
until .venv/bin/temporal operator cluster health --address "${TEMPORAL_ADDRESS}" >/dev/null 2>&1; do
  kill -0 "${pids[0]}" 2>/dev/null || { echo "[start] dev server failed; see ${DATA_DIR}/temporal-server.log" >&2; exit 1; }
  sleep 0.5
done
for _ in $(seq 1 60); do curl -sf "http://127.0.0.1:${UI_PORT}/" >/dev/null 2>&1 && break; sleep 0.5; done
curl -sf "http://127.0.0.1:${UI_PORT}/" >/dev/null && echo "[start] Web UI answering at http://localhost:${UI_PORT}"

echo "[start] worker (metrics on http://localhost:${METRICS_PORT}/metrics, log ${DATA_DIR}/worker.log)"
npx tsx worker/main.ts >"${DATA_DIR}/worker.log" 2>&1 &
pids+=($!)
until curl -sf "http://127.0.0.1:${METRICS_PORT}/readyz" >/dev/null 2>&1; do
  kill -0 "${pids[1]}" 2>/dev/null || { echo "[start] worker failed; see ${DATA_DIR}/worker.log" >&2; exit 1; }
  sleep 0.5
done

echo "[start] worker ready: $(curl -sf "http://127.0.0.1:${METRICS_PORT}/metrics" | grep -c '^[a-z]') metric samples at /metrics"
UI_URL="http://localhost:${UI_PORT}" npx tsx scripts/demo.ts

if [ "${EXIT_AFTER_DEMO:-0}" = 1 ]; then exit 0; fi
echo "[start] running. Web UI: http://localhost:${UI_PORT}   metrics: http://localhost:${METRICS_PORT}/metrics   Ctrl-C to stop"
wait
