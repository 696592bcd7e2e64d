#!/usr/bin/env bash
# run.sh: runs the whole system on this machine. Installs and starts RabbitMQ (with the management UI) and
# PostgreSQL where they are missing (scripts/services-up.sh), builds both services and the console, and runs them:
#   order service        http://localhost:5100   (GET /orders/{orderId}, /health/ready, /metrics)
#   fulfillment service  http://localhost:5200   (GET /fulfillments/{id}, /orders/{orderId}/fulfillments)
#   operator console     http://localhost:5300   (sign in with Console__ApiKey, default orderfulfillment-console-dev)
# Logs: .run/logs/{order-service,fulfillment-service,console}.log, 10 MB a file (LOG_MAX_BYTES), the two before
# each kept as .log.1 and .log.2. Ctrl+C stops all three.
#   scripts/run.sh --detach   start them in the background and return (stop with scripts/run.sh --stop)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

state=.run
mkdir -p "$state/logs"

stop() {
  for name in order-service fulfillment-service console; do
    if [ -f "$state/$name.pid" ]; then
      kill "$(cat "$state/$name.pid")" 2>/dev/null || true
      rm -f "$state/$name.pid"
    fi
  done
}

if [ "${1:-}" = "--stop" ]; then
  stop
  echo "services and console stopped"
  exit 0
fi

bash scripts/services-up.sh
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet build OrderFulfillment.sln -c Release -nologo -clp:ErrorsOnly
# ofctl from any folder (the link points at scripts/ofctl, which runs this checkout's build).
ln -sf "$PWD/scripts/ofctl" /usr/local/bin/ofctl 2>/dev/null || true
stop

# Appends standard input to file $1, at most $2 bytes a file: a full file becomes $1.1 (the one before that $1.2,
# the oldest kept), and a new $1 begins. So a service that logs without end fills at most three files.
keep_log() {
  local file=$1 max=$2 size line
  exec 3>>"$file"
  size=$(stat -c %s "$file")
  while IFS= read -r line || [ -n "$line" ]; do
    printf '%s\n' "$line" >&3
    size=$((size + ${#line} + 1))
    if ((size >= max)); then
      exec 3>&-
      mv -f "$file.1" "$file.2" 2>/dev/null || true
      mv -f "$file" "$file.1"
      exec 3>>"$file"
      size=0
    fi
  done
}

# The services' memory settings for a small host (docs/operations.md, "Memory"; the Dockerfiles and the benchmark set the
# same): a 128 MB managed-heap limit (hexadecimal), and glibc's allocator giving freed native memory back. A variable
# already set in the environment wins.
service_memory=(DOTNET_GCHeapHardLimit="${DOTNET_GCHeapHardLimit:-0x8000000}" MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-2}"
  MALLOC_MMAP_THRESHOLD_="${MALLOC_MMAP_THRESHOLD_:-65536}" MALLOC_TRIM_THRESHOLD_="${MALLOC_TRIM_THRESHOLD_:-131072}")

start() { # name project url
  local name=$1 project=$2 url=$3 log=$PWD/$state/logs/$1.log memory=()
  [ "$name" = console ] || memory=("${service_memory[@]}")
  # From its build output folder, where its appsettings.json is (the content root is the working directory).
  (cd "src/$project/bin/Release/net10.0" && exec env ASPNETCORE_URLS="${url}" DOTNET_EnableWriteXorExecute=0 "${memory[@]}" \
    setsid dotnet "$project.dll" > >(LC_ALL=C keep_log "$log" "${LOG_MAX_BYTES:-10485760}" >/dev/null 2>&1) 2>&1) &
  echo $! >"$state/$name.pid"
}
start order-service OrderFulfillment.OrderService "${ORDER_SERVICE_URLS:-http://localhost:5100}"
start fulfillment-service OrderFulfillment.FulfillmentService "${FULFILLMENT_SERVICE_URLS:-http://localhost:5200}"
# The console reads the services where this script started them (the first of each URL list).
Console__OrderService=${Console__OrderService:-${ORDER_SERVICE_URLS:-http://localhost:5100}} \
Console__FulfillmentService=${Console__FulfillmentService:-${FULFILLMENT_SERVICE_URLS:-http://localhost:5200}} \
  start console OrderFulfillment.Console "${CONSOLE_URLS:-http://localhost:5300}"

for url in "${ORDER_SERVICE_URLS:-http://localhost:5100}" "${FULFILLMENT_SERVICE_URLS:-http://localhost:5200}" "${CONSOLE_URLS:-http://localhost:5300}"; do
  url=${url%%;*}
  for _ in $(seq 1 120); do
    curl -fs "$url/health/ready" >/dev/null 2>&1 && break
    for name in order-service fulfillment-service console; do
      kill -0 "$(cat "$state/$name.pid")" 2>/dev/null || { echo "run.sh: $name exited at start:" >&2; tail -20 "$state/logs/$name.log" >&2; stop; exit 1; }
    done
    sleep 0.5
  done
  curl -fs "$url/health/ready" >/dev/null || { echo "run.sh: $url did not become ready; see $state/logs/" >&2; tail -20 "$state"/logs/*.log >&2; stop; exit 1; }
done

cat <<INFO
OrderFulfillment is running.
  order service        ${ORDER_SERVICE_URLS:-http://localhost:5100}   (GET /orders/{orderId})
  fulfillment service  ${FULFILLMENT_SERVICE_URLS:-http://localhost:5200}   (GET /fulfillments/{fulfillmentId})
  operator console     ${CONSOLE_URLS:-http://localhost:5300}   (operator key: Console__ApiKey, default orderfulfillment-console-dev)
  RabbitMQ management  http://localhost:15672   (user orderfulfillment, password orderfulfillment)
  logs                 $state/logs/
  command line         ofctl --help   (scripts/ofctl)
INFO

if [ "${1:-}" = "--detach" ]; then
  exit 0
fi
trap 'stop; echo; echo "services and console stopped"' INT TERM
echo "Ctrl+C stops both services and the console."
tail -n 0 -F "$state"/logs/order-service.log "$state"/logs/fulfillment-service.log "$state"/logs/console.log &
wait "$(cat "$state/order-service.pid")" "$(cat "$state/fulfillment-service.pid")" "$(cat "$state/console.pid")" || true
stop
