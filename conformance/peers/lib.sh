# What every peer's run.sh and stop.sh share; sourced, not run. A peer's pid file is
# $PEER_STATE_DIR/conformance-peer-<name>-<address with : . [ ] as ->.pid.

# peer_pidfile NAME ADDR STATE
peer_pidfile() {
  local name=$1 addr=$2 state=$3
  echo "$state/conformance-peer-$name-${addr//[:.\[\]]/-}.pid"
}

# peer_install_wanted ARGS...: the one option run.sh takes; prints 1 to install, 0 for
# --no-install, and exits 2 on anything else.
peer_install_wanted() {
  local install=1 arg
  for arg in "$@"; do
    case "$arg" in
      --no-install) install=0 ;;
      *) echo "run.sh: unknown argument $arg" >&2; exit 2 ;;
    esac
  done
  echo "$install"
}

# peer_refuse_if_answering URL: a second peer on the same address would hide the first.
peer_refuse_if_answering() {
  if answers "$1"; then
    echo "run.sh: something already answers at $1; stop it first (stop.sh)" >&2
    exit 1
  fi
}

# peer_await PID URL LOGFILE PIDFILE [SECONDS]: waits until `answers URL` succeeds (each run.sh
# defines `answers` with its own runtime), then prints PID and exits 0; if the peer dies or
# never answers, shows its log, removes the pid file and exits 1.
peer_await() {
  local pid=$1 url=$2 logfile=$3 pidfile=$4 seconds=${5:-20}
  for _ in $(seq 1 $((seconds * 5))); do
    if answers "$url"; then
      echo "$pid"
      exit 0
    fi
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "run.sh: the peer exited; its log ($logfile):" >&2
      cat "$logfile" >&2
      rm -f "$pidfile"
      exit 1
    fi
    sleep 0.2
  done
  echo "run.sh: no answer at $url after $seconds s; log: $logfile" >&2
  kill "$pid" 2>/dev/null || true
  rm -f "$pidfile"
  exit 1
}

# peer_stop NAME DEFAULT_ADDR [PID]: stops the peer run.sh started for PEER_ADDR, or PID.
peer_stop() {
  local name=$1 addr="${PEER_ADDR:-$2}" pid="${3:-}"
  local pidfile
  pidfile=$(peer_pidfile "$name" "$addr" "${PEER_STATE_DIR:-${TMPDIR:-/tmp}}")
  if [ -z "$pid" ]; then
    [ -f "$pidfile" ] || { echo "stop.sh: no peer recorded in $pidfile" >&2; return 0; }
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
}
