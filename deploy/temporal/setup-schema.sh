#!/bin/sh
# temporal-schema (admin-tools image): creates the temporal and temporal_visibility databases if
# missing and applies every versioned schema update this admin-tools release ships. Safe to run again:
# `create` skips an existing database, `setup-schema -v 0.0` only creates the version table if missing,
# and `update-schema` applies only versions newer than the one recorded.
set -eu
: "${POSTGRES_SEEDS:?}" "${POSTGRES_USER:?}" "${SQL_PASSWORD:?}"
PORT="${DB_PORT:-5432}"
SCHEMA_DIR=/etc/temporal/schema/postgresql/v12

until nc -z "$POSTGRES_SEEDS" "$PORT"; do
  echo "waiting for PostgreSQL at $POSTGRES_SEEDS:$PORT"
  sleep 2
done

sql() {
  temporal-sql-tool --plugin postgres12 --ep "$POSTGRES_SEEDS" -p "$PORT" -u "$POSTGRES_USER" --db "$@"
}

for pair in temporal:temporal temporal_visibility:visibility; do
  db="${pair%%:*}"
  dir="${pair#*:}"
  sql "$db" create
  sql "$db" setup-schema -v 0.0
  sql "$db" update-schema -d "$SCHEMA_DIR/$dir/versioned"
  echo "schema ready: $db"
done
