#!/bin/sh
# wrk against a running reference server: GET /healthz and client_credentials tokens (Basic),
# one thread, 32 keep-alive connections, with wrk's and the server's CPU per request.
#   load/wrk/bench.sh [SERVER_PID]
# AS (default http://127.0.0.1:8080), ADMIN (the sandbox's admin client:secret), BENCH_SECONDS
# (default 10). Creates one admin_api client and deletes it at the end. Needs wrk (Debian:
# apt-get install wrk), curl and python3.
set -eu
AS=${AS:-http://127.0.0.1:8080}
ADMIN=${ADMIN:-bootstrap-admin:sandbox-admin-secret-0123456789}
SECONDS_EACH=${BENCH_SECONDS:-10}
SERVER_PID=${1:-}
HERE=$(dirname "$0")

json() { python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }
# utime + stime of a process, in clock ticks (proc(5) fields 14 and 15).
ticks() { [ -n "$SERVER_PID" ] && awk '{sub(/.*\) /, ""); print $12 + $13}' "/proc/$SERVER_PID/stat" || echo 0; }

CLIENT=$(curl -sf -u "$ADMIN" -X POST "$AS/admin/clients" -H 'content-type: application/json' \
  -d '{"kind": "admin_api", "name": "wrk bench", "roles": ["PAYMENTS_VIEW"]}')
CLIENT_ID=$(echo "$CLIENT" | json client_id)
BASIC=$(printf '%s:%s' "$CLIENT_ID" "$(echo "$CLIENT" | json client_secret)" | base64 -w0)
trap 'curl -sf -o /dev/null -u "$ADMIN" -X DELETE "$AS/admin/clients/$CLIENT_ID"' EXIT

run() {
  name=$1; shift
  before=$(ticks)
  out=$(/usr/bin/time -f 'wrk-cpu %U %S' wrk -t1 -c32 -d"${SECONDS_EACH}s" --latency "$@" 2>&1)
  after=$(ticks)
  echo "$out" | grep -E 'Requests/sec|Latency |99%|50%|non-200|Non-2xx|Socket errors'
  echo "$out" | awk -v name="$name" -v server=$((after - before)) '
    /requests in/ { requests = $1 }
    /^wrk-cpu/ { cpu = $2 + $3 }
    END {
      printf "%s: wrk CPU %.1f us per request", name, cpu * 1e6 / requests
      if (server > 0) printf ", server CPU %.1f us per request", server * 1e4 / requests
      printf "\n"
    }'
}

run healthz "$AS/healthz"
run client_credentials -s "$HERE/token.lua" -H "Authorization: Basic $BASIC" "$AS/oauth/token"
