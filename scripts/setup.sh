#!/usr/bin/env bash
# Installs what glass.cpp needs on Debian 12 or 13 and builds it. Idempotent; run as root (or with sudo).
#   GLASS_PYTHON     a Python whose torch (2.6 or newer) the build uses: its LibTorch is glass's
#                    runtime, and `import glass` is built for it. Default: the project venv below.
#   GLASS_VENV       the project venv made when GLASS_PYTHON is unset (default: .venv), with
#                    torch==2.13.0 (CPU) and what the tests need, from python3 (3.9 or newer)
#   GLASS_BUILD_DIR  build directory (default: build)
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
# Debian 13 renamed some libraries for its 64-bit time_t transition: each entry lists the names
# to try, first found wins.
PACKAGES=(build-essential cmake libcli11-dev nlohmann-json3-dev libpng-dev libgtest-dev libbenchmark-dev
          "libtcmalloc-minimal4t64|libtcmalloc-minimal4" zlib1g-dev dataset-fashion-mnist libgloo-dev
          openmpi-bin python3-venv)
updated=0
apt_update() { [ $updated -eq 1 ] || { $SUDO apt-get update -q; updated=1; }; }
# A package's installable version, or nothing. grep reads the whole policy: `apt-cache | grep -q`
# under pipefail fails whenever grep exits before apt-cache has written everything (SIGPIPE).
candidate() { apt-cache policy "$1" 2>/dev/null | grep 'Candidate: [^(]' || true; }
missing=()
for entry in "${PACKAGES[@]}"; do
  IFS='|' read -ra names <<<"$entry"
  have=""
  for p in "${names[@]}"; do dpkg -s "$p" >/dev/null 2>&1 && have=$p && break; done
  [ -n "$have" ] && continue
  pick=""
  for p in "${names[@]}"; do
    [ -n "$(candidate "$p")" ] || apt_update
    [ -n "$(candidate "$p")" ] && pick=$p && break
  done
  missing+=("${pick:-${names[0]}}")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  apt_update
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# The Python side: torch (whose LibTorch the library links), and the tests' tools. torch 2.13.0 is
# pinned so pip takes the CPU wheel (an unpinned torch would pull a CUDA build of several GB).
if [ -z "${GLASS_PYTHON:-}" ]; then
  venv=${GLASS_VENV:-.venv}
  [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
  GLASS_PYTHON=$(cd "$venv" && pwd)/bin/python
  if ! "$GLASS_PYTHON" -c 'import torch, numpy, pytest, matplotlib, scikit_build_core, diffusers, transformers' 2>/dev/null ||
     [ ! -x "$venv/bin/clang-format" ]; then
    "$GLASS_PYTHON" -m pip install -q -r requirements-dev.txt
  fi
fi
"$GLASS_PYTHON" -c 'import torch' 2>/dev/null ||
  { echo "setup: $GLASS_PYTHON cannot import torch (pip install 'torch>=2.6')" >&2; exit 1; }

build=${GLASS_BUILD_DIR:-build}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DGLASS_PYTHON="$GLASS_PYTHON" -DGLASS_BUILD_TESTS=ON \
  -DGLASS_BUILD_CLI=ON -DGLASS_BUILD_BENCH=ON -DGLASS_BUILD_PYTHON=ON >/dev/null
cmake --build "$build" -j"$(nproc)"
