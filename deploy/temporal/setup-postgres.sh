#!/bin/sh
# Creates Temporal's two PostgreSQL databases and brings their schemas up to
# the version shipped in this admin-tools image. Safe to re-run: that is how
# an upgraded Temporal version gets its schema migrations.
set -eu

: "${POSTGRES_SEEDS:=postgresql}"
: "${DB_PORT:=5432}"
: "${POSTGRES_USER:=temporal}"
# temporal-sql-tool reads the password from SQL_PASSWORD (keeps it off argv).
export SQL_PASSWORD="${POSTGRES_PWD:-temporal}"
SCHEMA_ROOT=/etc/temporal/schema/postgresql/v12

echo "Waiting for PostgreSQL at ${POSTGRES_SEEDS}:${DB_PORT}..."
tries=0
until nc -z -w 2 "${POSTGRES_SEEDS}" "${DB_PORT}"; do
  tries=$((tries + 1))
  if [ "$tries" -ge 60 ]; then
    echo "PostgreSQL did not come up" >&2
    exit 1
  fi
  sleep 1
done

sql_tool() {
  temporal-sql-tool --plugin postgres12 --ep "${POSTGRES_SEEDS}" -p "${DB_PORT}" \
    -u "${POSTGRES_USER}" "$@"
}

for pair in temporal:temporal temporal_visibility:visibility; do
  db=${pair%%:*}
  dir=${pair#*:}
  echo "== ${db}"
  # `create` fails when the database already exists (every run after the
  # first); a real connection problem still fails setup-schema below.
  sql_tool --db "${db}" create 2>/dev/null || echo "database ${db} already exists"
  # setup-schema only installs the version tables on an empty database and
  # is a no-op when a newer schema is present.
  sql_tool --db "${db}" setup-schema -v 0.0
  sql_tool --db "${db}" update-schema -d "${SCHEMA_ROOT}/${dir}/versioned"
done

echo "Temporal schema is up to date"
