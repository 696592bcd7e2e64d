# cluster-env.sh: shared by cluster-up.sh, cluster-down.sh and cluster-node.sh (sourced, not run).
# The local 3-node RabbitMQ cluster, beside the single dev broker (rabbit@localhost, 5672/15672),
# which it never touches: node i (1..3) is rabbit-c<i>@localhost with
#   AMQP 127.0.0.1:568<i>, management 127.0.0.1:1568<i>, Erlang distribution 127.0.0.1:2568<i>,
#   data, logs and configuration under $CLUSTER_BASE/c<i>.
# The nodes run as the rabbitmq user with HOME=/var/lib/rabbitmq, so they share the dev broker's
# Erlang cookie (which nodes of one cluster must) and rabbitmqctl -n <node> works without options.
# epmd (4369) is shared with the dev broker.

CLUSTER_BASE=${CLUSTER_BASE:-/var/lib/orderfulfillment-cluster}
CLUSTER_NODES=(1 2 3)
CLUSTER_USER=${RabbitMq__Username:-orderfulfillment}
CLUSTER_PASSWORD=${RabbitMq__Password:-orderfulfillment}
CLUSTER_TIMEOUT=${CLUSTER_UP_TIMEOUT:-180}
# Each node's disk_free_limit; cluster-node.sh disk-ok sets it back after disk-alarm.
CLUSTER_DISK_FREE_LIMIT=200MB
RABBIT_HOME=/var/lib/rabbitmq

cluster_die() {
  printf '%s: %s\n' "$(basename "$0" .sh)" "$*" >&2
  exit 1
}

node_name() { printf 'rabbit-c%s@localhost' "$1"; }
node_amqp_port() { printf '568%s' "$1"; }
node_management_port() { printf '1568%s' "$1"; }
node_dist_port() { printf '2568%s' "$1"; }
node_dir() { printf '%s/c%s' "$CLUSTER_BASE" "$1"; }
node_pidfile() { printf '%s/c%s/rabbit.pid' "$CLUSTER_BASE" "$1"; }

# Runs a command and shows its output only when it fails. fd 9 (the lock) is closed for it.
cluster_quietly() {
  local out
  if ! out=$("$@" 2>&1 9>&-); then
    printf '%s\n' "$out" >&2
    return 1
  fi
}

# rabbitmqctl against node $1, as the rabbitmq user (its HOME holds the cookie), bounded in time.
node_ctl() {
  local node=$1
  shift
  (cd "$RABBIT_HOME" && timeout -k 10 "${CTL_TIMEOUT:-$((CLUSTER_TIMEOUT + 30))}" \
    runuser -u rabbitmq -- env HOME="$RABBIT_HOME" /usr/lib/rabbitmq/bin/rabbitmqctl -n "$(node_name "$node")" "$@" 9>&-)
}

