"""A small DiT written as PyTorch 2 users write one, and its exports: what glass must load.

DiT: patchify, a learned position embedding, blocks of attention through
F.scaled_dot_product_attention and an MLP, each modulated by adaLN from a sinusoidal time
embedding, and a modulated final layer that unpatchifies. Called as net(x [N, C, H, W], t [N]).

MixtureDiT: a DiT made exact for a Gaussian mixture with isotropic components (glass's mixture
JSON: means, stds, weights) on CondOT (x_t = t z + (1 - t) eps): it returns the exact posterior
mean E[z | x_t] (an x0 prediction) plus gate * DiT(x, t), with the gate a zero buffer, so the
attention branch runs in the exported graph without changing the answer.

export(net, example, stem): TorchScript (torch.jit.trace) as stem.pt and a torch.export +
AOTInductor package with a dynamic batch dimension as stem.pt2, each with a glass sidecar.

usage: dit.py DIR [--mixture presets/gmm16d.json]   (writes dit.pt/.pt2 or mixture_dit.pt/.pt2)
"""
from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import torch
import torch.nn.functional as F


def timestep_embedding(t: torch.Tensor, dim: int) -> torch.Tensor:
    half = dim // 2
    freqs = torch.exp(-math.log(1000.0) * torch.arange(half, dtype=torch.float32, device=t.device) / half)
    a = 1000.0 * t.reshape(-1, 1).float() * freqs.unsqueeze(0)
    return torch.cat([torch.cos(a), torch.sin(a)], dim=1)


