"""diffusers' models as glass models, with no hand-written convention.

A diffusers scheduler's config says how its network was trained: flow-matching schedulers
(FlowMatchEulerDiscreteScheduler and kin) have velocity networks in sigma time; the others carry a
DDPM beta table (linear, scaled_linear, squaredcos_cap_v2), a prediction_type and integer-step
time. ``scheduler_settings`` turns that into glass's model settings, ``grid_from_scheduler`` turns
the scheduler's timesteps (after ``set_timesteps``) into glass's time grid, and ``from_diffusers``
wraps the network of a pipeline (or a bare UNet2DModel, UNet2DConditionModel,
DiTTransformer2DModel, SD3Transformer2DModel, FluxTransformer2DModel) as a glass.Model. The same
network traced to TorchScript with its JSON sidecar (``export_diffusers``) runs from C++ and the
``glass`` command; ``python -m glass.diffusers_adapter`` writes the sidecar from a saved
scheduler_config.json.

The time a network sees: FLUX's pipelines pass ``timestep / 1000``, so a FLUX transformer sees sigma
in [0, 1] (time_scale 1); every other flow-matching pipeline (SD3, SANA, ...) passes 1000 sigma.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys
import warnings
from typing import Optional, Sequence

import torch

from . import _glass

#: Families whose pipelines divide the scheduler's timestep by 1000 before the network.
_SIGMA_TIME_FAMILIES = ("FluxTransformer2DModel",)
_BETA_TABLES = ("linear", "scaled_linear", "squaredcos_cap_v2")


def _config_of(scheduler) -> dict:
    """A scheduler's config: the scheduler itself, its config dict, or a scheduler_config.json path."""
    if isinstance(scheduler, (str, os.PathLike)):
        with open(scheduler) as f:
            return json.load(f)
    if isinstance(scheduler, dict):
        return dict(scheduler)
    config = dict(scheduler.config)
    config.setdefault("_class_name", type(scheduler).__name__)
    return config


def _family(network) -> str:
    """The diffusers class a network is (or derives from), or a class name given as a string."""
    if network is None or isinstance(network, str):
        return network or ""
    for cls in type(network).__mro__:
        if cls.__name__ in _ADAPTERS:
            return cls.__name__
    raise ValueError(f"from_diffusers: {type(network).__name__} is not a network glass can drive "
                     f"(one of {', '.join(sorted(_ADAPTERS))})")


def _is_flow_matching(config: dict) -> bool:
    return "FlowMatch" in config.get("_class_name", "") or (
        "beta_schedule" not in config and "shift" in config)


def scheduler_settings(scheduler, network=None) -> dict:
    """glass's model settings (prediction, time, time_scale, schedule) from a diffusers scheduler,
    its config dict or a scheduler_config.json; `network` (the network or its class name) decides
    the time scale of flow-matching families whose pipelines rescale the timestep (FLUX)."""
    config = _config_of(scheduler)
    name = config.get("_class_name", "scheduler")
    steps = int(config.get("num_train_timesteps", 1000))
    if _is_flow_matching(config):
        scale = 1.0 if _family(network) in _SIGMA_TIME_FAMILIES else float(steps)
        return {"prediction": "velocity", "time": "sigma", "time_scale": scale, "schedule": "condot"}
    if "beta_schedule" not in config:
        raise ValueError(f"from_diffusers: {name} has neither a beta table nor flow matching")
    if config.get("trained_betas") is not None:
        raise ValueError(f"from_diffusers: {name} has trained_betas; glass builds only the named beta tables")
    if config.get("rescale_betas_zero_snr"):
        raise ValueError(f"from_diffusers: {name} rescales its betas to zero terminal SNR, which glass does not")
    beta = config["beta_schedule"]
    if beta not in _BETA_TABLES:
        raise ValueError(f"from_diffusers: beta_schedule '{beta}' (glass has {', '.join(_BETA_TABLES)})")
    prediction = config.get("prediction_type", "epsilon")
    if prediction not in ("epsilon", "v_prediction", "sample"):
        raise ValueError(f"from_diffusers: prediction_type '{prediction}' (glass reads epsilon, v_prediction, sample)")
    start, end = config.get("beta_start", 1e-4), config.get("beta_end", 0.02)
    return {"prediction": prediction, "time": "ddpm", "time_scale": 1.0,
            "schedule": f"ddpm:{steps}:{beta}:{start!r}:{end!r}"}


