"""Exports a small velocity network to TorchScript with the build's torch and computes the
reference the C++ interop test compares against: the network's outputs, and one GLASS transition
(CondOT schedule, rho, M inner Euler steps) re-implemented here independently, from the same
starting noise that the C++ side draws.

usage: torchscript_reference.py DIR T T_NEXT RHO M
DIR holds x.npy, eps.npy and cond.npy (written by the C++ test); writes model.pt, net_out.npy,
glass_out.npy, a conditional network cond_model.pt with its outputs cond_out.npy, and a reward
module reward.pt.
"""
import math
import sys

import numpy as np
import torch


class VelocityNet(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("freqs", torch.exp(torch.linspace(0.0, math.log(100.0), 8)))
        self.body = torch.nn.Sequential(
            torch.nn.Linear(2 + 16, 64), torch.nn.SiLU(), torch.nn.Linear(64, 64), torch.nn.SiLU(),
            torch.nn.Linear(64, 2))

    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        a = t.reshape(-1, 1).to(x.dtype) * self.freqs.unsqueeze(0)
        return self.body(torch.cat([x, torch.sin(a), torch.cos(a)], dim=1))


class ConditionalVelocityNet(torch.nn.Module):
    """The same, with a conditioning embedding c [N, 3] as a third input."""

    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("freqs", torch.exp(torch.linspace(0.0, math.log(100.0), 8)))
        self.body = torch.nn.Sequential(torch.nn.Linear(2 + 16 + 3, 32), torch.nn.SiLU(), torch.nn.Linear(32, 2))

    def forward(self, x: torch.Tensor, t: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        a = t.reshape(-1, 1).to(x.dtype) * self.freqs.unsqueeze(0)
        return self.body(torch.cat([x, torch.sin(a), torch.cos(a), c.to(x.dtype)], dim=1))


def export_conditional(out: str, t: float) -> None:
    """cond_model.pt and its outputs at x, t with the [1, 3] embedding in cond.npy broadcast."""
    net = torch.jit.script(ConditionalVelocityNet().eval())
    net.save(f"{out}/cond_model.pt")
    x = torch.from_numpy(np.load(f"{out}/x.npy")).float()
    c = torch.from_numpy(np.load(f"{out}/cond.npy")).float().expand(x.shape[0], -1)
    with torch.no_grad():
        np.save(f"{out}/cond_out.npy", net(x, torch.full((x.shape[0],), t), c).numpy())


class QuadraticReward(torch.nn.Module):
    """A reward module for glass: r(z) = -|z - (1, -1)|^2 / 2, one value per sample."""

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        c = torch.tensor([1.0, -1.0], dtype=z.dtype)
        return -0.5 * ((z - c) ** 2).sum(1)


def main() -> None:
    out, t, tn, rho, m = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5])
    torch.manual_seed(0)
    net = torch.jit.script(VelocityNet().eval())
    net.save(f"{out}/model.pt")
    x = torch.from_numpy(np.load(f"{out}/x.npy"))
    eps = torch.from_numpy(np.load(f"{out}/eps.npy"))
    n = x.shape[0]

    def velocity(y: torch.Tensor, tt: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            return net(y.float(), tt.float()).double()

    np.save(f"{out}/net_out.npy", velocity(x.double(), torch.full((n,), t)).float().numpy())

    # GLASS on CondOT (alpha = t, sigma = 1 - t): D = x + (1 - t) u for a velocity model.
    xd = x.double()
    gam = rho * (1 - tn) / (1 - t)
    abar = tn - gam * t
    sbar = (1 - tn) * math.sqrt(1 - rho * rho)
    xbar = gam * xd + eps.double()
    h = 1.0 / m
    for j in range(m):
        s = j * h
        abar_s, sbar_s = s * abar, (1 - s) + s * sbar
        w1, w2 = (sbar - 1) / sbar_s, abar / sbar_s
        lam = (t / (1 - t)) ** 2 + (abar_s / sbar_s) ** 2
        pooled = (t / (1 - t) ** 2 * xd + abar_s / sbar_s ** 2 * (xbar - gam * xd)) / lam
        t_star = 1.0 / (1.0 + math.sqrt(1.0 / lam))
        y = t_star * pooled
        d = y + (1 - t_star) * velocity(y, torch.full((n,), t_star))
        xbar = xbar + h * (w1 * xbar + w2 * d - w1 * gam * xd)
    np.save(f"{out}/glass_out.npy", xbar.float().numpy())
    export_conditional(out, t)
    torch.jit.script(QuadraticReward()).save(f"{out}/reward.pt")


if __name__ == "__main__":
    main()
