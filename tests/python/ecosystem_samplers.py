"""The ecosystem's own sampler update rules, written out independently of glass.cpp, run on small
TorchScript networks in each ecosystem convention. The C++ test runs glass's kernels on the same
exported networks, the same grids and the same noise, and compares.

The rules follow diffusers' schedulers (no clipping or thresholding of x0; DDIM with
set_alpha_to_one; "leading" timestep spacing with steps_offset 0; DDPM with variance
"fixed_small"); tables are computed in float64 here (diffusers uses float32).

usage: ecosystem_samplers.py DIR
DIR holds x_init.npy [n, 2] (initial noise) and noise.npy [K, n, 2] (per-step noise, in the order
glass draws it). Writes the networks (*.pt with JSON sidecars) and, per rule, its grid and samples:
  flow_euler:  FlowMatchEuler (shift 3) on a sigma-time velocity network (dx/dsigma), 20 steps
  ddim_eps:    DDIM (eta 0) on an epsilon network, linear betas, 50 of 1000 steps
  ddim_eps_eta:DDIM (eta 0.5) on the same network, 25 steps
  ddpm_eps:    DDPM ancestral on the same network, 50 of 1000 steps
  ddim_v:      DDIM (eta 0) on a v-prediction network, scaled_linear betas, 50 of 1000 steps with
               "trailing" spacing (the others use "leading")
and gauss_flux.pt: a FLUX-style network that is exact for N((2, -1), 0.25 I).
"""
import json
import math
import sys

import numpy as np
import torch


class TimeMLP(torch.nn.Module):
    """A random network of (x, timestep) for any time input in [0, 1000]."""

    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("freqs", torch.exp(torch.linspace(math.log(1e-3), 0.0, 8)))
        self.body = torch.nn.Sequential(
            torch.nn.Linear(2 + 16, 64), torch.nn.SiLU(), torch.nn.Linear(64, 2))

    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        a = t.reshape(-1, 1).to(x.dtype) * self.freqs.unsqueeze(0)
        return self.body(torch.cat([x, torch.sin(a), torch.cos(a)], dim=1))


class GaussianFluxNet(torch.nn.Module):
    """x_sigma = (1 - sigma) z + sigma eps with z ~ N(m, s^2 I); called as net(x, 1000 sigma), it
    returns the exact E[eps - z | x]: the derivative dx/dsigma, as FLUX and SD3 networks do."""

    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        m = torch.tensor([2.0, -1.0], dtype=torch.float64)
        s2 = 0.25
        sig = (t.to(torch.float64) / 1000.0).reshape(-1, 1)
        a = 1.0 - sig
        # E[eps | x] - E[z | x] = (sig - a s2) / V (x - a m) - m with V = a^2 s2 + sig^2: no division
        # by sigma, so the data end sigma = 0 is fine too.
        v = (sig - a * s2) / (a * a * s2 + sig * sig) * (x.to(torch.float64) - a * m) - m
        return v.to(x.dtype)


def export(net: torch.nn.Module, path: str, sidecar: dict) -> torch.jit.ScriptModule:
    scripted = torch.jit.script(net.eval())
    scripted.save(path)
    with open(path[:-3] + ".json", "w") as f:
        json.dump(dict(format="torchscript", sample_shape=[2], **sidecar), f)
    return scripted


def call(net, x: torch.Tensor, timestep) -> torch.Tensor:
    n = x.shape[0]
    ts = torch.full((n,), float(timestep)) if isinstance(timestep, float) else torch.full((n,), int(timestep))
    with torch.no_grad():
        return net(x.float(), ts).double()


def flow_match_euler(net, x, steps: int, shift: float):
    # sigmas from 1 to 1/1000, shifted; the model sees 1000 sigma; x += (sigma' - sigma) v.
    sig = np.linspace(1.0, 1.0 / 1000.0, steps)
    sig = shift * sig / (1.0 + (shift - 1.0) * sig)
    sig = np.append(sig, 0.0)
    for i in range(steps):
        v = call(net, x, float(sig[i] * 1000.0))
        x = x + (sig[i + 1] - sig[i]) * v
    return x, sig


def leading_timesteps(train_steps: int, steps: int):
    ratio = train_steps // steps
    return (np.arange(steps) * ratio)[::-1].copy(), ratio


