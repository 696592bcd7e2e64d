#!/usr/bin/env bash
# cluster-node.sh: one node of the local cluster (scripts/cluster-up.sh), for failure tests.
#   scripts/cluster-node.sh stop N    stop node N (1-3) gracefully; the others keep running
#   scripts/cluster-node.sh kill N    SIGKILL node N's Erlang VM: no shutdown at all
#   scripts/cluster-node.sh start N   start node N again and wait until it runs and serves management
#   scripts/cluster-node.sh pid N     print node N's Erlang VM pid (exit 1 when it is not running)
# Quiet unless something fails. Needs root.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/cluster-env.sh"

action=${1:-}
node=${2:-}
[[ $node =~ ^[123]$ ]] || cluster_die "usage: cluster-node.sh stop|kill|start|pid 1|2|3"
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
  *) cluster_die "usage: cluster-node.sh stop|kill|start|pid 1|2|3" ;;
esac
