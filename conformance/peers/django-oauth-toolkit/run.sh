#!/usr/bin/env bash
# Installs the pinned Django OAuth Toolkit (install.sh: a virtualenv in .venv here) and starts
# the peer in the background on PEER_ADDR (default 127.0.0.1:4100) with Django's own server,
# on a fresh SQLite database in PEER_STATE_DIR (default $TMPDIR or /tmp) holding the test user
# and the applications of fixtures/targets/django-oauth-toolkit.toml. Returns once the RFC 8414
# metadata answers, and prints the server's PID on standard output; stop it with stop.sh.
#   --no-install   skip install.sh (.venv already installed)
# PEER_HASH_CLIENT_SECRETS=1 keeps the toolkit's default of hashing client secrets (PBKDF2:
# about 0.3 s of CPU per client authentication; the whole suite then takes 11 min, not 30 s).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
addr="${PEER_ADDR:-127.0.0.1:4100}"
state="${PEER_STATE_DIR:-${TMPDIR:-/tmp}}"
base="$state/conformance-peer-django-oauth-toolkit-${addr//[:.\[\]]/-}"
pidfile="$base.pid"
logfile="$base.log"
database="$base.sqlite3"
metadata="http://$addr/.well-known/oauth-authorization-server"

install="$(peer_install_wanted "$@")"

cd "$here"
if [ "$install" = 1 ]; then
  "$here/install.sh"
fi
python="$here/.venv/bin/python"
[ -x "$python" ] || { echo "run.sh: $here/.venv is not installed (run without --no-install)" >&2; exit 1; }

answers() {
  "$python" -c 'import sys, urllib.request
try:
    sys.exit(0 if urllib.request.urlopen(sys.argv[1], timeout=2).status == 200 else 1)
except Exception:
    sys.exit(1)' "$1"
}

peer_refuse_if_answering "$metadata"

mkdir -p "$state"
rm -f "$database" "$database-wal" "$database-shm"
# No __pycache__ beside the sources (the tree ignores only .venv and *.sqlite3 here).
export PEER_ADDR="$addr" PEER_DATABASE="$database" DJANGO_SETTINGS_MODULE=peer.settings PYTHONDONTWRITEBYTECODE=1
if ! { "$python" manage.py migrate --verbosity 0 && "$python" manage.py setup_peer; } >"$logfile" 2>&1; then
  echo "run.sh: setting up the database failed; log ($logfile):" >&2
  cat "$logfile" >&2
  exit 1
fi

nohup "$python" manage.py runserver --noreload --skip-checks "$addr" >>"$logfile" 2>&1 &
pid=$!
echo "$pid" >"$pidfile"

peer_await "$pid" "$metadata" "$logfile" "$pidfile"
