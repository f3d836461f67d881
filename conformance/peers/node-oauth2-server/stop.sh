#!/usr/bin/env bash
# Stops the peer that run.sh started for PEER_ADDR (default 127.0.0.1:4200), or the PID given.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
peer_stop node-oauth2-server 127.0.0.1:4200 "${1:-}"
