#!/usr/bin/env bash
# Installs what dualstore's build, tests, benchmarks and demo need (Debian 12, apt).
# Non-interactive; does nothing (no apt at all) when everything is already there.
set -euo pipefail

packages=(
  cmake ninja-build pkg-config git ca-certificates
  g++ clang libclang-rt-14-dev   # compilers; sanitizer runtimes for clang
  lld                            # links the test programs (CMakeLists.txt: DUALSTORE_USE_LLD)
  llvm                           # llvm-symbolizer: sanitizer stacks with names, which
                                 # the TSan suppression of RocksDB's internals matches
  catch2 libfmt-dev libbenchmark-dev
  libsqlite3-dev libgdbm-dev liblmdb-dev librocksdb-dev   # embedded engines
  libhiredis-dev libpq-dev redis-server redis-tools       # Redis, PostgreSQL clients
  libcli11-dev                                            # flags of the dualstore tool and examples/migrate
  postgresql                                              # and servers for the adapter tests
  prometheus                                              # promtool lints the metrics text
  valgrind                                                # callgrind: instruction counts
  doxygen                                                 # the API reference (docs/Doxyfile)
  python3                                                 # runs the Conan recipe's check
)

missing=()
for pkg in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$pkg")
done

if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#packages[@]} packages already installed"
  exit 0
fi

sudo=()
if ((EUID != 0)); then
  command -v sudo >/dev/null || { echo "install-deps: need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
  sudo=(sudo)
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y --no-install-recommends "${missing[@]}"
