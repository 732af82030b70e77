"""glass.cpp from Python: GLASS transitions, SMC, guidance, best-of-N and value estimates on
flow-matching and diffusion models, with models and rewards written in PyTorch.

Time runs from t = 0 (noise) to t = 1 (data), x_t = alpha_t z + sigma_t eps. Every sampler takes an
explicit ``glass.Generator(seed)``; the same seed and thread count give the same output as the
``glass`` command. Tensors cross to C++ without copies, and one autograd graph spans Python rewards
and the C++ samplers (reward guidance differentiates a Python reward).

    import glass, torch
    model = glass.load_model(glass.shipped("fashion-mnist-unet/model.json"))
    kernel = glass.Kernel(model, "glass", inner_steps=4)
    run = glass.smc(kernel, lambda z: -z.mean(dim=(1, 2, 3)).double(), groups=4, particles=8,
                    steps=10, generator=glass.Generator(0))

Errors are Python exceptions carrying the library's one-line messages: ValueError for bad input,
RuntimeError for failures (a model returning NaN, a missing file).
"""
from __future__ import annotations

import os
from typing import Callable, Optional, Union

import torch  # loads the LibTorch that _glass runs on, and torch's Python types

try:
    from . import _glass
except ImportError as e:  # most often a module built for another torch: name both
    raise ImportError(f"glass: cannot load its compiled module with torch {torch.__version__} "
                      f"({e}); rebuild glass against this torch (pip install .)") from None
if torch.__version__.split("+")[0] != _glass.TORCH_BUILD_VERSION:
    raise ImportError(f"glass: built against torch {_glass.TORCH_BUILD_VERSION}, but this environment has torch "
                      f"{torch.__version__}; rebuild glass against it (pip install .)")
from ._glass import (DiamondMap, GaussianMixture, Generator, Kernel, Model, Reward, Schedule,
                     energy_distance, library_defaults, load_diamond, load_model, mixture_model, python_model,
                     sample, sample_posterior, schedule, set_threads, threads)
from .diffusers_adapter import export_diffusers, from_diffusers, grid_from_scheduler, scheduler_settings
from ._results import (AlignmentCost, AlignmentRun, BestOfNResult, MethodPlan, SampleResult,
                       SmcResult, SmcStep, StepResult, ValueEstimate)

__all__ = [
    "Aligner", "AlignmentCost", "AlignmentRun", "BestOfNResult", "DiamondMap", "GaussianMixture",
    "Generator", "Kernel", "METHODS", "MODELS_DIR", "MethodPlan", "Model", "Reward", "SampleResult",
    "Schedule", "SmcResult", "SmcStep", "StepResult", "ValueEstimate", "as_reward", "best_of_n",
    "energy_distance", "estimate_value", "export_diffusers", "from_diffusers", "grid_from_scheduler",
    "library_defaults", "load_diamond", "load_model", "mixture_model", "scheduler_settings",
    "python_model", "reward", "sample", "sample_posterior", "schedule", "set_threads", "shipped",
    "smc", "threads",
]

#: The shipped models' folder (GLASS_MODELS_DIR overrides it, as for the glass command): the
#: package's own copy when installed by pip, else the source tree's.
_PACKAGED_MODELS = os.path.join(os.path.dirname(__file__), "models")
MODELS_DIR = os.environ.get("GLASS_MODELS_DIR") or (
    _PACKAGED_MODELS if os.path.isdir(_PACKAGED_MODELS) else _glass.MODELS_DIR)
#: The alignment methods an Aligner runs.
METHODS = list(_glass.METHODS)

RewardLike = Union[Reward, Callable[[torch.Tensor], torch.Tensor], str]


def shipped(relative: str) -> str:
    """Path of a shipped model file, e.g. ``shipped("fashion-mnist-unet/model.json")``."""
    return os.path.join(MODELS_DIR, relative)


def reward(spec: str, classifier: Optional[str] = None, device="cpu") -> Reward:
    """A library reward from its spec, as on the command line: ``"class:3"``,
    ``"quadratic:kappa=1:center=2,0"``, ``"box:lo=-1,-1:hi=1,1"``, ``"script:PATH"`` (TorchScript
    .pt or AOTInductor .pt2), or weighted sums such as ``"0.5*class:3+1*quadratic:center=0,0"``. ``classifier`` is the model
    ``class:N`` scores with (default: the shipped Fashion-MNIST classifier); networks in the reward
    run on ``device`` (the model's, ``model.device``), in float32."""
    return _glass.reward(spec, classifier or shipped("fashion-mnist-classifier/model.json"), str(device))


