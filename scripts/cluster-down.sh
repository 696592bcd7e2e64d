#!/usr/bin/env bash
# cluster-down.sh: stop the local 3-node RabbitMQ cluster that scripts/cluster-up.sh started.
#   scripts/cluster-down.sh          stop the nodes; their data (queues, messages, users) is kept
#   scripts/cluster-down.sh --reset  stop them and delete /var/lib/orderfulfillment-cluster
# The dev broker (rabbit@localhost) is left alone. Idempotent and quiet unless something fails.
# Needs root.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/cluster-env.sh"

reset=false
case "${1:-}" in
  "") ;;
  --reset) reset=true ;;
  *) cluster_die "unknown option $1 (expected --reset or nothing)" ;;
esac

[[ $EUID -eq 0 ]] || cluster_die "must run as root"
cluster_lock

# The last node to stop is the one the others wait for at the next start: stop 3, 2, then 1.
for i in 3 2 1; do node_stop "$i"; done
for i in "${CLUSTER_NODES[@]}"; do
  ! node_pid "$i" >/dev/null || cluster_die "$(node_name "$i") is still running"
done

if $reset; then
  [[ $CLUSTER_BASE == /var/lib/orderfulfillment-cluster || -f $CLUSTER_BASE/c1/rabbitmq.conf ]] ||
    cluster_die "refusing to delete $CLUSTER_BASE: not a cluster directory"
  rm -rf "$CLUSTER_BASE"
fi
