#!/usr/bin/env bash
# services-up.sh: install (when missing) and start the local infrastructure for tests and
# benchmarks, both bound to loopback only:
#   - PostgreSQL 15 (cluster "main") on 127.0.0.1:5432, role orderfulfillment (LOGIN CREATEDB)
#   - RabbitMQ on 127.0.0.1:5672, management API on 127.0.0.1:15672,
#     user orderfulfillment (administrator, full permissions on vhost "/")
# Idempotent: when both are already up it only (re)ensures users, roles and settings.
# Quiet unless something fails; the last line says where the services are.
# Needs root (apt-get, pg_ctlcluster, rabbitmqctl). Meant for Debian 12 without systemd.
#
# Overrides (environment): RabbitMq__Username, RabbitMq__Password, RABBITMQ_PORT,
#   RABBITMQ_MANAGEMENT_PORT, PGUSER, PGPASSWORD, PGPORT, PG_VERSION, PG_MAX_CONNECTIONS,
#   SERVICES_UP_TIMEOUT (seconds to wait for each service, default 180).
set -euo pipefail

RABBIT_USER=${RabbitMq__Username:-orderfulfillment}
RABBIT_PASSWORD=${RabbitMq__Password:-orderfulfillment}
RABBIT_PORT=${RABBITMQ_PORT:-5672}
RABBIT_MGMT_PORT=${RABBITMQ_MANAGEMENT_PORT:-15672}
RABBIT_NODE=rabbit@localhost # fixed name: independent of the machine's hostname
RABBIT_PIDFILE=/var/lib/rabbitmq/mnesia/$RABBIT_NODE.pid
RABBIT_LOG=/var/log/rabbitmq/startup.log

PG_USER=${PGUSER:-orderfulfillment}
PG_PASSWORD=${PGPASSWORD:-orderfulfillment}
PG_PORT=${PGPORT:-5432}
PG_VERSION=${PG_VERSION:-15}
PG_CLUSTER=main
PG_MAX_CONNECTIONS=${PG_MAX_CONNECTIONS:-300}

TIMEOUT=${SERVICES_UP_TIMEOUT:-180}

die() {
  printf 'services-up: %s\n' "$*" >&2
  exit 1
}

# Runs a command and shows its output only when it fails.
# fd 9 (the lock) is closed for it, so daemons it starts do not hold the lock.
quietly() {
  local out
  if ! out=$("$@" 2>&1 9>&-); then
    printf '%s\n' "$out" >&2
    return 1
  fi
}

[[ $EUID -eq 0 ]] || die "must run as root"
[[ $PG_MAX_CONNECTIONS =~ ^[0-9]+$ ]] || die "PG_MAX_CONNECTIONS must be a number"

# One run at a time (tests may call this concurrently). Every command that may start a daemon
# runs with fd 9 closed, or the daemon would hold the lock for its whole life.
exec 9>/run/lock/orderfulfillment-services.lock 2>/dev/null || exec 9>/tmp/orderfulfillment-services.lock
flock -w 600 9 || die "another services-up.sh/services-down.sh is still running"

# True when something listens on TCP port $1 on any local address (reads /proc: no traffic).
port_listening() {
  local hex
  hex=$(printf '%04X' "$1")
  grep -qE "^ *[0-9]+: [0-9A-F]+:$hex [0-9A-F]+:0000 0A " /proc/net/tcp /proc/net/tcp6 2>/dev/null
}