def trailing_timesteps(train_steps: int, steps: int):
    # diffusers' "trailing": round(arange(T, 0, -T / steps)) - 1, from the noisiest step T - 1
    return np.round(np.arange(train_steps, 0, -train_steps / steps)).astype(np.int64) - 1, train_steps // steps


def to_x0_eps(pred: str, out, x, a_t):
    if pred == "epsilon":
        return (x - math.sqrt(1 - a_t) * out) / math.sqrt(a_t), out
    # v_prediction: v = sqrt(a) eps - sqrt(1 - a) x0
    return math.sqrt(a_t) * x - math.sqrt(1 - a_t) * out, math.sqrt(a_t) * out + math.sqrt(1 - a_t) * x


def ddim(net, x, abar: np.ndarray, steps: int, pred: str, eta: float, noise, spacing=leading_timesteps):
    ts, ratio = spacing(len(abar), steps)
    for i, t in enumerate(ts):
        out = call(net, x, int(t))
        a_t = abar[t]
        a_p = abar[t - ratio] if t - ratio >= 0 else 1.0
        x0, eps = to_x0_eps(pred, out, x, a_t)
        var = (1 - a_p) / (1 - a_t) * (1 - a_t / a_p)
        std = eta * math.sqrt(var)
        x = math.sqrt(a_p) * x0 + math.sqrt(1 - a_p - std * std) * eps
        if eta > 0:
            x = x + std * noise[i]
    return x, ts


def ddpm(net, x, abar: np.ndarray, steps: int, noise):
    ts, ratio = leading_timesteps(len(abar), steps)
    for i, t in enumerate(ts):
        eps = call(net, x, int(t))
        a_t = abar[t]
        a_p = abar[t - ratio] if t - ratio >= 0 else 1.0
        cur_alpha = a_t / a_p
        cur_beta = 1 - cur_alpha
        x0 = (x - math.sqrt(1 - a_t) * eps) / math.sqrt(a_t)
        mean = math.sqrt(a_p) * cur_beta / (1 - a_t) * x0 + math.sqrt(cur_alpha) * (1 - a_p) / (1 - a_t) * x
        if t > 0:
            var = (1 - a_p) / (1 - a_t) * cur_beta
            x = mean + math.sqrt(var) * noise[i]
        else:
            x = mean
    return x, ts


def main() -> None:
    out = sys.argv[1]
    x_init = torch.from_numpy(np.load(f"{out}/x_init.npy")).double()
    noise = torch.from_numpy(np.load(f"{out}/noise.npy")).double()
    linear = np.cumprod(1.0 - np.linspace(1e-4, 0.02, 1000))
    scaled = np.cumprod(1.0 - np.linspace(math.sqrt(0.00085), math.sqrt(0.012), 1000) ** 2)

    torch.manual_seed(1)
    flow = export(TimeMLP(), f"{out}/flow.pt",
                  dict(prediction="velocity", time="sigma", time_scale=1000, schedule="condot"))
    eps_net = export(TimeMLP(), f"{out}/eps.pt", dict(prediction="epsilon", time="ddpm", schedule="ddpm:1000"))
    v_net = export(TimeMLP(), f"{out}/vpred.pt",
                   dict(prediction="v_prediction", time="ddpm", schedule="ddpm:1000:scaled_linear"))
    export(GaussianFluxNet(), f"{out}/gauss_flux.pt",
           dict(prediction="velocity", time="sigma", time_scale=1000, schedule="condot"))

    results = {
        "flow_euler": flow_match_euler(flow, x_init, 20, 3.0),
        "ddim_eps": ddim(eps_net, x_init, linear, 50, "epsilon", 0.0, noise),
        "ddim_eps_eta": ddim(eps_net, x_init, linear, 25, "epsilon", 0.5, noise),
        "ddpm_eps": ddpm(eps_net, x_init, linear, 50, noise),
        "ddim_v": ddim(v_net, x_init, scaled, 50, "v_prediction", 0.0, noise, trailing_timesteps),
    }
    for name, (x, grid) in results.items():
        np.save(f"{out}/{name}.npy", x.float().numpy())
        np.save(f"{out}/{name}_grid.npy", np.asarray(grid, dtype=np.float64))


if __name__ == "__main__":
    main()
