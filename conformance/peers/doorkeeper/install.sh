#!/usr/bin/env bash
# Installs, from Debian's own packages, what the Doorkeeper peer needs: Ruby, Doorkeeper, the
# parts of Rails it uses, the SQLite driver and puma. No gem comes from anywhere else.
# Packages already installed are left alone. Needs apt-get (and root, or sudo).
set -euo pipefail

# Debian 12 (bookworm) versions the peer was set up with; newer Debian point releases may
# carry security updates of these.
packages=(
  ruby                 # 1:3.1
  ruby-doorkeeper      # 5.5.0-2+deb12u1
  ruby-railties        # 2:6.1.7.10+dfsg-1~deb12u4 (and the other Rails parts below)
  ruby-actionpack
  ruby-actionview
  ruby-activerecord
  ruby-sqlite3         # 1.4.2-4+b3
  puma                 # 5.6.5-3+deb12u2
)

missing=()
for p in "${packages[@]}"; do
  if [ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null)" != installed ]; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null; then
  echo "install.sh: apt-get is not available; install these Debian packages by hand: ${missing[*]}" >&2
  exit 1
fi
sudo=()
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null || { echo "install.sh: not root and no sudo; cannot install ${missing[*]}" >&2; exit 1; }
  sudo=(sudo)
fi
echo "install.sh: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
if ! "${sudo[@]}" apt-get install -y --no-install-recommends "${missing[@]}" >&2; then
  echo "install.sh: apt-get install failed; updating the package lists and trying again" >&2
  "${sudo[@]}" apt-get update >&2 || true
  if ! "${sudo[@]}" apt-get install -y --no-install-recommends "${missing[@]}" >&2; then
    echo "install.sh: could not install ${missing[*]}" >&2
    exit 1
  fi
fi
