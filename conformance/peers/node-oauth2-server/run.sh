#!/usr/bin/env bash
# Installs the pinned @node-oauth/oauth2-server, Express and express-session (npm ci, into
# node_modules here) and starts the peer (server.mjs) in the background on PEER_ADDR (default
# 127.0.0.1:4200). Returns once its metadata document answers, and prints the server's PID on
# standard output; stop it with stop.sh. State and log go to PEER_STATE_DIR (default $TMPDIR
# or /tmp).
#   --no-install   skip npm ci (node_modules already installed)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
addr="${PEER_ADDR:-127.0.0.1:4200}"
state="${PEER_STATE_DIR:-${TMPDIR:-/tmp}}"
pidfile="$(peer_pidfile node-oauth2-server "$addr" "$state")"
logfile="$state/conformance-peer-node-oauth2-server-${addr//[:.]/-}.log"
metadata="http://$addr/.well-known/oauth-authorization-server"

install="$(peer_install_wanted "$@")"

answers() {
  node -e 'fetch(process.argv[1]).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))' "$1"
}

command -v node >/dev/null || { echo "run.sh: node is not installed" >&2; exit 1; }
peer_refuse_if_answering "$metadata"

cd "$here"
if [ "$install" = 1 ]; then
  command -v npm >/dev/null || { echo "run.sh: npm is not installed" >&2; exit 1; }
  if ! npm ci --no-audit --no-fund --loglevel=error >&2; then
    echo "run.sh: npm ci failed in $here" >&2
    exit 1
  fi
elif [ ! -d node_modules ]; then
  echo "run.sh: --no-install, but $here/node_modules is not there" >&2
  exit 1
fi

mkdir -p "$state"
PEER_ADDR="$addr" nohup node server.mjs >"$logfile" 2>&1 &
pid=$!
echo "$pid" >"$pidfile"

peer_await "$pid" "$metadata" "$logfile" "$pidfile"