# True when pid $1 is alive (not a zombie) and its command name starts with $2.
pid_is() {
  local comm stat
  [[ $1 =~ ^[0-9]+$ ]] || return 1
  comm=$(cat "/proc/$1/comm" 2>/dev/null) || return 1
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  [[ $comm == "$2"* && ${stat##*) } != Z* ]]
}

# ---------------------------------------------------------------- packages
install_packages() {
  local required=(rabbitmq-server postgresql amqp-tools python3-pika curl) missing=() p
  for p in "${required[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
  done
  local want_compose=0
  dpkg-query -W -f='${Status}' docker-compose 2>/dev/null | grep -q 'ok installed' || want_compose=1
  ((${#missing[@]} > 0 || want_compose)) || return 0

  export DEBIAN_FRONTEND=noninteractive
  local apt_opts=(-y -q -o Dpkg::Lock::Timeout=300 -o Acquire::Retries=3 -o Dpkg::Options::=--force-confold)

  # Packages must not start their services during installation (we start them ourselves,
  # with loopback-only configuration). Docker-style images already have such a policy.
  local own_policy=0
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    own_policy=1
  fi

  local rc=0
  quietly apt-get update -q -o Acquire::Retries=3 || rc=$?
  if ((rc == 0 && ${#missing[@]} > 0)); then
    quietly apt-get install "${apt_opts[@]}" --no-install-recommends "${missing[@]}" || rc=$?
  fi
  if ((rc == 0 && want_compose)); then
    # Only used to validate docker-compose.yml; not fatal.
    quietly apt-get install "${apt_opts[@]}" docker-compose ||
      printf 'services-up: warning: could not install docker-compose (only needed for scripts/check-compose.sh)\n' >&2
  fi
  ((own_policy)) && rm -f /usr/sbin/policy-rc.d
  ((rc == 0)) || die "apt-get failed installing: ${missing[*]}"
}

# ---------------------------------------------------------------- PostgreSQL
pg_admin() {
  # As the postgres superuser over the local socket; ignores the caller's PG* variables.
  (cd / && runuser -u postgres -- env -u PGUSER -u PGPASSWORD -u PGDATABASE -u PGHOST \
    psql -X -q -v ON_ERROR_STOP=1 -p "$PG_PORT" -d postgres "$@")
}

pg_wait_ready() {
  local deadline=$((SECONDS + TIMEOUT))
  until env -u PGUSER -u PGPASSWORD -u PGDATABASE pg_isready -q -h 127.0.0.1 -p "$PG_PORT" -d postgres; do
    ((SECONDS < deadline)) || {
      tail -n 30 "/var/log/postgresql/postgresql-$PG_VERSION-$PG_CLUSTER.log" >&2 2>/dev/null || true
      die "PostgreSQL did not accept connections on 127.0.0.1:$PG_PORT within ${TIMEOUT}s"
    }
    sleep 0.2
  done
}

pg_running() { pg_ctlcluster "$PG_VERSION" "$PG_CLUSTER" status >/dev/null 2>&1 9>&-; }

start_postgres() {
  if ! pg_lsclusters -h 2>/dev/null | awk -v v="$PG_VERSION" -v c="$PG_CLUSTER" '$1 == v && $2 == c { f = 1 } END { exit !f }'; then
    quietly pg_createcluster -p "$PG_PORT" "$PG_VERSION" "$PG_CLUSTER" || die "pg_createcluster $PG_VERSION $PG_CLUSTER failed"
  fi
  local info datadir port
  info=$(pg_lsclusters -h | awk -v v="$PG_VERSION" -v c="$PG_CLUSTER" '$1 == v && $2 == c')
  port=$(awk '{ print $3 }' <<<"$info")
  datadir=$(awk '{ print $6 }' <<<"$info")

  local restart=0
  if [[ $port != "$PG_PORT" ]]; then
    quietly pg_conftool "$PG_VERSION" "$PG_CLUSTER" set port "$PG_PORT"
    restart=1
  fi

  # A server killed uncleanly leaves postmaster.pid and the socket lock behind; if their pid
  # now belongs to some other process, postgres (and pg_ctlcluster status) are misled.
  local lock pid
  for lock in "$datadir/postmaster.pid" "/var/run/postgresql/.s.PGSQL.$PG_PORT.lock"; do
    [[ -f $lock ]] || continue
    pid=$(head -n 1 "$lock" 2>/dev/null || true)
    pid_is "$pid" postgres || rm -f "$lock"
  done
  install -d -o postgres -g postgres -m 2775 /var/run/postgresql

  if pg_running; then
    ((restart)) && quietly pg_ctlcluster "$PG_VERSION" "$PG_CLUSTER" restart
  else
    quietly pg_ctlcluster "$PG_VERSION" "$PG_CLUSTER" start ||
      die "pg_ctlcluster $PG_VERSION $PG_CLUSTER start failed (log: /var/log/postgresql/postgresql-$PG_VERSION-$PG_CLUSTER.log)"
  fi
  pg_wait_ready

  # Tests and benchmarks open many pools.
  local current
  current=$(pg_admin -tAc 'SHOW max_connections')
  if [[ $current != "$PG_MAX_CONNECTIONS" ]]; then
    pg_admin -c "ALTER SYSTEM SET max_connections = $PG_MAX_CONNECTIONS"
    quietly pg_ctlcluster "$PG_VERSION" "$PG_CLUSTER" restart || die "PostgreSQL restart failed"
    pg_wait_ready
  fi

  # Only loopback reaches this server: TLS would protect nothing, and it costs both sides CPU on every statement
  # (bench/README.md, "The cost of one message"). A server reached over a network keeps it: docs/operations.md.
  if [[ $(pg_admin -tAc 'SHOW ssl') != off ]]; then
    pg_admin -c 'ALTER SYSTEM SET ssl = off' >/dev/null
    pg_admin -c 'SELECT pg_reload_conf()' >/dev/null
  fi

  # Password (scram) login over TCP from 127.0.0.1; Debian's default pg_hba.conf has this line.
  local hba
  hba=$(pg_admin -tAc 'SHOW hba_file')
  if ! grep -qE '^[[:space:]]*host[[:space:]]+all[[:space:]]+all[[:space:]]+127\.0\.0\.1/32[[:space:]]' "$hba"; then
    printf 'host    all             all             127.0.0.1/32            scram-sha-256\n' >>"$hba"
    pg_admin -c 'SELECT pg_reload_conf()' >/dev/null
  fi

  pg_admin -v role="$PG_USER" -v pw="$PG_PASSWORD" <<'SQL'
SELECT format('CREATE ROLE %I', :'role') WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'role') \gexec
ALTER ROLE :"role" WITH LOGIN CREATEDB PASSWORD :'pw';
SQL

  local one
  one=$(PGPASSWORD=$PG_PASSWORD psql -X -h 127.0.0.1 -p "$PG_PORT" -U "$PG_USER" -d postgres -tAc 'SELECT 1' 2>&1) ||
    die "password login as $PG_USER to 127.0.0.1:$PG_PORT failed: $one"
}

# ---------------------------------------------------------------- RabbitMQ
# rabbitmqctl & co. as the rabbitmq user (its HOME holds the Erlang cookie). Unlike Debian's
# /usr/sbin wrapper (su -c "..."), this passes arguments such as passwords unmangled.
# Bounded by rmq_timeout seconds: a CLI call never hangs the script (e.g. "stop" waits forever
# for a broker that epmd no longer knows).
rmq_timeout=$((TIMEOUT + 30))
rmq() {
  local tool=$1
  shift
  (cd /var/lib/rabbitmq && timeout -k 10 "$rmq_timeout" \
    runuser -u rabbitmq -- env HOME=/var/lib/rabbitmq "/usr/lib/rabbitmq/bin/$tool" "$@" 9>&-)
}

# rabbitmq-plugins writes /etc/rabbitmq/enabled_plugins, so it runs as root (as Debian's wrapper does).
rmq_plugins() {
  (cd /var/lib/rabbitmq && HOME=/var/lib/rabbitmq /usr/lib/rabbitmq/bin/rabbitmq-plugins "$@" 9>&-)
}

# Writes $2 to file $1 only if it differs; returns 0 when the file changed.
write_if_changed() {
  if [[ -f $1 ]] && [[ $(cat "$1") == "$2" ]]; then
    return 1
  fi
  printf '%s\n' "$2" >"$1"
}

rabbit_config() {
  install -d -m 755 /etc/rabbitmq
  local changed=1
  # Same settings as the repository's rabbitmq/rabbitmq.conf (used by docker-compose), but
  # loopback only and without definitions: the local user is ensured below.
  write_if_changed /etc/rabbitmq/rabbitmq.conf "# Written by OrderFulfillment scripts/services-up.sh
listeners.tcp.default = 127.0.0.1:$RABBIT_PORT
management.tcp.ip = 127.0.0.1
management.tcp.port = $RABBIT_MGMT_PORT" && changed=0
  write_if_changed /etc/rabbitmq/rabbitmq-env.conf "# Written by OrderFulfillment scripts/services-up.sh
NODENAME=$RABBIT_NODE
NODE_IP_ADDRESS=127.0.0.1
NODE_PORT=$RABBIT_PORT
SERVER_ADDITIONAL_ERL_ARGS=\"-kernel inet_dist_use_interface {127,0,0,1}\"
export ERL_EPMD_ADDRESS=127.0.0.1" && changed=0
  return $changed
}

rabbit_pid() {
  local pid
  pid=$(head -n 1 "$RABBIT_PIDFILE" 2>/dev/null || true)
  pid_is "$pid" beam && printf '%s' "$pid"
}

rabbit_fail() {
  {
    printf -- '--- %s\n' "$RABBIT_LOG"
    tail -n 30 "$RABBIT_LOG" 2>/dev/null || true
    printf -- '--- /var/log/rabbitmq/%s.log\n' "$RABBIT_NODE"
    tail -n 30 "/var/log/rabbitmq/$RABBIT_NODE.log" 2>/dev/null || true
  } >&2
  die "$*"
}

# rabbit_stop [answers]: stops the broker named in the pid file, if alive. With "answers",
# first politely through rabbitmqctl; otherwise (or if that fails) with SIGTERM to its pid,
# which the Erlang VM also handles as a graceful shutdown, then SIGKILL after 30 s.
rabbit_stop() {
  local pid
  pid=$(rabbit_pid) || return 0
  if [[ ${1:-} == answers ]]; then
    rmq_timeout=60 quietly rmq rabbitmqctl -q stop "$RABBIT_PIDFILE" 2>/dev/null && return 0
  fi
  kill -TERM "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + 30))
  while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.5; done
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$RABBIT_PIDFILE"
}

rabbit_start() {
  rm -f "$RABBIT_PIDFILE"
  install -d -o rabbitmq -g rabbitmq -m 750 /var/log/rabbitmq
  local launcher
  (
    exec 9>&-
    ulimit -n 65536 2>/dev/null || true
    cd /var/lib/rabbitmq
    exec setsid -w runuser -u rabbitmq -- env HOME=/var/lib/rabbitmq /usr/lib/rabbitmq/bin/rabbitmq-server
  ) >>"$RABBIT_LOG" 2>&1 </dev/null &
  launcher=$!

  # Wait for the AMQP listener (it opens late in boot), then for full startup.
  local deadline=$((SECONDS + TIMEOUT))
  until port_listening "$RABBIT_PORT"; do
    kill -0 "$launcher" 2>/dev/null || rabbit_fail "rabbitmq-server exited during startup"
    ((SECONDS < deadline)) || rabbit_fail "RabbitMQ did not listen on 127.0.0.1:$RABBIT_PORT within ${TIMEOUT}s"
    sleep 0.5
  done
  quietly rmq rabbitmqctl -q await_startup --timeout "$TIMEOUT" || rabbit_fail "rabbitmqctl await_startup failed"
}

start_rabbitmq() {
  local config_changed=0
  rabbit_config && config_changed=1

  local running=0
  if rabbit_pid >/dev/null && port_listening "$RABBIT_PORT"; then
    # Up (or still booting): confirm it finishes booting and answers.
    if quietly rmq rabbitmqctl -q await_startup --timeout 60; then
      running=1
    fi
  fi
  if ((running && config_changed)); then
    rabbit_stop answers
    running=0
  fi
  if ((!running)); then
    rabbit_stop # a broker process that does not answer (e.g. its epmd was killed), if any
    # The management UI and API, and the shovel that scripts/upgrade-queues moves messages with.
    if ! grep -qs rabbitmq_shovel /etc/rabbitmq/enabled_plugins; then
      quietly rmq_plugins enable --offline rabbitmq_management rabbitmq_shovel || die "enabling rabbitmq_management and rabbitmq_shovel failed"
    fi
    rabbit_start
  elif ! grep -qs rabbitmq_shovel /etc/rabbitmq/enabled_plugins; then
    quietly rmq_plugins enable rabbitmq_management rabbitmq_shovel || die "enabling rabbitmq_management and rabbitmq_shovel failed"
  fi

  # User: administrator (tests create a vhost per run through the management API),
  # full permissions on "/". Other users are left alone.
  local users tags perms
  users=$(rmq rabbitmqctl -s list_users 2>&1) || rabbit_fail "rabbitmqctl list_users failed: $users"
  if tags=$(awk -F'\t' -v u="$RABBIT_USER" '$1 == u { print $2; f = 1 } END { exit !f }' <<<"$users"); then
    if ! rmq rabbitmqctl -q authenticate_user "$RABBIT_USER" "$RABBIT_PASSWORD" >/dev/null 2>&1; then
      quietly rmq rabbitmqctl -q change_password "$RABBIT_USER" "$RABBIT_PASSWORD" || die "change_password failed"
    fi
  else
    quietly rmq rabbitmqctl -q add_user "$RABBIT_USER" "$RABBIT_PASSWORD" || die "add_user $RABBIT_USER failed"
    tags="[]"
  fi
  if [[ $tags != *administrator* ]]; then
    quietly rmq rabbitmqctl -q set_user_tags "$RABBIT_USER" administrator || die "set_user_tags failed"
  fi
  perms=$(rmq rabbitmqctl -s list_user_permissions "$RABBIT_USER" 2>&1) || die "list_user_permissions failed: $perms"
  if ! grep -qxF $'/\t.*\t.*\t.*' <<<"$perms"; then
    quietly rmq rabbitmqctl -q set_permissions -p / "$RABBIT_USER" '.*' '.*' '.*' || die "set_permissions failed"
  fi

  # Management API answers with these credentials.
  local deadline=$((SECONDS + TIMEOUT))
  until curl -fs -o /dev/null -u "$RABBIT_USER:$RABBIT_PASSWORD" "http://127.0.0.1:$RABBIT_MGMT_PORT/api/whoami"; do
    ((SECONDS < deadline)) || rabbit_fail "management API on 127.0.0.1:$RABBIT_MGMT_PORT did not answer within ${TIMEOUT}s"
    sleep 0.5
  done
}

install_packages
start_postgres
start_rabbitmq
echo "services up: rabbitmq 127.0.0.1:$RABBIT_PORT (management http://127.0.0.1:$RABBIT_MGMT_PORT), postgresql 127.0.0.1:$PG_PORT"