def as_reward(r: RewardLike, name: Optional[str] = None, differentiable: bool = True,
              device="cpu") -> Reward:
    """A Reward from a Reward, a spec string (built on ``device``), or a Python callable
    ``z -> r(z)`` returning one value per sample ([N], any float dtype; differentiable through
    autograd for guidance; it receives the particles on the model's device)."""
    if isinstance(r, Reward):
        return r
    if isinstance(r, str):
        return reward(r, device=device)
    if callable(r):
        return Reward(r, name=name or getattr(r, "__name__", None) or type(r).__name__,
                      differentiable=differentiable)
    raise TypeError(f"reward: need a glass.Reward, a spec string or a callable, got {type(r).__name__}")


def smc(kernel: Kernel, reward: RewardLike, groups: int = 1, **options) -> SmcResult:
    """Sequential Monte Carlo towards p(z) exp(lam r(z)) / Z with ``kernel``'s moves.

    ``groups`` independent populations of ``particles`` each deliver one sample and one log Z.
    Keywords (library defaults): steps (10) or grid, generator (required), particles (8), lam (1),
    potential ('difference' | 'max' | 'sum'), resampling ('systematic' | 'multinomial' |
    'stratified' | 'residual' | 'ssp' | 'killing'), resample_order ('index' | 'reward': sort by
    the step reward first), allocation ('weights' | 'vasr' | 'vasr-max-biased'), ess_threshold
    (0.5), tempering_ess (0: off; else the share of N each step's ESS keeps while lam rises),
    final_correction (True), intermediate ('denoised' | 'value' | 'value-multilevel'), value_samples,
    value_inner_steps, value_solver, value_diamond (a DiamondMap for one-call values, and multilevel
    values' level 0), multilevel_samples ([32, 8, 4, 2]: samples per level for 'value-multilevel'), funnel (a list of
    (from_t, share): the moves from from_t on use share of the particles), prune (False: when every
    group resamples, move on with the distinct parents only, copies merged into one weighted
    particle; under an Aligner's budget it starts with 1.5x the particles), select ('sample' |
    'argmax' | 'all': what each group returns), callback (called with (k, K) after each step)."""
    return _glass.smc(kernel, as_reward(reward, device=kernel.model.device), groups, **options)


def best_of_n(kernel: Kernel, reward: RewardLike, groups: int = 1, candidates: int = 8,
              **options) -> BestOfNResult:
    """Best-of-N: ``candidates`` chains per group, the highest reward kept. Keywords: steps or grid,
    generator (required), callback, select ('argmax' | 'sample': one drawn with weights
    exp(lam r) | 'all'), lam (1, for select='sample' or 'all')."""
    return _glass.best_of_n(kernel, as_reward(reward, device=kernel.model.device), groups, candidates, **options)


def estimate_value(model: Model, reward: RewardLike, x: torch.Tensor, t, **options) -> ValueEstimate:
    """V_t(x) = (1/lam) log mean_j exp(lam r(z_j)), z_j ~ p(z | x_t = x) by GLASS (or a DiamondMap
    with ``diamond=``). Keywords: lam (1), samples (4), inner_steps (10), solver, diamond,
    generator (required), with_gradient (False: also d/dx of lam V)."""
    return _glass.estimate_value(model, as_reward(reward, device=model.device), x, t, **options)


class Aligner:
    """Every alignment method on one kernel, reward and grid, planned at equal compute.

    ``Aligner(kernel, reward, steps=10, max_nfe=0, particles=0, lam=1, ...)``: with neither
    max_nfe nor particles, every method gets best-of-8's network rows per output (calls; twice
    the calls under cfg). Further keywords
    as for :func:`smc`, plus guidance_scale, value_guidance_scale, guidance_window ((0.2, 0.7)),
    guidance_detached, and select (None: SMC draws, best-of-N keeps its best). ``run(method, outputs, generator=...)`` runs one of :data:`METHODS`;
    ``plan(method)`` tells its particles and calls before any work."""

    def __init__(self, kernel: Kernel, reward: RewardLike, **options):
        self._impl = _glass.Aligner(kernel, as_reward(reward, device=kernel.model.device), **options)

    @property
    def budget(self) -> float:
        """Network rows allowed per output (calls; twice the calls under cfg) (0: no limit)."""
        return self._impl.budget

    def plan(self, method: str) -> MethodPlan:
        return self._impl.plan(method)

    def run(self, method: str, outputs: int = 1, *, generator: Generator, callback=None) -> AlignmentRun:
        return self._impl.run(method, outputs, generator=generator, callback=callback)
