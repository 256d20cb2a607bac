#!/usr/bin/env bash
# Install the Debian packages ProbeDB builds against, if any is missing.
# Used by run-example.sh, test.sh and CI; safe to run again (does nothing when all are present).
set -euo pipefail
packages=(pkg-config libsqlite3-dev libopenblas-dev liblapacke-dev libsndfile1-dev libsoxr-dev libkissfft-dev libreadline-dev)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then exit 0; fi
echo "installing: ${missing[*]}" >&2
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