def modulate(x: torch.Tensor, shift: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
    return x * (1 + scale.unsqueeze(1)) + shift.unsqueeze(1)


class Block(torch.nn.Module):
    def __init__(self, width: int, heads: int) -> None:
        super().__init__()
        self.heads = heads
        self.norm1 = torch.nn.LayerNorm(width, elementwise_affine=False, eps=1e-6)
        self.qkv = torch.nn.Linear(width, 3 * width)
        self.proj = torch.nn.Linear(width, width)
        self.norm2 = torch.nn.LayerNorm(width, elementwise_affine=False, eps=1e-6)
        self.mlp = torch.nn.Sequential(torch.nn.Linear(width, 4 * width), torch.nn.GELU(approximate="tanh"),
                                       torch.nn.Linear(4 * width, width))
        self.ada = torch.nn.Sequential(torch.nn.SiLU(), torch.nn.Linear(width, 6 * width))

    def forward(self, x: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        shift1, scale1, gate1, shift2, scale2, gate2 = self.ada(c).chunk(6, dim=1)
        n, tokens, width = x.shape
        qkv = self.qkv(modulate(self.norm1(x), shift1, scale1))
        q, k, v = qkv.reshape(n, tokens, 3, self.heads, width // self.heads).permute(2, 0, 3, 1, 4)
        attention = F.scaled_dot_product_attention(q, k, v)
        x = x + gate1.unsqueeze(1) * self.proj(attention.transpose(1, 2).reshape(n, tokens, width))
        return x + gate2.unsqueeze(1) * self.mlp(modulate(self.norm2(x), shift2, scale2))


class DiT(torch.nn.Module):
    def __init__(self, channels: int = 1, size: int = 8, patch: int = 2, width: int = 64, depth: int = 2,
                 heads: int = 4) -> None:
        super().__init__()
        self.channels, self.size, self.patch = channels, size, patch
        self.width = width
        tokens = (size // patch) ** 2
        self.embed = torch.nn.Linear(channels * patch * patch, width)
        self.position = torch.nn.Parameter(0.02 * torch.randn(1, tokens, width))
        self.time = torch.nn.Sequential(torch.nn.Linear(width, width), torch.nn.SiLU(), torch.nn.Linear(width, width))
        self.blocks = torch.nn.ModuleList([Block(width, heads) for _ in range(depth)])
        self.final_norm = torch.nn.LayerNorm(width, elementwise_affine=False, eps=1e-6)
        self.final_ada = torch.nn.Sequential(torch.nn.SiLU(), torch.nn.Linear(width, 2 * width))
        self.out = torch.nn.Linear(width, channels * patch * patch)

    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        n, c, p, g = x.shape[0], self.channels, self.patch, self.size // self.patch
        patches = x.reshape(n, c, g, p, g, p).permute(0, 2, 4, 1, 3, 5).reshape(n, g * g, c * p * p)
        h = self.embed(patches) + self.position
        # The embedding is computed in float32 and enters the network in x's dtype (bf16 runs), as
        # diffusers' DiT and FLUX do; type_as stays dynamic in a traced graph (x.dtype would not).
        cond = self.time(timestep_embedding(t, self.width).type_as(x))
        for block in self.blocks:
            h = block(h, cond)
        shift, scale = self.final_ada(cond).chunk(2, dim=1)
        y = self.out(modulate(self.final_norm(h), shift, scale))
        return y.reshape(n, g, g, c, p, p).permute(0, 3, 1, 4, 2, 5).reshape(n, c, g * p, g * p)


class MixtureDiT(torch.nn.Module):
    """The exact x0 prediction of an isotropic Gaussian mixture on CondOT, plus a gated DiT branch."""

    def __init__(self, mixture: dict, channels: int, size: int) -> None:
        super().__init__()
        self.register_buffer("means", torch.tensor(mixture["means"], dtype=torch.float32))
        self.register_buffer("variances", torch.tensor(mixture["stds"], dtype=torch.float32) ** 2)
        self.register_buffer("log_weights", torch.tensor(mixture["weights"], dtype=torch.float32).log())
        self.register_buffer("gate", torch.zeros(()))
        self.dit = DiT(channels=channels, size=size, width=32, depth=1, heads=2)

    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        n = x.shape[0]
        flat = x.reshape(n, 1, -1)
        tt = t.reshape(n, 1, 1).float()
        dim = flat.shape[2]
        var = (tt * tt * self.variances.reshape(1, -1, 1) + (1 - tt) ** 2)  # [n, K, 1]: Var(x_t | k)
        diff = flat - tt * self.means.unsqueeze(0)  # [n, K, D]
        log_p = self.log_weights.reshape(1, -1) - 0.5 * (diff.pow(2).sum(2) / var.squeeze(2)
                                                         + dim * torch.log(var.squeeze(2)))
        responsibility = torch.softmax(log_p, dim=1).unsqueeze(2)
        mean_given_k = self.means.unsqueeze(0) + tt * self.variances.reshape(1, -1, 1) / var * diff
        exact = (responsibility * mean_given_k).sum(1).reshape(x.shape)
        return exact + self.gate * self.dit(x, t)


def export(net: torch.nn.Module, example: tuple, stem: Path, sidecar: dict) -> None:
    """stem.pt (TorchScript, traced) and stem.pt2 (torch.export + AOTInductor, dynamic batch),
    and one sidecar stem.json for both (glass reads a .pt2 file as an AOTInductor package)."""
    net = net.eval()
    with torch.no_grad():
        torch.jit.trace(net, example).save(str(stem.with_suffix(".pt")))
        batch = torch.export.Dim("batch", min=1, max=4096)
        program = torch.export.export(net, example, dynamic_shapes=({0: batch}, {0: batch}))
        torch._inductor.aoti_compile_and_package(program, package_path=str(stem.with_suffix(".pt2")))
    stem.with_suffix(".json").write_text(json.dumps({"format": "torchscript", **sidecar}))


def main() -> None:
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    if "--mixture" in sys.argv:
        mixture = json.loads(Path(sys.argv[sys.argv.index("--mixture") + 1]).read_text())
        dim = len(mixture["means"][0])
        size = int(math.isqrt(dim))
        net = MixtureDiT(mixture, 1, size)
        example = (torch.randn(4, 1, size, size), torch.rand(4))
        export(net, example, out / "mixture_dit",
               {"prediction": "x0", "time": "t", "schedule": "condot", "sample_shape": [1, size, size]})
    else:
        net = DiT()
        example = (torch.randn(4, 1, 8, 8), torch.rand(4))
        export(net, example, out / "dit",
               {"prediction": "velocity", "time": "t", "schedule": "condot", "sample_shape": [1, 8, 8]})
        torch.save(net.state_dict(), out / "dit_state.pt")


if __name__ == "__main__":
    main()
