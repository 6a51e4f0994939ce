#!/usr/bin/env bash
# The production stack of docker-compose.yml, run without Docker: PostgreSQL, Temporal's frontend, history,
# matching and worker services as separate processes, the Temporal UI, two agent workers and Prometheus with
# our alert rules. Idempotent; data under .data/cluster/ (CLUSTER_DATA_DIR), ports from CLUSTER_PORT_BASE.
#
#   bash scripts/cluster.sh up                 install what is missing, start what is not running, wait until ready
#   bash scripts/cluster.sh install            only install what is missing (the first build takes minutes)
#   bash scripts/cluster.sh down               stop everything it started (SIGTERM, SIGKILL after a grace time)
#   bash scripts/cluster.sh status             each service with its pid and health
#   bash scripts/cluster.sh kill SERVICE       SIGKILL one service (its whole process group)
#   bash scripts/cluster.sh start SERVICE      start one service again and wait until it is healthy
#   bash scripts/cluster.sh config temporal|prometheus|ui   print a generated configuration
#   bash scripts/cluster.sh services           the services it runs, in start order
#   bash scripts/cluster.sh env SERVICE        the environment it sets for a service (the rest is inherited)
#   bash scripts/cluster.sh versions           the versions it runs, KEY=VALUE
#
# Services: postgres frontend history matching worker ui agent-worker-1 agent-worker-2 prometheus.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
source "${ROOT}/scripts/cluster/settings.sh"
source "${ROOT}/scripts/cluster/process.sh"
source "${ROOT}/scripts/cluster/install.sh"
source "${ROOT}/scripts/cluster/render.sh"
source "${ROOT}/scripts/cluster/services.sh"

# Seconds each service gets to become healthy (history first acquires its shards).
start_timeout() { case "$1" in agent-worker-*) echo 240 ;; *) echo 180 ;; esac; }

# start_services SERVICE...: starts those not running, all at once, then waits until each is healthy.
start_services() {
  local s
  for s in "$@"; do running "$s" || start_one "$s"; done
  for s in "$@"; do wait_healthy "$s" "$(start_timeout "$s")"; done
}

register_namespace() {
  TEMPORAL_ADDRESS="127.0.0.1:${FRONTEND_PORT}" NAMESPACE="${TEMPORAL_NAMESPACE}" \
    NAMESPACE_RETENTION="${TEMPORAL_NAMESPACE_RETENTION}" PATH="$(dirname "${TEMPORAL_CLI}"):${PATH}" \
    sh "${ROOT}/deploy/temporal/create-namespace.sh" >>"${LOGS}/namespace.log" 2>&1 ||
    die "namespace registration failed; see ${LOGS}/namespace.log"
  (cd "${ROOT}" && TEMPORAL_ADDRESS="127.0.0.1:${FRONTEND_PORT}" TEMPORAL_NAMESPACE="${TEMPORAL_NAMESPACE}" \
    node --import tsx scripts/cluster/search-attributes.ts >>"${LOGS}/namespace.log" 2>&1) ||
    die "search attributes not registered; see ${LOGS}/namespace.log"
}

cmd_up() {
  install_all
  mkdir -p "${DATA}" "${LOGS}" "${PIDS}"
  echo "${PORT_BASE}" >"${DATA}/port-base"
  write_configs
  start_services postgres
  migrate_schemas
  # History first: on a new database each service would write the cluster metadata, and all but one fail.
  start_services history
  start_services "${TEMPORAL_SERVICES[@]}"
  register_namespace
  start_services ui $(agent_workers) prometheus
  echo "TEMPORAL_ADDRESS=127.0.0.1:${FRONTEND_PORT}"
  echo "TEMPORAL_UI_URL=http://127.0.0.1:${UI_PORT}"
  echo "PROMETHEUS_URL=http://127.0.0.1:${PROMETHEUS_PORT}"
}

cmd_down() {
  stop_services prometheus $(agent_workers) ui
  stop_services frontend worker
  stop_services matching history
  stop_services postgres
  local s left=""
  for s in $(all_services); do running "$s" && left="${left} $s"; done
  [ -z "${left}" ] || die "still running:${left}"
  say "stopped"
}

cmd_status() {
  local s pid state all=0 grpc=""
  # One gRPC health call for the four Temporal services (each check starts Node).
  for s in "${TEMPORAL_SERVICES[@]}"; do running "$s" && grpc="${grpc} $s"; done
  local health=""
  [ -n "${grpc}" ] && health=$(temporal_health ${grpc} || true)
  printf '%-16s %-8s %s\n' SERVICE PID HEALTH
  for s in $(all_services); do
    pid=$(pid_of "$s")
    if ! running "$s"; then state=down pid=-; all=1
    elif [ -n "$(temporal_port "$s")" ]; then
      if grep -q "^127.0.0.1:$(temporal_port "$s") .* SERVING$" <<<"${health}"; then state=healthy; else state=unhealthy all=1; fi
    elif healthy "$s"; then state=healthy
    else state=unhealthy all=1
    fi
    printf '%-16s %-8s %s\n' "$s" "${pid}" "${state}"
  done
  return "${all}"
}

known() { [[ " $(all_services) " == *" $1 "* ]] || die "unknown service '$1' (one of: $(all_services))"; }

case "${1:-}" in
  up) cmd_up ;;
  install) install_all; say "installed: ${TEMPORAL_BIN_DIR}, ${UI_BIN_DIR}" ;;
  down) cmd_down ;;
  status) cmd_status ;;
  kill) known "${2:-}"; kill_service "$2"; say "$2 killed" ;;
  start) known "${2:-}"; [ -f "${DATA}/temporal/config.yaml" ] || die "no cluster yet: run up first"; start_services "$2"; say "$2 healthy" ;;
  config)
    case "${2:-}" in
      temporal) render_temporal_config ;; prometheus) render_prometheus_config ;; ui) render_ui_config ;;
      *) die "config temporal|prometheus|ui" ;;
    esac ;;
  services) echo $(all_services) ;;
  env) known "${2:-}"; service_env "$2" | tr ' ' '\n' | sed '/^$/d' ;;
  versions) printf 'TEMPORAL_VERSION=%s\nUI_SERVER_VERSION=%s\nPOSTGRES_MAJOR=%s\nPROMETHEUS_VERSION=%s\n' \
    "${TEMPORAL_VERSION}" "${UI_SERVER_VERSION}" "${POSTGRES_MAJOR}" "$(prometheus_version)" ;;
  *) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
