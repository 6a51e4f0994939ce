# The services of scripts/cluster.sh: how each one starts and how its health is checked.

# PostgreSQL refuses to run as root: as root, run it as the `postgres` system user, which owns its data directory.
as_postgres() {
  if [ "$(id -u)" = 0 ]; then setpriv --reuid=postgres --regid=postgres --init-groups "$@"; else "$@"; fi
}

init_postgres() {
  [ -f "${DATA}/postgres/PG_VERSION" ] && return 0
  say "creating the PostgreSQL ${POSTGRES_MAJOR} data directory ${DATA}/postgres"
  mkdir -p "${DATA}/postgres"
  local pwfile="${DATA}/postgres/.pw"
  [ "$(id -u)" = 0 ] && chown postgres:postgres "${DATA}/postgres"
  chmod 700 "${DATA}/postgres"
  printf '%s\n' "${POSTGRES_PASSWORD}" >"${pwfile}"
  [ "$(id -u)" = 0 ] && chown postgres:postgres "${pwfile}"
  # initdb wants an empty directory: the password file lives outside it while initdb runs.
  mv "${pwfile}" "${DATA}/.pw" && pwfile="${DATA}/.pw"
  (cd "${DATA}" && as_postgres "${PG_BIN}/initdb" -D "${DATA}/postgres" -U "${POSTGRES_USER}" --pwfile="${pwfile}" \
    --auth=scram-sha-256 -E UTF8 --locale=C >"${DATA}/initdb.log" 2>&1) || { rm -f "${pwfile}"; cat "${DATA}/initdb.log" >&2; die "initdb failed"; }
  rm -f "${pwfile}"
}

start_postgres() {
  init_postgres
  local as=()
  [ "$(id -u)" = 0 ] && as=(setpriv --reuid=postgres --regid=postgres --init-groups)
  # TCP on loopback only, no Unix socket (its default directory belongs to the system's PostgreSQL).
  spawn postgres "${as[@]}" "${PG_BIN}/postgres" -D "${DATA}/postgres" -p "${POSTGRES_PORT}" \
    -c listen_addresses=127.0.0.1 -c unix_socket_directories= -c max_connections=200
}

# Creates both databases and brings their schemas to this server version; the same steps as the compose
# stack's deploy/temporal/setup-postgres.sh, with the schema files from the server's Go module.
migrate_schemas() {
  local schema pair db dir
  schema=$(temporal_schema_dir)
  sql_tool() {
    SQL_PASSWORD="${POSTGRES_PASSWORD}" "${TEMPORAL_BIN_DIR}/sql" --plugin postgres12 --ep 127.0.0.1 \
      -p "${POSTGRES_PORT}" -u "${POSTGRES_USER}" "$@"
  }
  for pair in temporal:temporal temporal_visibility:visibility; do
    db=${pair%%:*}
    dir=${pair#*:}
    sql_tool --db "${db}" create-database >>"${LOGS}/schema.log" 2>&1 || true
    sql_tool --db "${db}" setup-schema -v 0.0 >>"${LOGS}/schema.log" 2>&1 || die "schema setup of ${db} failed; see ${LOGS}/schema.log"
    sql_tool --db "${db}" update-schema -d "${schema}/${dir}/versioned" >>"${LOGS}/schema.log" 2>&1 ||
      die "schema update of ${db} failed; see ${LOGS}/schema.log"
  done
}

# The environment scripts/cluster.sh sets for a service (`cluster.sh env SERVICE`); everything else is inherited.
service_env() {
  case "$1" in
    frontend | history | matching | worker)
      echo "TEMPORAL_METRICS_PORT=$(temporal_metrics_port "$1")" "LOG_LEVEL=${TEMPORAL_LOG_LEVEL}" ;;
    ui)
      echo "TEMPORAL_ADDRESS=127.0.0.1:${FRONTEND_PORT}" "TEMPORAL_DEFAULT_NAMESPACE=${TEMPORAL_NAMESPACE}" "TEMPORAL_UI_PORT=${UI_PORT}" ;;
    # An agent worker inherits the caller's OPENAI_*, ANTHROPIC_*, AGENT_*, ... as the compose worker gets the
    # shell's; the connection and its metrics port are the cluster's.
    agent-worker-*)
      echo "TEMPORAL_ADDRESS=127.0.0.1:${FRONTEND_PORT}" "TEMPORAL_NAMESPACE=${TEMPORAL_NAMESPACE}" \
        "AGENT_TASK_QUEUE=${AGENT_TASK_QUEUE}" "AGENT_SHUTDOWN_GRACE_SECONDS=${AGENT_SHUTDOWN_GRACE_SECONDS}" \
        "METRICS_PORT=$(agent_metrics_port "$1")" "METRICS_HOST=127.0.0.1" ;;
  esac
}

