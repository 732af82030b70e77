#!/usr/bin/env bash
# What ctest -j2 does on a 2-core machine: two copies of one glass command at once, each with 2
# OpenMP threads, under each OpenMP wait policy (unset: libgomp's default, a short spin; ACTIVE:
# spin; PASSIVE: sleep), and one copy alone; REPEATS rounds in alternating order. Wall seconds of
# the pair (the later of the two to finish).
#   bench/omp_waits_side_by_side.sh REPEATS glass-args...
set -euo pipefail
repeats=$1; shift
glass=${GLASS:-./build/glass}
run() { OMP_NUM_THREADS=2 "$glass" "$@" -q -o "$(mktemp -d)" >/dev/null; }
printf "| policy | alone s | two at once s |\n|---|---|---|\n"
for r in $(seq "$repeats"); do
  for policy in unset ACTIVE PASSIVE; do
    if [ "$policy" = unset ]; then unset OMP_WAIT_POLICY; else export OMP_WAIT_POLICY=$policy; fi
    start=$(date +%s.%N); run "$@"; alone=$(echo "$(date +%s.%N) - $start" | bc)
    start=$(date +%s.%N); run "$@" & run "$@"; wait; pair=$(echo "$(date +%s.%N) - $start" | bc)
    printf "| %s | %.1f | %.1f |\n" "$policy" "$alone" "$pair"
  done
done