def _warn_if_clipping(scheduler):
    config = _config_of(scheduler)
    if config.get("clip_sample") or config.get("thresholding"):
        warnings.warn(f"{config.get('_class_name', 'the scheduler')} clips or thresholds its x0 estimate; glass's "
                      "kernels do not (they keep the model's marginals), so samples differ from the scheduler's "
                      "where the clip is active", stacklevel=3)


def grid_from_scheduler(scheduler, network=None) -> list:
    """glass's time grid (t = 0 noise, 1 data) for the steps the scheduler takes after
    ``set_timesteps``: 1 - sigma for flow matching, the table's step times otherwise, ending at the
    data (or, for DDIM without set_alpha_to_one, at the table's step 0, where DDIM ends)."""
    config = _config_of(scheduler)
    if getattr(scheduler, "timesteps", None) is None:
        raise ValueError("grid_from_scheduler: call the scheduler's set_timesteps first")
    if _is_flow_matching(config):
        return [1.0 - float(s) for s in scheduler.sigmas.double()]
    table = _glass.schedule(scheduler_settings(config, network)["schedule"])
    end = 1.0
    if "DDIM" in config["_class_name"] and not config.get("set_alpha_to_one", True):
        end = table.time_of_step(0)
    # A last step from table step 0 to step 0 (DDIM's leading spacing) moves nothing: dropped.
    times = [table.time_of_step(float(k)) for k in scheduler.timesteps]
    return [t for t in times if t < end] + [end]


# The networks: forward(x, t, *conditioning) in the network's own convention, returning its output.
class _UNet2D(torch.nn.Module):
    """UNet2DModel; conditioning: class labels (num_class_embeds)."""

    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, x, t, *cond):
        return self.net(x, t, class_labels=cond[0] if cond else None, return_dict=False)[0]


class _UNet2DCondition(_UNet2D):
    """UNet2DConditionModel; conditioning: encoder_hidden_states."""

    def forward(self, x, t, encoder_hidden_states):
        return self.net(x, t, encoder_hidden_states=encoder_hidden_states.to(x), return_dict=False)[0]


class _DiT(_UNet2D):
    """DiTTransformer2DModel; conditioning: class labels (the null label is num_embeds_ada_norm,
    1000 for DiT-XL). A network that learns its variance returns it after the noise: dropped."""

    def forward(self, x, t, class_labels):
        out = self.net(x, timestep=t, class_labels=class_labels, return_dict=False)[0]
        return out[:, : x.shape[1]]


class _SD3(_UNet2D):
    """SD3Transformer2DModel; conditioning: encoder_hidden_states, pooled_projections."""

    def forward(self, x, t, encoder_hidden_states, pooled_projections):
        return self.net(hidden_states=x, encoder_hidden_states=encoder_hidden_states.to(x),
                        pooled_projections=pooled_projections.to(x), timestep=t, return_dict=False)[0]


