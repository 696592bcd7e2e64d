#!/usr/bin/env bash
# docker/postgres-init.sh: run once by the postgres image on an empty data directory
# (mounted into /docker-entrypoint-initdb.d/). Creates one login role and one database per
# service, each database owned by its service's role. Passwords come from the environment
# (docker-compose.yml passes them from .env); psql variables keep them out of the SQL text.
set -euo pipefail

: "${ORDER_DB_PASSWORD:?ORDER_DB_PASSWORD is required}"
: "${FULFILLMENT_DB_PASSWORD:?FULFILLMENT_DB_PASSWORD is required}"

create_role_and_database() {
  psql -v ON_ERROR_STOP=1 -X -q --username "$POSTGRES_USER" --dbname "${POSTGRES_DB:-$POSTGRES_USER}" \
    -v role="$1" -v pw="$2" -v db="$3" <<'SQL'
SELECT format('CREATE ROLE %I LOGIN', :'role') WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'role') \gexec
ALTER ROLE :"role" WITH LOGIN PASSWORD :'pw';
SELECT format('CREATE DATABASE %I OWNER %I', :'db', :'role') WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'db') \gexec
REVOKE ALL ON DATABASE :"db" FROM PUBLIC;
SQL
}

create_role_and_database order_service "$ORDER_DB_PASSWORD" orders
create_role_and_database fulfillment_service "$FULFILLMENT_DB_PASSWORD" fulfillments
