#!/usr/bin/env bash
# `import glass` as a user gets it: a wheel made from the existing build (scikit-build-core reuses
# its objects: nothing is compiled twice), installed into a venv made from scratch with torch
# 2.13.0, pytest, numpy, matplotlib, diffusers and transformers; then the Python suite runs there against that install.
#   GLASS_BUILD_DIR  the build to reuse (default: build)
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
build=$(cd "${GLASS_BUILD_DIR:-build}" && pwd)
python=$(sed -n 's/^GLASS_PYTHON:FILEPATH=//p' "$build/CMakeCache.txt")
"$python" -c 'import scikit_build_core' 2>/dev/null || "$python" -m pip install -q scikit-build-core
scratch=$(mktemp -d /tmp/glass-wheel.XXXXXX)
trap 'rm -rf "$scratch"' EXIT

# The build's own settings are passed back unchanged, so the wheel build leaves the build as it was
# (without build isolation: an isolated scikit-build-core of another version configures differently
# and recompiles everything; the build's Python brings its own, installed here if missing).
CMAKE_GENERATOR="Unix Makefiles" "$python" -m pip wheel -q --no-build-isolation --no-deps -w "$scratch/dist" \
  -C build-dir="$build" -C cmake.define.GLASS_BUILD_TESTS=ON -C cmake.define.GLASS_BUILD_CLI=ON \
  -C cmake.define.GLASS_BUILD_BENCH=ON -C cmake.define.GLASS_PYTHON="$python" .
wheel=$(ls "$scratch"/dist/glass_cpp-*.whl)
echo "test_python_package: built $(basename "$wheel") ($(du -h "$wheel" | cut -f1))"

python3 -m venv "$scratch/venv"
"$scratch/venv/bin/pip" install -q "torch==$("$python" -c 'import torch; print(torch.__version__.split("+")[0])')" \
  numpy pytest matplotlib "$(grep '^diffusers' requirements-dev.txt)" \
  "$(grep '^transformers' requirements-dev.txt)" "$wheel"
# Outside the source tree, so that `import glass` finds the installed package and nothing else.
cd "$scratch"
"$scratch/venv/bin/python" -c 'import glass; print("test_python_package: import glass from", glass.__file__)'
GLASS_CLI="$build/glass" OMP_NUM_THREADS=2 OMP_WAIT_POLICY=PASSIVE "$scratch/venv/bin/python" -m pytest -q -p no:cacheprovider \
  "$repo/python/tests"
