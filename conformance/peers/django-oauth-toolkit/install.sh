#!/usr/bin/env bash
# Installs the pinned Django and Django OAuth Toolkit (requirements.txt) into .venv here.
# Needs Python 3.10 or later with its venv module (Debian: python3 and python3-venv).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
python="${PYTHON:-python3}"

command -v "$python" >/dev/null || { echo "install.sh: $python is not installed" >&2; exit 1; }
cd "$here"
if [ ! -x .venv/bin/python ]; then
  if ! "$python" -m venv .venv >&2; then
    rm -rf .venv
    echo "install.sh: '$python -m venv' failed (on Debian: apt-get install python3-venv)" >&2
    exit 1
  fi
fi
if ! .venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.txt >&2; then
  echo "install.sh: pip could not install requirements.txt into $here/.venv" >&2
  exit 1
fi
