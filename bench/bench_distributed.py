#!/usr/bin/env python3
"""Distributed runs on this machine (docs/benchmarks.md, "Distributed runs"):

  speed   SMC on the shipped Fashion-MNIST U-Net: 2 processes x 1 thread against 1 process x 2
          threads (and 1 process in distributed mode, WORLD_SIZE=1: keyed noise and network calls in
          chunks of --shard-block rows, to separate that from the second process),
          rounds interleaved, medians; wall, user and system time and page faults from
          /usr/bin/time -v.
  bytes   bytes of particles moved between ranks per resampling step, for one SMC population of
          P particles split over 2 and 3 ranks, at sample sizes 2, 16 and 784 (gmm2d, gmm16d,
          Fashion-MNIST), resampling every step.

Ranks are started as torchrun starts them (RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT), without
torchrun's own start-up time. Usage: bench/bench_distributed.py [--glass build/glass] [--rounds 5]
"""
import argparse
import json
import os
import re
import socket
import statistics
import subprocess
import tempfile
from pathlib import Path


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


TIME_FIELDS = {"Elapsed (wall clock) time (h:mm:ss or m:ss)": "wall", "User time (seconds)": "user",
               "System time (seconds)": "sys", "Minor (reclaiming a frame) page faults": "minor_faults",
               "Maximum resident set size (kbytes)": "max_rss_kb"}


def parse_time_v(text):
    out = {}
    for line in text.splitlines():
        key, _, value = line.strip().rpartition(": ")
        if key in TIME_FIELDS:
            if ":" in value:  # m:ss.cc
                parts = [float(p) for p in value.split(":")]
                value = sum(p * 60 ** i for i, p in enumerate(reversed(parts)))
            out[TIME_FIELDS[key]] = float(value)
    return out


def launch(glass, world, args, out, threads, distributed):
    """Runs `world` ranks; returns per-rank /usr/bin/time figures and rank 0's summary."""
    port = free_port()
    procs = []
    for rank in range(world):
        env = dict(os.environ, OMP_NUM_THREADS=str(threads))
        for k in ("WORLD_SIZE", "RANK", "MASTER_ADDR", "MASTER_PORT"):
            env.pop(k, None)
        if distributed:
            env.update(WORLD_SIZE=str(world), RANK=str(rank), MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
        cmd = ["/usr/bin/time", "-v", glass, *args, "--threads", str(threads), "-q", "-o", str(out)]
        procs.append(subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True))
    stats = []
    for p in procs:
        _, err = p.communicate()
        if p.returncode != 0:
            raise SystemExit(f"run failed: {err[-2000:]}")
        stats.append(parse_time_v(err))
    return stats, json.loads((Path(out) / "summary.json").read_text())


def speed(glass, rounds):
    args = ["align", "-n", "8", "-N", "16", "-K", "5", "--methods", "smc", "--seed", "0"]
    configs = [("1 process x 2 threads", 1, 2, False), ("1 process x 2 threads, distributed mode", 1, 2, True),
               ("2 processes x 1 thread", 2, 1, True), ("1 process x 1 thread", 1, 1, False),
               ("1 process x 1 thread, distributed mode", 1, 1, True)]
    results = {name: [] for name, *_ in configs}
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(rounds):
            for name, world, threads, dist in configs:
                stats, summary = launch(glass, world, args, Path(tmp) / f"s{r}", threads, dist)
                m = summary["methods"][0]
                results[name].append({"smc_seconds": m["seconds"], "wall": max(s["wall"] for s in stats),
                                      "user": sum(s["user"] for s in stats), "sys": sum(s["sys"] for s in stats),
                                      "minor_faults": sum(s["minor_faults"] for s in stats),
                                      "reward": m["reward_mean"], "nfe": m["nfe_per_sample"]})
    base = statistics.median(x["smc_seconds"] for x in results["1 process x 2 threads"])
    print(f"SMC, Fashion-MNIST U-Net, 8 outputs x 16 particles, 5 steps ({rounds} rounds, medians)")
    print(f"{'configuration':42s} {'SMC s':>7s} {'wall s':>7s} {'user s':>7s} {'sys s':>6s} {'faults':>8s} "
          f"{'speed-up':>8s}  reward, NFE/sample")
    for name, rows in results.items():
        med = {k: statistics.median(x[k] for x in rows) for k in rows[0]}
        print(f"{name:42s} {med['smc_seconds']:7.2f} {med['wall']:7.2f} {med['user']:7.2f} {med['sys']:6.2f} "
              f"{med['minor_faults']:8.0f} {base / med['smc_seconds']:8.2f}  {rows[0]['reward']:.4f}, "
              f"{rows[0]['nfe']:.0f}")


def bytes_moved(glass):
    cases = [("gmm2d", ["--preset", "gmm2d"], [64, 256, 1024], 5),
             ("gmm16d", ["--preset", "gmm16d", "--reward", "quadratic:kappa=0.5:center=" + ",".join(["1"] * 16)],
              [64, 256, 1024], 5),
             ("fashion-mnist", [], [32, 128], 3)]
    print("\nBytes of particles moved per resampling step, one population of P, resampling every step")
    print(f"{'model':14s} {'P':>5s} {'bytes/row':>9s} {'ranks':>5s} {'bytes/step':>11s} {'rows/step':>9s} "
          f"{'of P':>6s} {'all-gather would move':>22s} {'collectives':>11s}")
    with tempfile.TemporaryDirectory() as tmp:
        for model, flags, sizes, steps in cases:
            for p in sizes:
                for world in (2, 3):
                    args = ["align", *flags, "-n", "1", "-N", str(p), "-K", str(steps), "--methods", "smc",
                            "--ess-threshold", "1", "--seed", "0", "--shard-block", "8"]
                    _, summary = launch(glass, world, args, Path(tmp) / "b", 1, True)
                    smc = summary["methods"][0]["smc"]["steps"]
                    collectives = summary["distributed"]["rank0_collectives"]
                    resamplings = [s["bytes_moved"] for s in smc if any(s["resampled"])]
                    per_step = statistics.mean(resamplings)
                    # Row size: the sample and the reused denoiser, float32.
                    dim = {"gmm2d": 2, "gmm16d": 16, "fashion-mnist": 784}[model]
                    row = 2 * 4 * dim
                    gather = (world - 1) * p * row
                    print(f"{model:14s} {p:5d} {row:9d} {world:5d} {per_step:11.0f} {per_step / row:9.1f} "
                          f"{per_step / row / p:6.1%} {gather:22d} {collectives:11d}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--glass", default="build/glass")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--only", choices=["speed", "bytes"])
    a = ap.parse_args()
    if a.only != "bytes":
        speed(a.glass, a.rounds)
    if a.only != "speed":
        bytes_moved(a.glass)


if __name__ == "__main__":
    main()