class _Flux(torch.nn.Module):
    """FluxTransformer2DModel on packed latents [N, (H/2)(W/2), C]; conditioning:
    encoder_hidden_states, pooled_projections; `guidance` is FLUX-dev's distilled guidance scale
    (a constant of the model, not CFG). Image and text position ids are built as FluxPipeline does."""

    def __init__(self, net, packed_size: Sequence[int], guidance: Optional[float]):
        super().__init__()
        self.net = net
        h, w = packed_size
        ids = torch.zeros(h, w, 3)
        ids[..., 1] = torch.arange(h).unsqueeze(1)
        ids[..., 2] = torch.arange(w).unsqueeze(0)
        self.register_buffer("img_ids", ids.reshape(h * w, 3))
        self.guidance = guidance
        if net.config.guidance_embeds and guidance is None:
            raise ValueError("from_diffusers: this FLUX transformer embeds a guidance scale: give guidance=")

    def forward(self, x, t, encoder_hidden_states, pooled_projections):
        txt_ids = torch.zeros(encoder_hidden_states.shape[1], 3, dtype=x.dtype, device=x.device)
        guidance = None if self.guidance is None else torch.full_like(t, self.guidance)
        return self.net(hidden_states=x, encoder_hidden_states=encoder_hidden_states.to(x),
                        pooled_projections=pooled_projections.to(x), timestep=t, img_ids=self.img_ids.to(x),
                        txt_ids=txt_ids, guidance=guidance, return_dict=False)[0]


_ADAPTERS = {"UNet2DModel": _UNet2D, "UNet2DConditionModel": _UNet2DCondition, "DiTTransformer2DModel": _DiT,
             "SD3Transformer2DModel": _SD3, "FluxTransformer2DModel": _Flux}


def _network_and_scheduler(model, scheduler):
    """(network, scheduler) from a pipeline or a bare network with its scheduler."""
    if hasattr(model, "scheduler") and (hasattr(model, "transformer") or hasattr(model, "unet")):
        network = getattr(model, "transformer", None) or model.unet
        return network, scheduler if scheduler is not None else model.scheduler
    if scheduler is None:
        raise ValueError("from_diffusers: a bare network needs its scheduler (scheduler=)")
    return model, scheduler


def _adapter(network, sample_shape, guidance):
    family = _family(network)
    if family == "FluxTransformer2DModel":
        return _Flux(network, guidance["packed_size"], guidance["scale"])
    return _ADAPTERS[family](network)


def _sample_shape(network, sample_shape):
    if _family(network) == "FluxTransformer2DModel" and (sample_shape is None or len(sample_shape) != 2):
        raise ValueError("from_diffusers: a FLUX transformer's particles are packed latents: give "
                         "sample_shape=[tokens, channels] (and packed_size=(h, w) when not square)")
    if sample_shape is not None:
        return list(sample_shape)
    config = network.config
    size = config.get("sample_size")
    if size is None:
        raise ValueError(f"from_diffusers: {type(network).__name__} has no sample_size: give sample_shape=")
    h, w = (size, size) if isinstance(size, int) else size
    return [config["in_channels"], h, w]


def _flux_options(sample_shape, packed_size, guidance):
    if packed_size is None and sample_shape is not None:
        side = math.isqrt(sample_shape[0])
        if side * side != sample_shape[0]:
            raise ValueError(f"from_diffusers: {sample_shape[0]} tokens are not a square: give packed_size=(h, w)")
        packed_size = (side, side)
    return {"packed_size": packed_size, "scale": guidance}


def from_diffusers(model, scheduler=None, *, sample_shape: Optional[Sequence[int]] = None, cond=None, uncond=None,
                   cfg: Optional[float] = None, guidance: Optional[float] = None,
                   packed_size: Optional[Sequence[int]] = None, device="cpu", dtype=None):
    """A diffusers pipeline's network (or a bare network with its scheduler) as a glass.Model, its
    conventions read from the scheduler's config (scheduler_settings). cond / uncond: the
    network's conditioning after (x, t) (class labels; text embeddings, and for SD3 and FLUX the
    pooled embedding) and its null; cfg=w: classifier-free guidance in one call of 2N rows.
    FLUX: sample_shape=[tokens, channels] of packed latents, guidance= its distilled scale.
    Sample on ``grid_from_scheduler(scheduler)`` to take the scheduler's steps."""
    network, scheduler = _network_and_scheduler(model, scheduler)
    shape = _sample_shape(network, sample_shape)
    adapter = _adapter(network, shape, _flux_options(shape, packed_size, guidance)).eval()
    settings = scheduler_settings(scheduler, network)
    _warn_if_clipping(scheduler)
    return _glass.python_model(adapter, shape, name=f"diffusers {type(network).__name__}", device=device,
                               dtype=dtype, cond=cond, uncond=uncond, cfg=cfg, **settings)


