#!/usr/bin/env bash
# The main job: sets up (idempotently), then runs a Temporal dev server with its Web UI and a persistent
# SQLite database under .data/, an agent worker with /metrics, and the demo. Ctrl-C stops everything.
#   TEMPORAL_PORT (7233)  UI_PORT (8233)  METRICS_PORT (9464)  DATA_DIR (.data)  EXIT_AFTER_DEMO=1 stops after the demo.
# However it ends (demo done, Ctrl-C, SIGTERM, a failed step), every process it started is gone: each child runs
# in a session (process group) of its own, is asked to stop with SIGTERM (the worker hands its in-flight
# activities back within AGENT_SHUTDOWN_GRACE_SECONDS), and what is left of its group is killed.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

TEMPORAL_PORT=${TEMPORAL_PORT:-7233}
UI_PORT=${UI_PORT:-8233}
METRICS_PORT=${METRICS_PORT:-9464}
DATA_DIR=${DATA_DIR:-.data}
GRACE_SECONDS=${AGENT_SHUTDOWN_GRACE_SECONDS:-10}
export TEMPORAL_ADDRESS="127.0.0.1:${TEMPORAL_PORT}" METRICS_PORT
mkdir -p "${DATA_DIR}"

# Children, last started first to stop: "name pid". Each pid leads its own process group (setsid).
children=()
start_child() { # name, command...
  local name=$1
  shift
  setsid "$@" &
  children=("${name} $!" "${children[@]}")
}
group_alive() { kill -0 -- "-$1" 2>/dev/null; }
stop_child() { # name pid seconds: SIGTERM to the group, then SIGKILL to whatever is left of it after `seconds`
  local name=$1 pid=$2 deadline=$((SECONDS + $3))
  group_alive "$pid" || return 0
  kill -TERM -- "-${pid}" 2>/dev/null || true
  while group_alive "$pid" && [ "$SECONDS" -lt "$deadline" ] && [ "$force" = 0 ]; do sleep 0.2; done
  if group_alive "$pid"; then
    echo "[start] ${name} still running: killing it" >&2
    kill -KILL -- "-${pid}" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
}
force=0
cleanup() {
  local status=$?
  trap 'force=1' INT # a second Ctrl-C kills what is left at once
  trap '' TERM
  trap - EXIT
  for child in "${children[@]}"; do
    local name=${child% *} pid=${child#* }
    case $name in
      # Its in-flight activities get the grace time; after them a long poll may hold the drain up to ~30 s more
      # (seen with this SDK and dev server), and the worker keeps polling no new task meanwhile.
      worker)
        group_alive "$pid" && echo "[start] stopping the worker: in-flight activities get ${GRACE_SECONDS} s (Ctrl-C again to kill it now)"
        stop_child "$name" "$pid" $((GRACE_SECONDS + 40)) ;;
      *) stop_child "$name" "$pid" 10 ;;
    esac
  done
  [ ${#children[@]} -eq 0 ] || echo "[start] stopped"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

echo "[start] Temporal dev server on ${TEMPORAL_ADDRESS}, Web UI on http://localhost:${UI_PORT} (data: ${DATA_DIR}/temporal.db)"
start_child dev-server .venv/bin/temporal server start-dev --ip 127.0.0.1 --port "${TEMPORAL_PORT}" --ui-port "${UI_PORT}" \
  --db-filename "${DATA_DIR}/temporal.db" --log-level warn >"${DATA_DIR}/temporal-server.log" 2>&1
server_pid=$!
until .venv/bin/temporal operator cluster health --address "${TEMPORAL_ADDRESS}" >/dev/null 2>&1; do
  kill -0 "${server_pid}" 2>/dev/null || { echo "[start] dev server failed; see ${DATA_DIR}/temporal-server.log" >&2; exit 1; }
  sleep 0.5
done
for _ in $(seq 1 60); do curl -sf "http://127.0.0.1:${UI_PORT}/" >/dev/null 2>&1 && break; sleep 0.5; done
curl -sf "http://127.0.0.1:${UI_PORT}/" >/dev/null && echo "[start] Web UI answering at http://localhost:${UI_PORT}"

echo "[start] worker (metrics on http://localhost:${METRICS_PORT}/metrics, log ${DATA_DIR}/worker.log)"
# Node itself with tsx's loader (no npx or tsx wrapper between us and the worker), so SIGTERM reaches it.
start_child worker node --import tsx worker/main.ts >"${DATA_DIR}/worker.log" 2>&1
worker_pid=$!
until curl -sf "http://127.0.0.1:${METRICS_PORT}/readyz" >/dev/null 2>&1; do
  kill -0 "${worker_pid}" 2>/dev/null || { echo "[start] worker failed; see ${DATA_DIR}/worker.log" >&2; exit 1; }
  sleep 0.5
done

echo "[start] worker ready: $(curl -sf "http://127.0.0.1:${METRICS_PORT}/metrics" | grep -c '^[a-z]') metric samples at /metrics"
# In the background and waited for, so a signal to this script is handled at once, not after the demo.
start_child demo env UI_URL="http://localhost:${UI_PORT}" node --import tsx scripts/demo.ts
wait $! || { status=$?; echo "[start] demo failed" >&2; exit "$status"; }

if [ "${EXIT_AFTER_DEMO:-0}" = 1 ]; then exit 0; fi
echo "[start] running. Web UI: http://localhost:${UI_PORT}   metrics: http://localhost:${METRICS_PORT}/metrics   Ctrl-C to stop"
wait -n "${server_pid}" "${worker_pid}" || true
echo "[start] the dev server or the worker stopped on its own; see ${DATA_DIR}/" >&2
exit 1
