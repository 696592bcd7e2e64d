#!/usr/bin/env bash
# bench.sh: the benchmark of issue 7. Brings RabbitMQ and PostgreSQL up (scripts/services-up.sh), builds the solution
# in Release, and runs the benchmark program (bench/OrderFulfillment.Benchmarks), which prints one table and writes
# the same figures as JSON to bench/results/<UTC timestamp>.json.
#   scripts/bench.sh                 full run: ceilings, workload P, outbox latency, workload E (N=2,000)
#   scripts/bench.sh --quick         small sizes, a few minutes (CI runs this once; no thresholds)
#   scripts/bench.sh --only p,latency --sagas 2000 --steps 5
#   scripts/bench.sh --only e --orders 2000,20000 --instances 1,2     growth
#   scripts/bench.sh --help          every option
# Exit status: non-zero when a section failed to run; targets not met are reported in the table, not failed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

for arg in "$@"; do
  if [ "$arg" = "--help" ] || [ "$arg" = "-h" ]; then
    # no servers or build needed to read the options, once the program is built
    if [ -f bench/OrderFulfillment.Benchmarks/bin/Release/net10.0/OrderFulfillment.Benchmarks.dll ]; then
      exec dotnet bench/OrderFulfillment.Benchmarks/bin/Release/net10.0/OrderFulfillment.Benchmarks.dll --help
    fi
  fi
done

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
bash scripts/services-up.sh
dotnet build OrderFulfillment.sln -c Release -nologo -clp:ErrorsOnly
exec dotnet bench/OrderFulfillment.Benchmarks/bin/Release/net10.0/OrderFulfillment.Benchmarks.dll "$@"
