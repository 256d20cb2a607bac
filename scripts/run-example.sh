#!/usr/bin/env bash
# The README's first command: install what is missing, build ProbeDB (release) and run the
# bundled example (examples/quickstart.pql on examples/mini-corpus) on a fresh database.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
swift build -c release --product probedb
db="${1:-quickstart.db}"
rm -f "$db" "$db-wal" "$db-shm"
.build/release/probedb "$db" -f examples/quickstart.pql --format table
echo "Done: database '$db', report quickstart-report.md (+ SVG figures). Explore with .build/release/probedb $db" >&2
