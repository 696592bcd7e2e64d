#!/usr/bin/env bash
# outage-postgres.sh: a second PostgreSQL 15 cluster of its own for the database-outage test, which stops and starts it
# (the shared cluster "main" is never stopped). Creates the cluster when missing, starts it when stopped, and ensures
# the role the services log in with. Idempotent and quiet; the last line says where it listens.
#   OUTAGE_PG_CLUSTER  cluster name (default outage)      OUTAGE_PG_PORT  port (default 5434)
#   PGUSER, PGPASSWORD the role (default orderfulfillment/orderfulfillment, as scripts/services-up.sh)
# Needs root (pg_createcluster, pg_ctlcluster) and the postgresql package (scripts/services-up.sh installs it).
set -euo pipefail

CLUSTER=${OUTAGE_PG_CLUSTER:-outage}
PORT=${OUTAGE_PG_PORT:-5434}
VERSION=${PG_VERSION:-15}
ROLE=${PGUSER:-orderfulfillment}
PASSWORD=${PGPASSWORD:-orderfulfillment}

die() {
  printf 'outage-postgres: %s\n' "$*" >&2
  exit 1
}

[[ $EUID -eq 0 ]] || die "must run as root"
command -v pg_createcluster >/dev/null || die "postgresql is not installed (run scripts/services-up.sh)"

exec 9>/run/lock/orderfulfillment-outage-postgres.lock 2>/dev/null || exec 9>/tmp/orderfulfillment-outage-postgres.lock
flock -w 120 9 || die "another outage-postgres.sh is still running"

if ! pg_lsclusters -h | awk -v v="$VERSION" -v c="$CLUSTER" '$1 == v && $2 == c { f = 1 } END { exit !f }'; then
  pg_createcluster -p "$PORT" "$VERSION" "$CLUSTER" -- --auth-local=peer >/dev/null 9>&- || die "pg_createcluster $VERSION $CLUSTER failed"
fi
if ! pg_ctlcluster "$VERSION" "$CLUSTER" status >/dev/null 2>&1 9>&-; then
  pg_ctlcluster "$VERSION" "$CLUSTER" start 9>&- || die "pg_ctlcluster $VERSION $CLUSTER start failed (log: /var/log/postgresql/postgresql-$VERSION-$CLUSTER.log)"
fi

deadline=$((SECONDS + 60))
until env -u PGUSER -u PGPASSWORD -u PGDATABASE pg_isready -q -h 127.0.0.1 -p "$PORT" -d postgres; do
  ((SECONDS < deadline)) || die "cluster $CLUSTER did not accept connections on 127.0.0.1:$PORT within 60 s"
  sleep 0.2
done

(cd / && runuser -u postgres -- env -u PGUSER -u PGPASSWORD -u PGDATABASE -u PGHOST \
  psql -X -q -v ON_ERROR_STOP=1 -p "$PORT" -d postgres -v role="$ROLE" -v pw="$PASSWORD") <<'SQL'
SELECT format('CREATE ROLE %I', :'role') WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'role') \gexec
ALTER ROLE :"role" WITH LOGIN CREATEDB PASSWORD :'pw';
SQL

echo "outage cluster up: postgresql $VERSION/$CLUSTER on 127.0.0.1:$PORT"
