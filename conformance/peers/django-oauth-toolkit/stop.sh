#!/usr/bin/env bash
# Stops the peer that run.sh started for PEER_ADDR (default 127.0.0.1:4100), or the PID given.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
peer_stop django-oauth-toolkit 127.0.0.1:4100 "${1:-}"
