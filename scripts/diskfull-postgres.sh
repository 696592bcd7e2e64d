#!/usr/bin/env bash
# diskfull-postgres.sh: a PostgreSQL 15 cluster of its own whose tablespace "diskfull" sits on a small tmpfs, for the
# database disk-full test (the shared cluster "main" is never touched). Databases created in that tablespace get
# SQLSTATE 53100 (could not extend file: No space left on device) on writes that need new pages once the tmpfs is full,
# while reads still work. The WAL stays in the cluster's own data directory on the big disk, so PostgreSQL does not
# PANIC: this is the "data volume full" case, not "WAL volume full".
#   scripts/diskfull-postgres.sh up     create and start the cluster, mount the tmpfs, create the tablespace (granted to
#                                       the role the services log in with); repairs a tablespace whose tmpfs was lost
#   scripts/diskfull-postgres.sh fill   write a filler file until the tmpfs is full; prints the bytes left (0)
#   scripts/diskfull-postgres.sh free   remove the filler file
#   scripts/diskfull-postgres.sh down   remove the filler, drop every database in the tablespace and the tablespace,
#                                       stop the cluster and unmount the tmpfs
# Every command is idempotent; the test runs up, fill, free and down (down also after a failure).
#   DISKFULL_PG_CLUSTER  cluster name (default diskfull)   DISKFULL_PG_PORT  port (default 5435)
#   DISKFULL_MOUNT       tmpfs mount point (default /var/lib/orderfulfillment-diskfull)
#   DISKFULL_SIZE        tmpfs size (default 64M)
#   PGUSER, PGPASSWORD   the role (default orderfulfillment/orderfulfillment, as scripts/services-up.sh)
# Needs root (mount, pg_createcluster, pg_ctlcluster) and the postgresql package (scripts/services-up.sh installs it).
set -euo pipefail

CLUSTER=${DISKFULL_PG_CLUSTER:-diskfull}
PORT=${DISKFULL_PG_PORT:-5435}
MOUNT=${DISKFULL_MOUNT:-/var/lib/orderfulfillment-diskfull}
SIZE=${DISKFULL_SIZE:-64M}
VERSION=${PG_VERSION:-15}
ROLE=${PGUSER:-orderfulfillment}
PASSWORD=${PGPASSWORD:-orderfulfillment}
TABLESPACE=diskfull
FILLER=$MOUNT/filler

die() {
  printf 'diskfull-postgres: %s\n' "$*" >&2
  exit 1
}

# psql as the postgres superuser on the cluster, quiet, stopping at the first error.
sql() {
  (cd / && runuser -u postgres -- env -u PGUSER -u PGPASSWORD -u PGDATABASE -u PGHOST \
    psql -X -q -At -v ON_ERROR_STOP=1 -p "$PORT" -d postgres "$@" 9>&-)
}

cluster_exists() { pg_lsclusters -h | awk -v v="$VERSION" -v c="$CLUSTER" '$1 == v && $2 == c { f = 1 } END { exit !f }'; }
cluster_running() { pg_ctlcluster "$VERSION" "$CLUSTER" status >/dev/null 2>&1 9>&-; }
mounted() { mountpoint -q "$MOUNT"; }

# Drops every database in the tablespace (the test's, left by a run that failed) and the tablespace itself.
drop_tablespace() {
  local databases
  databases=$(sql -c "SELECT d.datname FROM pg_database d JOIN pg_tablespace t ON t.oid = d.dattablespace WHERE t.spcname = '$TABLESPACE'")
  for database in $databases; do
    sql -c "DROP DATABASE IF EXISTS \"$database\" WITH (FORCE)"
  done
  sql -c "DROP TABLESPACE IF EXISTS $TABLESPACE"
}

