#!/usr/bin/env bash
# Installs Doorkeeper and its Rails from Debian's packages (install.sh, apt-get) and starts
# the peer, a minimal Rails application under puma, in the background on PEER_ADDR (default
# 127.0.0.1:4300), on a fresh SQLite database in PEER_STATE_DIR. Returns once the metadata
# document answers, and prints the server's PID on standard output; stop it with stop.sh.
#   --no-install   skip install.sh (the Debian packages are already installed)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
addr="${PEER_ADDR:-127.0.0.1:4300}"
state="${PEER_STATE_DIR:-${TMPDIR:-/tmp}}"
base="$state/conformance-peer-doorkeeper-${addr//[:.]/-}"
pidfile="$base.pid"
logfile="$base.log"
database="$base.sqlite3"
metadata="http://$addr/.well-known/oauth-authorization-server"

install="$(peer_install_wanted "$@")"

if [ "$install" = 1 ]; then
  "$here/install.sh" >&2 || exit 1
fi
for tool in ruby puma; do
  command -v "$tool" >/dev/null || { echo "run.sh: $tool is not installed (run install.sh)" >&2; exit 1; }
done

answers() {
  ruby -rnet/http -e '
    begin
      exit(Net::HTTP.get_response(URI(ARGV[0])).is_a?(Net::HTTPSuccess) ? 0 : 1)
    rescue StandardError
      exit 1
    end' "$1"
}

peer_refuse_if_answering "$metadata"

mkdir -p "$state"
rm -f "$database" "$database-wal" "$database-shm"
cd "$here"
RAILS_ENV=production \
  PEER_ADDR="$addr" \
  PEER_DATABASE="$database" \
  SECRET_KEY_BASE="$(od -An -tx1 -N64 /dev/urandom | tr -d ' \n')" \
  nohup puma --bind "tcp://$addr" --environment production --threads 0:8 config.ru \
  >"$logfile" 2>&1 </dev/null &
pid=$!
echo "$pid" >"$pidfile"

peer_await "$pid" "$metadata" "$logfile" "$pidfile" 30
