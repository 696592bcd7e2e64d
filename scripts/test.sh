#!/usr/bin/env bash
# test.sh: runs every test. Brings RabbitMQ and PostgreSQL up first (scripts/services-up.sh) and the local
# 3-node RabbitMQ cluster (scripts/cluster-up.sh), installs chromium if it is missing, builds the solution, then
# runs the fast harness tests, the integration tests against the real broker, cluster and database, and the
# console's page tests in headless Chromium. Installs Prometheus (Debian's, with promtool) if it is missing, checks and
# unit-tests the alert rules of monitoring/ with promtool, and the monitoring tests start it on loopback.
#   scripts/test.sh                 everything
#   scripts/test.sh --fast          only the harness tests on the in-memory database (no servers needed)
#   scripts/test.sh --filter EXPR   passed to dotnet test (e.g. --filter "Category=Integration")
# The last line is "N passed, N failed".
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

fast=false
filter=()
while [ $# -gt 0 ]; do
  case "$1" in
    --fast) fast=true ;;
    --filter) filter=(--filter "$2"); shift ;;
    *) echo "test.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
# Random schedules the explorer runs (seeded: EXPLORER_SEED); the exhaustive sets always run whole.
export EXPLORER_SCHEDULES=${EXPLORER_SCHEDULES:-10000}
configuration=${CONFIGURATION:-Release}

if [ "$fast" = false ]; then
  bash scripts/services-up.sh
  # The console's page tests drive Debian's Chromium (Playwright's own browser download is not used).
  if ! command -v chromium >/dev/null 2>&1; then
    echo "test.sh: installing chromium for the console's page tests"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o Dpkg::Lock::Timeout=300 --no-install-recommends chromium >/dev/null ||
      { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium >/dev/null; } ||
      { echo "test.sh: could not install chromium" >&2; exit 1; }
  fi
  # Prometheus and promtool: the alert rules' checks below, and the monitoring tests (Category=Monitoring) start it.
  if ! command -v prometheus >/dev/null 2>&1 || ! command -v promtool >/dev/null 2>&1; then
    echo "test.sh: installing prometheus for the alert rules and the monitoring tests"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o Dpkg::Lock::Timeout=300 --no-install-recommends prometheus >/dev/null ||
      { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends prometheus >/dev/null; } ||
      { echo "test.sh: could not install prometheus" >&2; exit 1; }
  fi
  # The 3-node cluster of the cluster test (Category=Cluster), beside the dev broker.
  bash scripts/cluster-up.sh
fi

dotnet build OrderFulfillment.sln -c "$configuration" -nologo -clp:ErrorsOnly

if [ "$fast" = true ]; then
  projects=(tests/OrderFulfillment.OrderService.Tests tests/OrderFulfillment.FulfillmentService.Tests
            tests/OrderFulfillment.ScheduleExplorer.Tests)
  # The harness tests that run through PostgreSQL (Category=Postgres) need the server.
  given=${filter[1]:-}
  filter=(--filter "${given:+($given)&}Category!=Postgres")
else
  projects=(tests/OrderFulfillment.OrderService.Tests tests/OrderFulfillment.FulfillmentService.Tests
            tests/OrderFulfillment.ScheduleExplorer.Tests tests/OrderFulfillment.Persistence.Tests tests/OrderFulfillment.IntegrationTests
            tests/OrderFulfillment.Console.Tests)
fi

# The cluster test (Category=Cluster) appends its figures here; printed at the end.
figures="tests/OrderFulfillment.IntegrationTests/bin/$configuration/net10.0/cluster-figures.txt"
rm -f "$figures"

log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0

# The alert rules: syntax (promtool check rules) and one unit test per alert (monitoring/alerts.test.yml). Without
# promtool (--fast as a non-root user) they are reported as not run, which is a failure only of the full run.
if command -v promtool >/dev/null 2>&1; then
  echo "== monitoring/alerts.yml (promtool)"
  if promtool check rules monitoring/alerts.yml && promtool test rules monitoring/alerts.test.yml; then
    echo "     Passed: 1 (promtool check rules, promtool test rules)" | tee -a "$log"
  else
    echo "     Failed: 1 (promtool check rules or promtool test rules)" | tee -a "$log"
    status=1
  fi
elif [ "$fast" = false ]; then
  echo "test.sh: promtool is missing" >&2
  status=1
else
  echo "test.sh: promtool is missing, the alert rules were not checked (apt-get install prometheus)"
fi
for project in "${projects[@]}"; do
  [ -d "$project" ] || continue
  echo "== $project"
  # PIPESTATUS is read before anything else runs: after "|| true" it would be true's.
  set +e
  dotnet test "$project" -c "$configuration" --no-build -nologo "${filter[@]}" --logger "console;verbosity=normal" 2>&1 \
    | tee -a "$log" | grep -E "^\s+(Passed|Failed|Skipped) |Error Message|^\s{3}[A-Z].*|Passed!|Failed!|Total tests"
  [ "${PIPESTATUS[0]}" -eq 0 ] || status=1
  set -e
done

[ -f "$figures" ] && cat "$figures"
sum() { grep -hoE "$1: +[0-9]+" "$log" | grep -oE "[0-9]+" | awk '{ s += $1 } END { print s + 0 }'; }
echo "$(sum Passed) passed, $(sum Failed) failed"
exit $status
