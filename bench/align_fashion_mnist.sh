#!/usr/bin/env bash
# Alignment on the shipped Fashion-MNIST model at equal compute (about 400 network calls per
# sample): best-of-N over ODE chains, best-of-N and SMC over GLASS moves, SMC over SDE moves, and
# SMC + denoiser guidance; reward log p(dress | z), lambda = 1. Prints one table row per method
# (columns: kernel, method, reward, NFE/sample, particles, FID vs test, FID vs dresses, dress share, seconds).
# With `solvers` as the fourth argument, GLASS's inner solvers instead: Euler and pc3 with M = 10,
# and pc3 with M = 4 (more particles in the same budget).
# With `diamond`, the Diamond Map instead (MAP, default models/diamond-fashion-mnist) for seeds
# SEEDS (default "0 1 2"): best-of-N with the ODE, SMC-GLASS (pc3, M = 4), and plain, best-of-N
# and SMC with one-call Diamond moves, and SMC with Diamond moves and Diamond value potentials;
# then the mean and spread (min-max) over the seeds of each row. PARTS="baselines diamond" (the
# default) runs both halves; one of them reruns only that half, the table reads all of $out.
# usage: bench/align_fashion_mnist.sh [samples=32] [threads=2] [out=bench-out/align-fmnist] [solvers|diamond]
set -euo pipefail
n=${1:-32}
threads=${2:-2}
out=${3:-bench-out/align-fmnist}
glass=${GLASS:-./build/glass}
common=(align -n "$n" -t "$threads" -s 0 -q --max-nfe 400)
row() {  # kernel label, output folder
  python3 - "$2/summary.json" "$1" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
for m in s["methods"]:
    q = m.get("quality", {})
    print(f"| {sys.argv[2]} | {m['method']} | {m['reward_mean']:.3f} | {m['nfe_per_sample']:.0f} | "
          f"{m['particles_per_sample']} | {q.get('classifier_fid_vs_test', float('nan')):.1f} | "
          f"{q.get('classifier_fid_vs_target_class', float('nan')):.1f} | "
          f"{100 * q.get('target_class_fraction', float('nan')):.0f}% | {m['seconds']:.0f} |")
PY
}
echo "| kernel | method | reward | NFE/sample | particles | FID (test) | FID (dresses) | dresses | seconds |"
echo "|---|---|---|---|---|---|---|---|---|"
if [[ "${4:-}" == diamond ]]; then
  map=${MAP:-models/diamond-fashion-mnist}
  parts=${PARTS:-baselines diamond}
  for seed in ${SEEDS:-0 1 2}; do
    seeded=(align -n "$n" -t "$threads" -s "$seed" -q --max-nfe 400)
    if [[ " $parts " == *" baselines "* ]]; then
      "$glass" "${seeded[@]}" -k ode --ode-method heun -K 25 --methods best-of-n -o "$out/s$seed/ode" >/dev/null
      row "ODE Heun, 25 steps, seed $seed" "$out/s$seed/ode"
      "$glass" "${seeded[@]}" -k glass --rho 0.4 -K 5 -M 4 --methods smc -o "$out/s$seed/glass" >/dev/null
      row "GLASS rho 0.4, K 5 x M 4, pc3, seed $seed" "$out/s$seed/glass"
    fi
    [[ " $parts " == *" diamond "* ]] || continue
    "$glass" "${seeded[@]}" -k diamond --diamond "$map" -K 5 --methods plain,best-of-n,smc -o "$out/s$seed/diamond" >/dev/null
    row "Diamond, K 5, seed $seed" "$out/s$seed/diamond"
    "$glass" "${seeded[@]}" -k diamond --diamond "$map" -K 5 --methods smc --intermediate value \
      --value-sampler diamond --value-samples 2 -o "$out/s$seed/diamond-values" >/dev/null
    row "Diamond, K 5, Diamond values (2 x 1), seed $seed" "$out/s$seed/diamond-values"
  done
  echo
  echo "| kernel | method | reward | FID (dresses) | dresses | NFE/sample |"
  echo "|---|---|---|---|---|---|"
  python3 - "$out" <<'PY'
import collections, glob, json, os, sys
rows = collections.defaultdict(list)
for f in sorted(glob.glob(os.path.join(sys.argv[1], "s*", "*", "summary.json"))):
    for m in json.load(open(f))["methods"]:
        q = m.get("quality", {})
        rows[(os.path.basename(os.path.dirname(f)), m["method"])].append(
            (m["reward_mean"], q.get("classifier_fid_vs_target_class", float("nan")),
             100 * q.get("target_class_fraction", float("nan")), m["nfe_per_sample"]))
def cell(v, fmt):
    return f"{fmt.format(sum(v) / len(v))} ({fmt.format(min(v))} to {fmt.format(max(v))})"
for (kernel, method), vals in rows.items():
    r, fid, share, nfe = zip(*vals)
    print(f"| {kernel} | {method} | {cell(r, '{:.2f}')} | {cell(fid, '{:.1f}')} | {cell(share, '{:.0f}')} | {nfe[0]:.0f} |")
PY
  exit 0
fi
if [[ "${4:-}" == solvers ]]; then
  for run in "euler 10" "pc3 10" "pc3 4"; do
    read -r solver M <<<"$run"
    "$glass" "${common[@]}" -k glass --rho 0.4 -K 5 -M "$M" --inner-solver "$solver" \
      --methods plain,best-of-n,smc,smc+guidance -o "$out/$solver-$M" >/dev/null
    row "GLASS rho 0.4, K 5 x M $M, $solver" "$out/$solver-$M"
  done
  exit 0
fi
"$glass" "${common[@]}" -k ode --ode-method heun -K 25 --methods plain,best-of-n -o "$out/ode" >/dev/null
row "ODE Heun, 25 steps (49 NFE)" "$out/ode"
"$glass" "${common[@]}" -k glass --rho 0.4 -K 5 -M 10 --inner-solver euler --methods plain,best-of-n,smc,smc+guidance -o "$out/glass" >/dev/null
row "GLASS rho 0.4, K 5 x M 10" "$out/glass"
"$glass" "${common[@]}" -k sde --substeps 10 -K 5 --methods smc -o "$out/sde" >/dev/null
row "SDE, 5 x 10 sub-steps" "$out/sde"
