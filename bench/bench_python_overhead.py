#!/usr/bin/env python3
"""What a Python-callable model or reward costs per call against the same network loaded from
TorchScript by C++, measured inside glass's own sampler (GLASS chains) and reward calls.

For each network (a small MLP on 2-D points: the overhead's worst case; a 28x28 conv net: a
network of Fashion-MNIST size) and batch size, it times one GLASS chain of K x M calls three ways:
  torchscript  glass.load_model(file.pt): the TorchScript module called from C++
  py-script    glass.python_model(the same scripted module): a Python callback per call
  py-eager     glass.python_model(the eager nn.Module)
and reports the median time per network call over repeats, and the ratio to torchscript. Rewards
likewise: glass.reward("script:FILE") against glass.Reward(python function) on the same batch.

    OMP_NUM_THREADS=2 .venv/bin/python bench/bench_python_overhead.py [--repeats 7] [--threads 2]
"""
import argparse
import os
import statistics
import tempfile
import time

import torch

import glass


class Mlp(torch.nn.Module):
    def __init__(self, d=2, width=128):
        super().__init__()
        self.net = torch.nn.Sequential(torch.nn.Linear(d + 1, width), torch.nn.SiLU(), torch.nn.Linear(width, width),
                                       torch.nn.SiLU(), torch.nn.Linear(width, d))

    def forward(self, x, t):
        return self.net(torch.cat([x, t.to(x.dtype).unsqueeze(1)], dim=1))


class ConvNet(torch.nn.Module):
    def __init__(self, width=32):
        super().__init__()
        self.inp = torch.nn.Conv2d(2, width, 3, padding=1)
        self.mid = torch.nn.Conv2d(width, width, 3, padding=1)
        self.out = torch.nn.Conv2d(width, 1, 3, padding=1)

    def forward(self, x, t):
        tt = t.to(x.dtype).view(-1, 1, 1, 1).expand(x.shape[0], 1, x.shape[2], x.shape[3])
        h = torch.nn.functional.silu(self.inp(torch.cat([x, tt], dim=1)))
        h = torch.nn.functional.silu(self.mid(h))
        return self.out(h)


class ScriptReward(torch.nn.Module):
    def forward(self, z):
        return -(z.double() ** 2).flatten(1).sum(1)


def py_reward(z):
    return -(z.double() ** 2).flatten(1).sum(1)


def median_seconds(fn, repeats):
    fn()  # warm-up (TorchScript profiles its first calls)
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--repeats", type=int, default=7)
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args()
    glass.set_threads(a.threads)
    torch.manual_seed(0)
    steps, inner = 4, 4
    tmp = tempfile.mkdtemp()
    print(f"threads {glass.threads()}, GLASS chains of {steps} x {inner} calls, median of {a.repeats}")
    print(f"{'network':<8}{'batch':>6}{'how':>13}{'us/call':>10}{'ratio':>7}")
    for label, net, shape, batches in [("mlp", Mlp(), [2], [1, 64, 1024]),
                                       ("conv", ConvNet(), [1, 28, 28], [1, 16, 128])]:
        net.eval()
        scripted = torch.jit.script(net)
        path = os.path.join(tmp, f"{label}.pt")
        scripted.save(path)
        models = {
            "torchscript": glass.load_model(path, prediction="velocity", time="t", schedule="condot",
                                            sample_shape=shape),
            "py-script": glass.python_model(scripted, shape, prediction="velocity"),
            "py-eager": glass.python_model(net, shape, prediction="velocity"),
        }
        for batch in batches:
            base = None
            for how, model in models.items():
                kernel = glass.Kernel(model, "glass", inner_steps=inner, solver="euler")
                with torch.no_grad():
                    secs = median_seconds(
                        lambda: glass.sample(kernel, batch, steps=steps, generator=glass.Generator(0)), a.repeats)
                per_call = secs / (steps * inner) * 1e6
                base = base or per_call
                print(f"{label:<8}{batch:>6}{how:>13}{per_call:>10.1f}{per_call / base:>7.2f}")

    reward_path = os.path.join(tmp, "reward.pt")
    torch.jit.script(ScriptReward()).save(reward_path)
    rewards = {"torchscript": glass.reward(f"script:{reward_path}"), "python": glass.Reward(py_reward)}
    print(f"\n{'reward':<8}{'batch':>6}{'how':>13}{'us/call':>10}{'ratio':>7}")
    for shape in ([2], [1, 28, 28]):
        for batch in (1, 64, 1024):
            z = torch.randn([batch, *shape])
            base = None
            for how, reward in rewards.items():
                secs = median_seconds(lambda: [reward(z) for _ in range(100)], a.repeats) / 100
                base = base or secs
                label = "points" if shape == [2] else "images"
                print(f"{label:<8}{batch:>6}{how:>13}{secs * 1e6:>10.1f}{secs / base:>7.2f}")


if __name__ == "__main__":
    main()
