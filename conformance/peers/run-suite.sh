#!/usr/bin/env bash
# The whole conformance suite against oidc-provider: installs and starts the peer, runs
#   cargo run --release -p conformance -- --target fixtures/targets/oidc-provider.toml \
#     --report-dir "${REPORT_DIR:-reports/conformance}" [extra arguments]
# and stops the peer. Exits with the suite's status: 0 or 1 mean the suite finished (1: a
# check failed, which is the peer's business); 2, 3 or a crash are errors of the suite; 4 means
# the peer could not be installed or started. Needs Node.js 20 or later and npm.
set -uo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
peer="$root/conformance/peers/oidc-provider"
cd "$root"

if ! pid="$("$peer/run.sh")"; then
  echo "run-suite.sh: the oidc-provider peer did not start" >&2
  exit 4
fi
trap '"$peer/stop.sh" "$pid"' EXIT

cargo run --release -p conformance -- \
  --target fixtures/targets/oidc-provider.toml \
  --report-dir "${REPORT_DIR:-reports/conformance}" "$@"
status=$?
echo "run-suite.sh: conformance exited with $status" >&2
exit "$status"
