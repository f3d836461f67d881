#!/usr/bin/env bash
# Stops the peer that run.sh started for PEER_ADDR (default 127.0.0.1:4200), or the PID given.
set -euo pipefail

addr="${PEER_ADDR:-127.0.0.1:4200}"
state="${PEER_STATE_DIR:-${TMPDIR:-/tmp}}"
pidfile="$state/conformance-peer-node-oauth2-server-${addr//[:.]/-}.pid"

pid="${1:-}"
if [ -z "$pid" ]; then
  [ -f "$pidfile" ] || { echo "stop.sh: no peer recorded in $pidfile" >&2; exit 0; }
  pid="$(cat "$pidfile")"
fi
if kill "$pid" 2>/dev/null; then
  for _ in $(seq 1 50); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null || true
fi
if [ -f "$pidfile" ] && [ "$(cat "$pidfile")" = "$pid" ]; then
  rm -f "$pidfile"
fi
