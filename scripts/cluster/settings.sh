# Settings of scripts/cluster.sh: pinned versions, ports, paths. Sourced; ROOT is the project directory.
# The versions match docker-compose.yml (checked by tests/cluster-drift.test.ts).

# Built with `go install` from the Go module proxy into .tools/ (server and schema tool together).
TEMPORAL_VERSION=1.31.0
# The Go module github.com/temporalio/ui-server/v2 at the version of the temporalio/ui image.
UI_SERVER_VERSION=2.49.1
# From Debian (bookworm): what the distribution ships, not pinned further.
POSTGRES_MAJOR=15
PROMETHEUS_BIN=/usr/bin/prometheus

TOOLS_DIR="${ROOT}/.tools"
TEMPORAL_BIN_DIR="${TOOLS_DIR}/temporal-v${TEMPORAL_VERSION}"
UI_BIN_DIR="${TOOLS_DIR}/ui-server-v${UI_SERVER_VERSION}"
PG_BIN="/usr/lib/postgresql/${POSTGRES_MAJOR}/bin"
TEMPORAL_CLI="${ROOT}/.venv/bin/temporal"

DATA="${CLUSTER_DATA_DIR:-${ROOT}/.data/cluster}"
PIDS="${DATA}/pids"
LOGS="${DATA}/logs"

# The port base is remembered by `up`, so later commands find the same cluster without it.
if [ -z "${CLUSTER_PORT_BASE:-}" ] && [ -f "${DATA}/port-base" ]; then
  CLUSTER_PORT_BASE=$(cat "${DATA}/port-base")
fi
PORT_BASE=${CLUSTER_PORT_BASE:-17233}
# Temporal stores each service's membership port in a PostgreSQL smallint: a port above 32767 stops the service.
if ! [[ "${PORT_BASE}" =~ ^[0-9]+$ ]] || [ "${PORT_BASE}" -lt 1024 ] || [ $((PORT_BASE + 17)) -gt 32767 ]; then
  echo "cluster: CLUSTER_PORT_BASE=${PORT_BASE} must be a number from 1024 to 32750 (Temporal keeps membership ports in a smallint)" >&2
  exit 2
fi
FRONTEND_PORT=$((PORT_BASE + 0))
FRONTEND_MEMBERSHIP_PORT=$((PORT_BASE + 1))
FRONTEND_HTTP_PORT=$((PORT_BASE + 2))
HISTORY_PORT=$((PORT_BASE + 3))
HISTORY_MEMBERSHIP_PORT=$((PORT_BASE + 4))
MATCHING_PORT=$((PORT_BASE + 5))
MATCHING_MEMBERSHIP_PORT=$((PORT_BASE + 6))
WORKER_PORT=$((PORT_BASE + 7))
WORKER_MEMBERSHIP_PORT=$((PORT_BASE + 8))
POSTGRES_PORT=$((PORT_BASE + 9))
UI_PORT=$((PORT_BASE + 10))
PROMETHEUS_PORT=$((PORT_BASE + 11))
# Temporal's own metrics, one port per service: frontend, history, matching, worker.
TEMPORAL_METRICS_BASE=$((PORT_BASE + 12))
# Agent worker N's /metrics, /healthz, /readyz: AGENT_METRICS_BASE + N.
AGENT_METRICS_BASE=$((PORT_BASE + 15))
AGENT_WORKERS=2

# Same names and defaults as docker-compose.yml.
TEMPORAL_NAMESPACE=${TEMPORAL_NAMESPACE:-default}
TEMPORAL_NAMESPACE_RETENTION=${TEMPORAL_NAMESPACE_RETENTION:-168h}
TEMPORAL_NUM_HISTORY_SHARDS=${TEMPORAL_NUM_HISTORY_SHARDS:-512}
TEMPORAL_LOG_LEVEL=${TEMPORAL_LOG_LEVEL:-info}
POSTGRES_USER=${POSTGRES_USER:-temporal}
POSTGRES_PASSWORD=${POSTGRES_PASSWORD:-temporal}
AGENT_TASK_QUEUE=${AGENT_TASK_QUEUE:-agents}
AGENT_SHUTDOWN_GRACE_SECONDS=${AGENT_SHUTDOWN_GRACE_SECONDS:-45}
DYNAMIC_CONFIG_FILE="${ROOT}/deploy/temporal/dynamicconfig/production-sql.yaml"
# Prometheus: the repo's rules unless a test points elsewhere; compose scrapes every 15 s.
CLUSTER_PROMETHEUS_RULES=${CLUSTER_PROMETHEUS_RULES:-${ROOT}/deploy/prometheus/rules/*.rules.yml}
CLUSTER_SCRAPE_INTERVAL=${CLUSTER_SCRAPE_INTERVAL:-15s}

TEMPORAL_SERVICES=(history matching frontend worker)
agent_workers() { local n; for n in $(seq 1 "${AGENT_WORKERS}"); do echo "agent-worker-${n}"; done; }
# Start order; `down` stops in reverse.
all_services() { echo postgres "${TEMPORAL_SERVICES[@]}" ui $(agent_workers) prometheus; }

temporal_port() {
  case "$1" in
    frontend) echo "${FRONTEND_PORT}" ;; history) echo "${HISTORY_PORT}" ;;
    matching) echo "${MATCHING_PORT}" ;; worker) echo "${WORKER_PORT}" ;;
  esac
}
temporal_metrics_port() {
  case "$1" in
    frontend) echo $((TEMPORAL_METRICS_BASE + 0)) ;; history) echo $((TEMPORAL_METRICS_BASE + 1)) ;;
    matching) echo $((TEMPORAL_METRICS_BASE + 2)) ;; worker) echo $((TEMPORAL_METRICS_BASE + 3)) ;;
  esac
}
agent_metrics_port() { echo $((AGENT_METRICS_BASE + ${1#agent-worker-})); }
prometheus_version() { "${PROMETHEUS_BIN}" --version 2>&1 | sed -n 's/^prometheus, version \([0-9.]*\).*/\1/p'; }
