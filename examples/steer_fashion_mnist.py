#!/usr/bin/env python3
"""Steer the shipped Fashion-MNIST flow model from Python, with a reward written in PyTorch.

The reward asks for garments that cover a given share of the image with ink (coats and pullovers
cover much, sandals little): r(z) = -100 (coverage(z) - target)^2, smooth and differentiable, so
reward guidance can use it too. Plain sampling, best-of-8, SMC with GLASS moves and SMC with
guidance run at equal compute (best-of-8's network calls per output) from one seed; the script
prints each method's reward, its share of each class under the shipped classifier, and its cost,
and writes a picture of the samples.

    .venv/bin/python examples/steer_fashion_mnist.py --out steer.png
"""
import argparse
import sys
import time

import torch

import glass

CLASSES = ["T-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "boot"]


def coverage_reward(target: float):
    def coverage(z: torch.Tensor) -> torch.Tensor:
        # Pixels lie in [-1, 1]; a soft threshold at 0 counts the inked ones, differentiably.
        ink = torch.sigmoid(8.0 * z).mean(dim=(1, 2, 3))
        return -100.0 * (ink.double() - target) ** 2
    return coverage


def class_shares(samples: torch.Tensor) -> torch.Tensor:
    """Share of samples the shipped classifier puts in each class (log p(k | z) is the class:k reward)."""
    logp = torch.stack([glass.reward(f"class:{k}")(samples) for k in range(10)], dim=1)
    return torch.bincount(logp.argmax(dim=1), minlength=10).double() / samples.shape[0]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--target", type=float, default=0.55, help="share of the image to cover with ink")
    p.add_argument("--outputs", type=int, default=16, help="samples per method")
    p.add_argument("--steps", type=int, default=10, help="outer steps")
    p.add_argument("--inner-steps", type=int, default=4, help="GLASS inner steps per transition")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--out", default="steer_fashion_mnist.png", help="picture of every method's samples")
    a = p.parse_args()
    if not 0.0 < a.target < 1.0:
        print("steer: --target must lie in (0, 1)", file=sys.stderr)
        return 2
    glass.set_threads(a.threads)

    model = glass.load_model(glass.shipped("fashion-mnist-unet/model.json"))
    kernel = glass.Kernel(model, "glass", inner_steps=a.inner_steps)
    reward = glass.Reward(coverage_reward(a.target), name=f"coverage {a.target}")
    aligner = glass.Aligner(kernel, reward, steps=a.steps, lam=1.0)
    print(f"{model.describe()}\nkernel {kernel.name}; budget {aligner.budget:.0f} network calls per output")

    methods = ["plain", "best-of-n", "smc", "smc+guidance"]
    runs = {}
    for method in methods:
        plan = aligner.plan(method)
        start = time.time()
        progress = (lambda k, K: print(f"\r{method}: step {k}/{K}", end="", flush=True)) if sys.stdout.isatty() else None
        runs[method] = aligner.run(method, a.outputs, generator=glass.Generator(a.seed), callback=progress)
        print(f"\r{method}: {plan.particles} particles x {plan.nfe_per_particle} calls, "
              f"{time.time() - start:.1f} s")

    print(f"\n{'method':<14}{'reward':>9}{'coverage':>10}{'NFE/out':>9}  top classes")
    for method, run in runs.items():
        ink = torch.sigmoid(8.0 * run.samples).mean(dim=(1, 2, 3)).mean().item()
        shares = class_shares(run.samples)
        top = ", ".join(f"{CLASSES[k]} {shares[k]:.0%}" for k in shares.argsort(descending=True)[:3].tolist()
                        if shares[k] > 0)
        print(f"{method:<14}{run.rewards.mean().item():>9.2f}{ink:>10.2f}{run.cost.nfe_per_output:>9.0f}  {top}")

    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("steer: no matplotlib (pip install matplotlib); no picture written", file=sys.stderr)
        return 0
    fig, axes = plt.subplots(len(methods), 1, figsize=(a.outputs * 0.6, len(methods) * 1.0))
    for ax, (method, run) in zip(axes, runs.items()):
        row = torch.cat(list(run.samples[:, 0].clamp(-1, 1)), dim=1)
        ax.imshow(row.numpy(), cmap="gray_r", vmin=-1, vmax=1)
        ax.set_title(f"{method}: reward {run.rewards.mean().item():.2f}", fontsize=8, loc="left")
        ax.axis("off")
    fig.tight_layout()
    fig.savefig(a.out, dpi=120)
    print(f"wrote {a.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