# True when pid $1 is alive (not a zombie) and is an Erlang VM.
beam_alive() {
  local comm stat
  [[ $1 =~ ^[0-9]+$ ]] || return 1
  comm=$(cat "/proc/$1/comm" 2>/dev/null) || return 1
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  [[ $comm == beam* && ${stat##*) } != Z* ]]
}

# The pid of node $1's Erlang VM, when it runs.
node_pid() {
  local pid
  pid=$(head -n 1 "$(node_pidfile "$1")" 2>/dev/null || true)
  beam_alive "$pid" && printf '%s' "$pid"
}

# True when something listens on TCP port $1 (reads /proc: no traffic).
cluster_port_listening() {
  local hex
  hex=$(printf '%04X' "$1")
  grep -qE "^ *[0-9]+: [0-9A-F]+:$hex [0-9A-F]+:0000 0A " /proc/net/tcp /proc/net/tcp6 2>/dev/null
}

node_fail() {
  local dir
  dir=$(node_dir "$1")
  {
    printf -- '--- %s/startup.log\n' "$dir"
    tail -n 30 "$dir/startup.log" 2>/dev/null || true
    printf -- '--- %s/log/%s.log\n' "$dir" "$(node_name "$1")"
    tail -n 30 "$dir/log/$(node_name "$1").log" 2>/dev/null || true
  } >&2
  cluster_die "$2"
}

# Writes node $1's configuration; its data directories are kept between runs.
node_configure() {
  local dir
  dir=$(node_dir "$1")
  install -d -o rabbitmq -g rabbitmq -m 750 "$dir" "$dir/mnesia" "$dir/log"
  cat >"$dir/rabbitmq.conf" <<EOF
# Written by OrderFulfillment scripts/cluster-up.sh: node $(node_name "$1"), loopback only.
listeners.tcp.default = 127.0.0.1:$(node_amqp_port "$1")
management.tcp.ip = 127.0.0.1
management.tcp.port = $(node_management_port "$1")
# Three nodes share a small machine with the dev broker, PostgreSQL and the services.
vm_memory_high_watermark.relative = 0.1
disk_free_limit.absolute = $CLUSTER_DISK_FREE_LIMIT
cluster_partition_handling = pause_minority
EOF
  printf '[rabbitmq_management].\n' >"$dir/enabled_plugins"
  # Empty on purpose: keeps /etc/rabbitmq/rabbitmq-env.conf (the dev broker's node name and ports) out.
  : >"$dir/rabbitmq-env.conf"
  chown rabbitmq:rabbitmq "$dir/rabbitmq.conf" "$dir/enabled_plugins" "$dir/rabbitmq-env.conf"
}

# Starts node $1 in the background and waits until it listens for AMQP; the caller awaits startup.
node_launch() {
  local dir
  dir=$(node_dir "$1")
  rm -f "$(node_pidfile "$1")"
  (
    exec 9>&-
    ulimit -n 65536 2>/dev/null || true
    cd "$RABBIT_HOME"
    exec setsid runuser -u rabbitmq -- env HOME="$RABBIT_HOME" \
      RABBITMQ_CONF_ENV_FILE="$dir/rabbitmq-env.conf" \
      RABBITMQ_NODENAME="$(node_name "$1")" \
      RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 \
      RABBITMQ_NODE_PORT="$(node_amqp_port "$1")" \
      RABBITMQ_DIST_PORT="$(node_dist_port "$1")" \
      RABBITMQ_CONFIG_FILE="$dir/rabbitmq.conf" \
      RABBITMQ_ENABLED_PLUGINS_FILE="$dir/enabled_plugins" \
      RABBITMQ_MNESIA_BASE="$dir/mnesia" \
      RABBITMQ_LOG_BASE="$dir/log" \
      RABBITMQ_PID_FILE="$(node_pidfile "$1")" \
      RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1} +S 1:1 +SDio 1" \
      ERL_EPMD_ADDRESS=127.0.0.1 \
      /usr/lib/rabbitmq/bin/rabbitmq-server
  ) >>"$dir/startup.log" 2>&1 </dev/null &
}

node_await() {
  local deadline=$((SECONDS + CLUSTER_TIMEOUT))
  until cluster_port_listening "$(node_amqp_port "$1")"; do
    ((SECONDS < deadline)) || node_fail "$1" "$(node_name "$1") did not listen on 127.0.0.1:$(node_amqp_port "$1") within ${CLUSTER_TIMEOUT}s"
    sleep 0.5
  done
  cluster_quietly node_ctl "$1" -q await_startup --timeout "$CLUSTER_TIMEOUT" || node_fail "$1" "$(node_name "$1"): await_startup failed"
}

node_await_management() {
  local deadline=$((SECONDS + CLUSTER_TIMEOUT))
  until curl -fs -o /dev/null -u "$CLUSTER_USER:$CLUSTER_PASSWORD" "http://127.0.0.1:$(node_management_port "$1")/api/whoami"; do
    ((SECONDS < deadline)) || node_fail "$1" "management API on 127.0.0.1:$(node_management_port "$1") did not answer within ${CLUSTER_TIMEOUT}s"
    sleep 0.5
  done
}

# True when node $1 runs and answers.
node_running() {
  node_pid "$1" >/dev/null && CTL_TIMEOUT=30 node_ctl "$1" -q await_startup --timeout 20 >/dev/null 2>&1
}

# Stops node $1: politely through rabbitmqctl, else SIGTERM, then SIGKILL after 30 s.
node_stop() {
  local pid
  pid=$(node_pid "$1") || return 0
  CTL_TIMEOUT=90 cluster_quietly node_ctl "$1" -q stop "$(node_pidfile "$1")" 2>/dev/null && return 0
  kill -TERM "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + 30))
  while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.5; done
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$(node_pidfile "$1")"
}

cluster_lock() {
  { exec 9>/run/lock/orderfulfillment-cluster.lock; } 2>/dev/null || exec 9>/tmp/orderfulfillment-cluster.lock
  flock -w 600 9 || cluster_die "another cluster script is still running"
}
