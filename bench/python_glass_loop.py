"""A PyTorch user's own GLASS sampler, for the side-by-side comparison with `glass sample`
(bench/compare_with_python.sh). Same algorithm as glass (CondOT schedule, constant rho, K outer
transitions of M inner Euler steps, denoiser from a velocity network), written the way a user
would: a Python loop over torch ops under torch.inference_mode.

usage: python_glass_loop.py export MODEL.pt         (writes the 2-257-256-2 MLP and its sidecar)
       python_glass_loop.py run MODEL.pt BATCH K M THREADS
The run prints the loop's own seconds (model loading and Python start-up excluded).
"""
import json
import math
import sys
import time

import torch


class Mlp(torch.nn.Module):
    """x [N, 2], t [N] -> velocity [N, 2]: (x, t) -> 257 -> 256 -> 2 with SiLU."""

    def __init__(self) -> None:
        super().__init__()
        self.body = torch.nn.Sequential(torch.nn.Linear(3, 257), torch.nn.SiLU(), torch.nn.Linear(257, 256),
                                        torch.nn.SiLU(), torch.nn.Linear(256, 2))

    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        return self.body(torch.cat([x, t.reshape(-1, 1).to(x.dtype)], dim=1))


def export(path: str) -> None:
    torch.manual_seed(0)
    torch.jit.script(Mlp().eval()).save(path)
    with open(path[:-3] + ".json", "w") as f:
        json.dump({"format": "torchscript", "prediction": "velocity", "time": "t", "schedule": "condot",
                   "sample_shape": [2]}, f)


def glass_sample(net, n: int, K: int, M: int, rho: float = 0.4) -> torch.Tensor:
    x = torch.randn(n, 2)
    grid = [k / K for k in range(K + 1)]
    for k in range(K):
        t, tn = grid[k], grid[k + 1]
        gam = rho * (1 - tn) / (1 - t)
        abar, sbar = tn - gam * t, (1 - tn) * math.sqrt(1 - rho * rho)
        xbar = gam * x + torch.randn_like(x)
        snr_t = t / (1 - t)
        for j in range(M):
            s = j / M
            abar_s, sbar_s = s * abar, (1 - s) + s * sbar
            w1, w2 = (sbar - 1) / sbar_s, abar / sbar_s
            snr_s = abar_s / sbar_s
            lam = snr_t ** 2 + snr_s ** 2
            if lam > 0:
                ts = min(1 / (1 + math.sqrt(1 / lam)), 1 - 1e-7)
                y = ts / lam * ((snr_t / (1 - t) - snr_s / sbar_s * gam) * x + snr_s / sbar_s * xbar)
            else:
                ts, y = 0.0, x
            u = net(y, torch.full((n,), ts))
            d = y + (1 - ts) * u  # CondOT: D = x + (1 - t) u
            xbar = xbar + (w1 * xbar + w2 * d - w1 * gam * x) / M
        x = xbar
    return x


def main() -> None:
    if sys.argv[1] == "export":
        export(sys.argv[2])
        return
    path, n, K, M, threads = sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
    torch.set_num_threads(threads)
    net = torch.jit.load(path).eval()
    torch.manual_seed(0)
    with torch.inference_mode():
        start = time.perf_counter()
        x = glass_sample(net, n, K, M)
        seconds = time.perf_counter() - start
    assert torch.isfinite(x).all()
    print(f"{seconds:.4f}")


if __name__ == "__main__":
    main()
