#!/usr/bin/env bash
# Builds (installing what is missing) and runs the whole test suite: ctest on the build, then the
# Python suite against a wheel of that build installed into a venv made from scratch.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
(cd "${GLASS_BUILD_DIR:-build}" && OMP_NUM_THREADS=${OMP_NUM_THREADS:-2} ctest --output-on-failure -j2 -LE python)
scripts/test_python_package.sh
