#!/bin/sh
# Registers the worker's namespace if it does not exist yet (idempotent).
set -eu

: "${TEMPORAL_ADDRESS:=temporal:7233}"
: "${NAMESPACE:=default}"
: "${NAMESPACE_RETENTION:=168h}"

# Dial an IPv4 address: Docker networks are usually IPv4-only, and Temporal's
# own compose samples resolve the name first too.
host=${TEMPORAL_ADDRESS%:*}
port=${TEMPORAL_ADDRESS##*:}
ip=$(getent hosts "$host" 2>/dev/null | awk '$1 ~ /^[0-9.]+$/ { print $1; exit }' || true)
TEMPORAL_ADDRESS="${ip:-$host}:${port}"

echo "Waiting for the Temporal frontend at ${TEMPORAL_ADDRESS}..."
tries=0
until temporal operator cluster health --address "${TEMPORAL_ADDRESS}" >/dev/null 2>&1; do
  tries=$((tries + 1))
  if [ "$tries" -ge 30 ]; then
    echo "Temporal frontend is not serving" >&2
    exit 1
  fi
  sleep 2
done

if temporal operator namespace describe --address "${TEMPORAL_ADDRESS}" -n "${NAMESPACE}" >/dev/null 2>&1; then
  echo "Namespace ${NAMESPACE} already exists"
else
  temporal operator namespace create --address "${TEMPORAL_ADDRESS}" \
    -n "${NAMESPACE}" --retention "${NAMESPACE_RETENTION}"
  echo "Namespace ${NAMESPACE} created (retention ${NAMESPACE_RETENTION})"
fi
