# Processes of scripts/cluster.sh: each service runs in a process group of its own (setsid), its pid (= its group
# id) in $PIDS/<service>.pid, output in $LOGS/<service>.log. Stopping signals the group, never a name.

say() { printf '\033[1m[cluster]\033[0m %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

pid_of() { [ -f "${PIDS}/$1.pid" ] && cat "${PIDS}/$1.pid" || true; }

# True while a process of the group is alive (zombies do not count: an orphan may wait for its reaper).
group_alive() {
  [ -n "$1" ] && ps -e -o pgid=,stat= | awk -v g="$1" '$1 == g && $2 !~ /^Z/ { found = 1 } END { exit !found }'
}

running() { group_alive "$(pid_of "$1")"; }

# spawn SERVICE COMMAND...: starts COMMAND in a new session (so its own process group), detached from our stdio.
spawn() {
  local service=$1
  shift
  mkdir -p "${PIDS}" "${LOGS}"
  printf '\n=== %s start %s\n' "$(date -u +%FT%TZ)" "${service}" >>"${LOGS}/${service}.log"
  # Not a group leader here (no job control), so setsid makes the new session itself: $! is the service's pid.
  setsid "$@" </dev/null >>"${LOGS}/${service}.log" 2>&1 &
  echo $! >"${PIDS}/${service}.pid"
}

# signal_group SERVICE SIGNAL: sends SIGNAL to the service's whole process group.
signal_group() {
  local pid
  pid=$(pid_of "$1")
  [ -n "${pid}" ] && kill "-$2" -- "-${pid}" 2>/dev/null || true
}

# wait_gone SERVICE SECONDS: waits until no process of the group is left; false if some still are.
wait_gone() {
  local pid deadline=$((SECONDS + $2))
  pid=$(pid_of "$1")
  while group_alive "${pid}"; do
    [ "${SECONDS}" -ge "${deadline}" ] && return 1
    sleep 0.2
  done
  # Then a few seconds for the reaper: PostgreSQL takes a dead postmaster's zombie for a live one.
  deadline=$((SECONDS + 5))
  while [ -n "${pid}" ] && ps -e -o pgid= | grep -qx " *${pid}" && [ "${SECONDS}" -lt "${deadline}" ]; do sleep 0.2; done
  rm -f "${PIDS}/$1.pid"
}

# How a service is asked to stop, and how long it gets before SIGKILL.
stop_signal() { case "$1" in postgres) echo INT ;; *) echo TERM ;; esac; }
stop_grace() {
  case "$1" in
    agent-worker-*) echo $((AGENT_SHUTDOWN_GRACE_SECONDS + 15)) ;;
    *) echo 60 ;;
  esac
}

# stop_services SERVICE...: asks them all to stop, then waits for each (SIGKILL after its grace time).
stop_services() {
  local s
  for s in "$@"; do running "$s" && signal_group "$s" "$(stop_signal "$s")"; done
  for s in "$@"; do
    if ! wait_gone "$s" "$(stop_grace "$s")"; then
      say "$s did not stop in time: SIGKILL"
      signal_group "$s" KILL
      wait_gone "$s" 10 || die "$s (process group $(pid_of "$s")) survived SIGKILL"
    fi
  done
}

kill_service() {
  running "$1" || { say "$1 is not running"; return 0; }
  signal_group "$1" KILL
  wait_gone "$1" 10 || die "$1 (process group $(pid_of "$1")) survived SIGKILL"
}

# wait_healthy SERVICE SECONDS: until its health check passes; fails with the end of its log if it dies or times out.
wait_healthy() {
  local deadline=$((SECONDS + $2))
  until healthy "$1"; do
    running "$1" || { tail -n 20 "${LOGS}/$1.log" | cut -c1-400 >&2; die "$1 exited; log: ${LOGS}/$1.log"; }
    [ "${SECONDS}" -ge "${deadline}" ] && { tail -n 20 "${LOGS}/$1.log" | cut -c1-400 >&2; die "$1 not healthy after $2 s; log: ${LOGS}/$1.log"; }
    sleep 0.5
  done
}

http_ok() { curl -fsS -o /dev/null --max-time 3 "$1" 2>/dev/null; }
