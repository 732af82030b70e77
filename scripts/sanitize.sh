#!/usr/bin/env bash
# Builds the library, the command and the tests with AddressSanitizer and
# UndefinedBehaviorSanitizer (in build-sanitize/, apart from the release build) and runs the test
# suite under them. Any report fails the run. LibTorch itself is not instrumented; its one-time
# allocations at exit are not leaks of ours, so leak checking is off.
#   scripts/sanitize.sh [gtest filter]   e.g. 'LoaderMutations.*'
# Writes the outcome and date to build-sanitize/sanitize-result.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh >/dev/null  # the packages (and a release build)
build=${GLASS_SANITIZE_DIR:-build-sanitize}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGLASS_SANITIZE=ON -DGLASS_BUILD_BENCH=OFF -DGLASS_BUILD_PYTHON=OFF >/dev/null
binaries=(glass_unit_tests glass_statistical_tests glass_model_tests glass_cli_tests glass_distributed_tests)
cmake --build "$build" -j"$(nproc)" --target "${binaries[@]}" glass_cli
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}
for b in "${binaries[@]}"; do
  echo "== $b"
  "$build/tests/$b" --gtest_filter="${1:-*}" --gtest_brief=1
done
echo "clean under ASan + UBSan: ${binaries[*]} (filter ${1:-*}), $(date -u +%Y-%m-%d)" | tee "$build/sanitize-result.txt"
