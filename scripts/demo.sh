#!/usr/bin/env bash
# THE demo command (README): installs the dependencies, builds examples/migrate
# in Release and runs it: an order book migrates from GDBM to SQLite while it
# serves, through every stage. Extra arguments go to migrate (try --help).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/install-deps.sh
cmake --preset release
cmake --build --preset release --target migrate -j2
exec build/release/examples/migrate/migrate "$@"