start_temporal() {
  # shellcheck disable=SC2046 # one word per variable: no value has a space
  spawn "$1" env $(service_env "$1") \
    "${TEMPORAL_BIN_DIR}/server" --config-file "${DATA}/temporal/config.yaml" --allow-no-auth start --service "$1"
}

start_ui() {
  # shellcheck disable=SC2046
  spawn ui env $(service_env ui) "${UI_BIN_DIR}/server" --root "${DATA}/ui" --config config --env docker start
}

start_agent_worker() {
  # shellcheck disable=SC2046
  (cd "${ROOT}" && spawn "$1" env $(service_env "$1") node --import tsx worker/main.ts)
}

start_prometheus() {
  mkdir -p "${DATA}/prometheus/data"
  spawn prometheus "${PROMETHEUS_BIN}" --config.file="${DATA}/prometheus/prometheus.yml" \
    --storage.tsdb.path="${DATA}/prometheus/data" --storage.tsdb.retention.time=15d --web.enable-lifecycle \
    --web.listen-address="127.0.0.1:${PROMETHEUS_PORT}"
}

start_one() {
  case "$1" in
    postgres) start_postgres ;;
    frontend | history | matching | worker) start_temporal "$1" ;;
    ui) start_ui ;;
    agent-worker-*) start_agent_worker "$1" ;;
    prometheus) start_prometheus ;;
    *) die "unknown service $1 (one of: $(all_services))" ;;
  esac
}

grpc_service_name() {
  case "$1" in
    frontend) echo temporal.api.workflowservice.v1.WorkflowService ;;
    history) echo temporal.api.workflowservice.v1.HistoryService ;;
    matching) echo temporal.api.workflowservice.v1.MatchingService ;;
    worker) echo temporal.api.workflowservice.v1.WorkerService ;;
  esac
}

# gRPC health (history answers SERVING only once it holds its shards) of the Temporal services given: one line
# per service, `address service status`; false unless all are SERVING.
temporal_health() {
  local args=() s
  for s in "$@"; do args+=("127.0.0.1:$(temporal_port "$s")=$(grpc_service_name "$s")"); done
  (cd "${ROOT}" && node --import tsx scripts/cluster/grpc-health.ts "${args[@]}" 2>&1)
}

healthy() {
  local args=() s
  for s in "$@"; do args+=("127.0.0.1:$(temporal_port "$s")=$(grpc_service_name "$s")"); done
  (cd "${ROOT}" && node --import tsx scripts/cluster/grpc-health.ts "${args[@]}" >/dev/null 2>&1)
}

healthy() {
  running "$1" || return 1
  case "$1" in
    postgres) "${PG_BIN}/pg_isready" -q -h 127.0.0.1 -p "${POSTGRES_PORT}" -U "${POSTGRES_USER}" -d postgres ;;
    frontend | history | matching | worker) temporal_health "$1" >/dev/null ;;
    ui) http_ok "http://127.0.0.1:${UI_PORT}/healthz" ;;
    agent-worker-*) http_ok "http://127.0.0.1:$(agent_metrics_port "$1")/readyz" ;;
    prometheus) http_ok "http://127.0.0.1:${PROMETHEUS_PORT}/-/ready" ;;
  esac
}
