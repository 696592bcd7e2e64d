#!/usr/bin/env bash
# services-down.sh: stop the local RabbitMQ and PostgreSQL started by scripts/services-up.sh.
# Services that are not running (or not installed) are skipped. Data is kept. Quiet unless
# something fails. Needs root. Overrides: PG_VERSION (default 15).
set -euo pipefail

PG_VERSION=${PG_VERSION:-15}
PG_CLUSTER=main
RABBIT_PIDFILE=/var/lib/rabbitmq/mnesia/rabbit@localhost.pid

die() {
  printf 'services-down: %s\n' "$*" >&2
  exit 1
}

# fd 9 (the lock) is closed for it, so daemons it starts do not hold the lock.
quietly() {
  local out
  if ! out=$("$@" 2>&1 9>&-); then
    printf '%s\n' "$out" >&2
    return 1
  fi
}

[[ $EUID -eq 0 ]] || die "must run as root"

exec 9>/run/lock/orderfulfillment-services.lock 2>/dev/null || exec 9>/tmp/orderfulfillment-services.lock
flock -w 600 9 || die "another services-up.sh/services-down.sh is still running"

status=0

# RabbitMQ: only if the broker process named in its pid file is alive.
pid=$(head -n 1 "$RABBIT_PIDFILE" 2>/dev/null || true)
if [[ $pid =~ ^[0-9]+$ ]] && [[ $(cat "/proc/$pid/comm" 2>/dev/null) == beam* ]]; then
  # "stop <pidfile>" returns once the broker's OS process has exited.
  # Bounded: "stop" waits forever for a broker it cannot reach (e.g. epmd was killed).
  if ! (cd /var/lib/rabbitmq && quietly timeout -k 10 90 runuser -u rabbitmq -- env HOME=/var/lib/rabbitmq \
    /usr/lib/rabbitmq/bin/rabbitmqctl -q stop "$RABBIT_PIDFILE"); then
    printf 'services-down: rabbitmqctl stop failed; terminating broker pid %s\n' "$pid" >&2
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    if kill -0 "$pid" 2>/dev/null; then
      kill -KILL "$pid" 2>/dev/null || true
      status=1
    fi
  fi
fi

# PostgreSQL
if command -v pg_ctlcluster >/dev/null && pg_ctlcluster "$PG_VERSION" "$PG_CLUSTER" status >/dev/null 2>&1 9>&-; then
  quietly pg_ctlcluster "$PG_VERSION" "$PG_CLUSTER" stop || status=1
fi

exit $status
