#!/usr/bin/env bash
# THE demo command (README): builds and runs examples/quickstart.cpp in Release.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/install-deps.sh
cmake --preset release
cmake --build --preset release --target quickstart -j2
exec build/release/examples/quickstart
