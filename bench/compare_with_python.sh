#!/usr/bin/env bash
# glass against a PyTorch user's own GLASS loop on the same TorchScript MLP (2-257-256-2), K = 5
# transitions of M = 10 inner Euler steps (the loop the Python user writes), 2 threads, alternating, REPEATS rounds per batch size: the
# whole `glass sample` process (LibTorch's start-up, model loading and output files included), its
# sampling loop alone (the summary's sampling_seconds), and the Python loop alone (the project venv
# torch; import and model loading excluded). Prints a markdown table.
#   bench/compare_with_python.sh REPEATS [BATCH ...]
set -euo pipefail
cd "$(dirname "$0")/.."
repeats=${1:-3}; shift || true
if [ $# -gt 0 ]; then batches=("$@"); else batches=(64 512 4096); fi
work=$(mktemp -d)
"${GLASS_PYTHON:-.venv/bin/python}" bench/python_glass_loop.py export "$work/mlp.pt"
echo "| batch | glass process s | glass sampling s | Python loop s | process / loop | sampling / loop |"
echo "|---|---|---|---|---|---|"
for b in "${batches[@]}"; do
  for r in $(seq "$repeats"); do
    start=$(date +%s.%N)
    inner=$(./build/glass sample -m "$work/mlp.pt" -n "$b" -K 5 -M 10 --inner-solver euler -t 2 -q -o "$work/out" | sed -n 's/^sampling_seconds: //p')
    glass_s=$(echo "$(date +%s.%N) - $start" | bc -l)
    py_s=$("${GLASS_PYTHON:-.venv/bin/python}" bench/python_glass_loop.py run "$work/mlp.pt" "$b" 5 10 2)
    printf "| %s | %.3f | %.3f | %.3f | %.2f | %.2f |\n" "$b" "$glass_s" "$inner" "$py_s" "$(echo "$glass_s / $py_s" | bc -l)" \
      "$(echo "$inner / $py_s" | bc -l)"
  done
done
rm -rf "$work"