up() {
  command -v pg_createcluster >/dev/null || die "postgresql is not installed (run scripts/services-up.sh)"
  if ! cluster_exists; then
    pg_createcluster -p "$PORT" "$VERSION" "$CLUSTER" -- --auth-local=peer >/dev/null 9>&- || die "pg_createcluster $VERSION $CLUSTER failed"
  fi
  if ! cluster_running; then
    pg_ctlcluster "$VERSION" "$CLUSTER" start 9>&- || die "pg_ctlcluster $VERSION $CLUSTER start failed (log: /var/log/postgresql/postgresql-$VERSION-$CLUSTER.log)"
  fi
  local deadline=$((SECONDS + 60))
  until env -u PGUSER -u PGPASSWORD -u PGDATABASE pg_isready -q -h 127.0.0.1 -p "$PORT" -d postgres; do
    ((SECONDS < deadline)) || die "cluster $CLUSTER did not accept connections on 127.0.0.1:$PORT within 60 s"
    sleep 0.2
  done

  install -d -m 755 "$MOUNT"
  if ! mounted; then
    mount -t tmpfs -o "size=$SIZE,mode=755" orderfulfillment-diskfull "$MOUNT" || die "mount -t tmpfs on $MOUNT failed"
  fi
  rm -f "$FILLER"
  install -d -o postgres -g postgres -m 700 "$MOUNT/tablespace"
  # A tablespace whose files were on a tmpfs that is gone (a reboot, an unmount by hand) is dropped and made again.
  if [[ -n $(sql -c "SELECT 1 FROM pg_tablespace WHERE spcname = '$TABLESPACE'") ]] && ! compgen -G "$MOUNT/tablespace/PG_${VERSION}_*" >/dev/null; then
    drop_tablespace
  fi
  sql -v role="$ROLE" -v pw="$PASSWORD" <<SQL
SELECT format('CREATE ROLE %I', :'role') WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'role') \gexec
ALTER ROLE :"role" WITH LOGIN CREATEDB PASSWORD :'pw';
SELECT 'CREATE TABLESPACE $TABLESPACE LOCATION ''$MOUNT/tablespace''' WHERE NOT EXISTS (SELECT 1 FROM pg_tablespace WHERE spcname = '$TABLESPACE') \gexec
GRANT CREATE ON TABLESPACE $TABLESPACE TO :"role";
SQL
  echo "diskfull cluster up: postgresql $VERSION/$CLUSTER on 127.0.0.1:$PORT, tablespace $TABLESPACE on tmpfs $MOUNT ($SIZE)"
}

fill() {
  mounted || die "$MOUNT is not mounted (run: diskfull-postgres.sh up)"
  # cat writes until the tmpfs refuses (ENOSPC); what it wrote stays.
  cat /dev/zero >>"$FILLER" 2>/dev/null || true
  sync -f "$FILLER"
  echo "diskfull: $MOUNT full, $(df --output=avail -B1 "$MOUNT" | tail -n 1 | tr -d ' ') bytes left"
}

free_space() {
  rm -f "$FILLER"
  if mounted; then
    echo "diskfull: filler removed, $(df --output=avail -B1 "$MOUNT" | tail -n 1 | tr -d ' ') bytes free on $MOUNT"
  fi
}

down() {
  rm -f "$FILLER"
  if cluster_exists; then
    if ! cluster_running; then
      pg_ctlcluster "$VERSION" "$CLUSTER" start 9>&- || die "pg_ctlcluster $VERSION $CLUSTER start failed"
      until env -u PGUSER -u PGPASSWORD -u PGDATABASE pg_isready -q -h 127.0.0.1 -p "$PORT" -d postgres; do sleep 0.2; done
    fi
    drop_tablespace
    pg_ctlcluster "$VERSION" "$CLUSTER" stop -m fast 9>&- || die "pg_ctlcluster $VERSION $CLUSTER stop failed"
  fi
  if mounted; then
    umount "$MOUNT" || die "umount $MOUNT failed"
  fi
  rmdir "$MOUNT" 2>/dev/null || true
  echo "diskfull cluster down: tablespace dropped, $MOUNT unmounted"
}

[[ $EUID -eq 0 ]] || die "must run as root"
exec 9>/run/lock/orderfulfillment-diskfull-postgres.lock 2>/dev/null || exec 9>/tmp/orderfulfillment-diskfull-postgres.lock
flock -w 120 9 || die "another diskfull-postgres.sh is still running"

case "${1:-}" in
  up) up ;;
  fill) fill ;;
  free) free_space ;;
  down) down ;;
  *) die "usage: diskfull-postgres.sh up|fill|free|down" ;;
esac
