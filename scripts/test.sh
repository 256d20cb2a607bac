#!/usr/bin/env bash
# The README's second command: install what is missing, build everything and run the whole
# test suite (unit, parity, golden, transcript and command-line tests).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
swift build --build-tests
swift test --skip-build "$@"
