#!/usr/bin/env bash
# Installs the pinned oidc-provider (npm ci, into node_modules here) and starts the peer in
# the background on PEER_ADDR (default 127.0.0.1:4000). Returns once the discovery document
# answers, and prints the server's PID on standard output; stop it with stop.sh.
#   --no-install   skip npm ci (node_modules already installed)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
addr="${PEER_ADDR:-127.0.0.1:4000}"
state="${PEER_STATE_DIR:-${TMPDIR:-/tmp}}"
pidfile="$(peer_pidfile oidc-provider "$addr" "$state")"
logfile="$state/conformance-peer-oidc-provider-${addr//[:.]/-}.log"
discovery="http://$addr/.well-known/openid-configuration"

install="$(peer_install_wanted "$@")"

answers() {
  node -e 'fetch(process.argv[1]).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))' "$1"
}

command -v node >/dev/null || { echo "run.sh: node is not installed" >&2; exit 1; }
peer_refuse_if_answering "$discovery"

cd "$here"
if [ "$install" = 1 ]; then
  npm ci --no-audit --no-fund --loglevel=error >&2
fi

mkdir -p "$state"
PEER_ADDR="$addr" nohup node server.mjs >"$logfile" 2>&1 &
pid=$!
echo "$pid" >"$pidfile"

peer_await "$pid" "$discovery" "$logfile" "$pidfile"