def sidecar(scheduler, network=None, sample_shape: Optional[Sequence[int]] = None, weights: Optional[str] = None) -> dict:
    """The JSON sidecar glass's loaders read for a network trained with this scheduler."""
    out = {"format": "torchscript", **scheduler_settings(scheduler, network)}
    if sample_shape is not None:
        out["sample_shape"] = list(sample_shape)
    if weights is not None:
        out["weights"] = weights
    return out


def export_diffusers(model, path: str, scheduler=None, *, sample_shape=None, cond=(), guidance=None,
                     packed_size=None) -> str:
    """Traces the network (TorchScript, batch-dynamic) to `path` (.pt) with its sidecar (`path`'s
    stem + .json): ``glass.load_model(path)`` and ``glass sample -m path`` then run it from C++.
    cond: example conditioning tensors (batch 1), the inputs the exported network takes after
    (x, t), in the adapter's order. Returns the sidecar's path."""
    network, scheduler = _network_and_scheduler(model, scheduler)
    shape = _sample_shape(network, sample_shape)
    adapter = _adapter(network, shape, _flux_options(shape, packed_size, guidance)).eval()
    _warn_if_clipping(scheduler)
    cond = [cond] if isinstance(cond, torch.Tensor) else list(cond)
    x = torch.randn(2, *shape)
    t = torch.full((2,), 0.5 * float(scheduler_settings(scheduler, network)["time_scale"]))
    example = (x, t, *[c.expand(2, *c.shape[1:]) for c in cond])
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore", torch.jit.TracerWarning)
        traced = torch.jit.trace(adapter, example, check_trace=False)
    stem = os.path.splitext(path)[0]
    _write_atomically(path, lambda tmp: traced.save(tmp))
    side = stem + ".json"
    text = json.dumps(sidecar(scheduler, network, shape, os.path.basename(path)), indent=2) + "\n"
    _write_atomically(side, lambda tmp: open(tmp, "w").write(text))
    return side


def _write_atomically(path, write):
    tmp = path + ".tmp"
    write(tmp)
    os.replace(tmp, path)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m glass.diffusers_adapter",
        description="Writes glass's JSON sidecar for an exported diffusers network from its saved scheduler_config.json.")
    parser.add_argument("scheduler_config", help="the pipeline's scheduler/scheduler_config.json")
    parser.add_argument("--network", default="", help="the network's diffusers class (FLUX sees sigma, not 1000 sigma)")
    parser.add_argument("--sample-shape", default=None, help="comma-separated, e.g. 4,64,64")
    parser.add_argument("--weights", default=None, help="the exported network's file name (default: the sidecar's stem .pt)")
    parser.add_argument("--out", required=True, help="the sidecar to write, e.g. model.json beside model.pt")
    a = parser.parse_args(argv)
    try:
        if a.network and a.network not in _ADAPTERS:
            raise ValueError(f"--network {a.network}: one of {', '.join(sorted(_ADAPTERS))}")
        shape = [int(d) for d in a.sample_shape.split(",")] if a.sample_shape else None
        text = json.dumps(sidecar(a.scheduler_config, a.network, shape, a.weights), indent=2) + "\n"
        _write_atomically(a.out, lambda tmp: open(tmp, "w").write(text))
    except (ValueError, OSError, KeyError) as e:
        print(f"glass.diffusers_adapter: {e}", file=sys.stderr)
        return 1
    print(a.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
