#!/usr/bin/env bash
# cluster-up.sh: start a 3-node RabbitMQ cluster on this host, without Docker, for the cluster
# test and for trying quorum queues (docs/operations.md, "Running on a RabbitMQ cluster"):
#   rabbit-c1@localhost  AMQP 127.0.0.1:5681  management http://127.0.0.1:15681
#   rabbit-c2@localhost  AMQP 127.0.0.1:5682  management http://127.0.0.1:15682
#   rabbit-c3@localhost  AMQP 127.0.0.1:5683  management http://127.0.0.1:15683
# Loopback only; data under /var/lib/orderfulfillment-cluster (kept; cluster-down.sh --reset
# removes it). The dev broker (scripts/services-up.sh) is left alone. Ensures user
# orderfulfillment (administrator, all permissions on "/") and the delivery-limit policy of the
# service queues on "/". Idempotent: nodes already up are only checked. Quiet unless something
# fails; the last line says where the nodes are.
# Needs root and the rabbitmq-server package (scripts/services-up.sh installs it).
# Overrides (environment): RabbitMq__Username, RabbitMq__Password, CLUSTER_BASE,
#   CLUSTER_UP_TIMEOUT (seconds to wait for each step, default 180).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/cluster-env.sh"

[[ $EUID -eq 0 ]] || cluster_die "must run as root"
[[ -x /usr/lib/rabbitmq/bin/rabbitmq-server ]] || cluster_die "rabbitmq-server is not installed (run scripts/services-up.sh)"
[[ -f $RABBIT_HOME/.erlang.cookie ]] || cluster_die "$RABBIT_HOME/.erlang.cookie is missing (run scripts/services-up.sh once)"
cluster_lock

# Start every node that is not running, all at once: a node that was not the last to stop waits
# for its peers at boot.
started=()
for i in "${CLUSTER_NODES[@]}"; do
  node_configure "$i"
  if ! node_running "$i"; then
    node_stop "$i" # a VM that does not answer, if any
    node_launch "$i"
    started+=("$i")
  fi
done
for i in "${started[@]}"; do node_await "$i"; done

# Nodes 2 and 3 join node 1 once; membership is kept in their data directories.
c1=$(node_name 1)
for i in 2 3; do
  members=$(node_ctl "$i" -q cluster_status --formatter json 2>&1) || cluster_die "cluster_status on $(node_name "$i") failed: $members"
  grep -q "\"$c1\"" <<<"$members" && continue
  cluster_quietly node_ctl "$i" -q stop_app || cluster_die "stop_app on $(node_name "$i") failed"
  cluster_quietly node_ctl "$i" -q reset || cluster_die "reset on $(node_name "$i") failed"
  cluster_quietly node_ctl "$i" -q join_cluster "$c1" || cluster_die "join_cluster $(node_name "$i") → $c1 failed"
  cluster_quietly node_ctl "$i" -q start_app || cluster_die "start_app on $(node_name "$i") failed"
  node_await "$i"
done

# Users and policies are cluster-wide: set them through node 1.
users=$(node_ctl 1 -s list_users 2>&1) || cluster_die "list_users failed: $users"
if ! grep -qE "^$CLUSTER_USER"$'\t' <<<"$users"; then
  cluster_quietly node_ctl 1 -q add_user "$CLUSTER_USER" "$CLUSTER_PASSWORD" || cluster_die "add_user $CLUSTER_USER failed"
elif ! node_ctl 1 -q authenticate_user "$CLUSTER_USER" "$CLUSTER_PASSWORD" >/dev/null 2>&1; then
  cluster_quietly node_ctl 1 -q change_password "$CLUSTER_USER" "$CLUSTER_PASSWORD" || cluster_die "change_password failed"
fi
grep -qE "^$CLUSTER_USER"$'\t.*administrator' <<<"$users" ||
  cluster_quietly node_ctl 1 -q set_user_tags "$CLUSTER_USER" administrator || cluster_die "set_user_tags failed"
cluster_quietly node_ctl 1 -q set_permissions -p / "$CLUSTER_USER" '.*' '.*' '.*' || cluster_die "set_permissions failed"

# The services' quorum queues: a message redelivered this often (its consumer died each time)
# goes to the queue's error exchange instead of looping. Same policies as the cluster test sets
# on its own vhost (tests/OrderFulfillment.IntegrationTests/Cluster/ClusterBroker.cs).
for queue in order-status fulfillment fulfillment-order-events; do
  cluster_quietly node_ctl 1 -q set_policy -p / --apply-to queues --priority 10 "orderfulfillment-$queue" "^$queue\$" \
    "{\"delivery-limit\":20,\"dead-letter-exchange\":\"${queue}_error\"}" || cluster_die "set_policy for $queue failed"
done

for i in "${CLUSTER_NODES[@]}"; do node_await_management "$i"; done

running=$(node_ctl 1 -q cluster_status --formatter json 2>&1) || cluster_die "cluster_status failed: $running"
for i in "${CLUSTER_NODES[@]}"; do
  grep -qE "\"running_nodes\":\[[^]]*\"$(node_name "$i")\"" <<<"$running" || cluster_die "$(node_name "$i") is not a running member: $running"
done
echo "cluster up: rabbit-c1..c3@localhost on 127.0.0.1:5681-5683 (management http://127.0.0.1:15681-15683)"
