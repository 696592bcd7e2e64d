#!/usr/bin/env bash
# cluster-node.sh: one node of the local cluster (scripts/cluster-up.sh), for failure tests.
#   scripts/cluster-node.sh stop N    stop node N (1-3) gracefully; the others keep running
#   scripts/cluster-node.sh kill N    SIGKILL node N's Erlang VM: no shutdown at all
#   scripts/cluster-node.sh start N   start node N again and wait until it runs and serves management
#   scripts/cluster-node.sh pid N     print node N's Erlang VM pid (exit 1 when it is not running)
#   scripts/cluster-node.sh disk-alarm N  raise node N's disk alarm without filling the disk: its disk_free_limit is set
#                                     above the free space (RabbitMQ then blocks every publishing connection of the cluster)
#   scripts/cluster-node.sh disk-ok N     set node N's disk_free_limit back to the configured one (the alarm clears)
# Quiet unless something fails. Needs root.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/cluster-env.sh"

action=${1:-}
node=${2:-}
usage="usage: cluster-node.sh stop|kill|start|pid|disk-alarm|disk-ok 1|2|3"
[[ $node =~ ^[123]$ ]] || cluster_die "$usage"
[[ $EUID -eq 0 ]] || cluster_die "must run as root"

case "$action" in
  pid)
    node_pid "$node" || exit 1
    echo
    ;;
  stop)
    cluster_lock
    node_stop "$node"
    ;;
  kill)
    pid=$(node_pid "$node") || cluster_die "$(node_name "$node") is not running"
    kill -KILL "$pid"
    while beam_alive "$pid"; do sleep 0.1; done
    ;;
  start)
    cluster_lock
    node_running "$node" && exit 0
    node_stop "$node"
    node_configure "$node"
    node_launch "$node"
    node_await "$node"
    node_await_management "$node"
    ;;
  disk-alarm)
    free=$(df --output=avail -B1 "$(node_dir "$node")" | tail -n 1 | tr -d ' ')
    CTL_TIMEOUT=60 cluster_quietly node_ctl "$node" -q set_disk_free_limit "$((free + 10 * 1024 * 1024 * 1024))" ||
      cluster_die "set_disk_free_limit on $(node_name "$node") failed"
    ;;
  disk-ok)
    CTL_TIMEOUT=60 cluster_quietly node_ctl "$node" -q set_disk_free_limit "$CLUSTER_DISK_FREE_LIMIT" ||
      cluster_die "set_disk_free_limit on $(node_name "$node") failed"
    ;;
  *) cluster_die "$usage" ;;
esac
