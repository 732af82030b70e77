"""Results of glass's samplers and aligners, as dataclasses (tensors stay torch tensors)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import List, Optional

import torch


@dataclass(frozen=True)
class StepResult:
    """One transition x_t -> x_t'."""
    x: torch.Tensor  # x_t', shaped like the input
    nfe: int  # network calls this step spent
    log_prob: Optional[torch.Tensor]  # log p(x_t' | x_t) [N] where the kernel has a density


@dataclass(frozen=True)
class SampleResult:
    """A chain of transitions over an outer grid."""
    x: torch.Tensor  # [n, *sample_shape]
    nfe: int  # network calls per particle over the whole grid
    grid: List[float]  # the outer times, 0 = noise to 1 = data

    @property
    def samples(self) -> torch.Tensor:
        """The final samples, under the name SmcResult, BestOfNResult and AlignmentRun give them."""
        return self.x


@dataclass(frozen=True)
class AlignmentCost:
    """What a run spent, so that methods compare at equal compute."""
    network_calls: int  # batched network evaluations
    network_rows: int  # single-sample network evaluations (the compute)
    gradient_calls: int  # backward passes through the network
    reward_calls: int
    reward_rows: int
    outputs: int  # final samples delivered
    nfe_per_output: float  # network_rows / outputs


@dataclass(frozen=True)
class SmcStep:
    """Diagnostics of one SMC step, per group."""
    t: float
    lam: List[float]  # the tilt lambda_k of the step's potentials (below lam while tempering)
    ess: List[float]
    resampled: List[bool]
    distinct_parents: List[int]
    surviving_lineages: List[int]
    floored_constraints: List[int]
    rewards: torch.Tensor  # float64 [G*N]
    log_weights: torch.Tensor  # float64 [G, N], before resampling


@dataclass(frozen=True)
class SmcResult:
    """SMC towards p(z) exp(lam r(z)) / Z: one sample (select='sample') and one log Z per group."""
    samples: torch.Tensor  # [G, *sample_shape] ([G*N, ...] with select='all')
    sample_rewards: torch.Tensor  # float64, one per sample
    sample_weights: torch.Tensor  # float64, one per sample: its weight in its group (1 unless 'all')
    particles: torch.Tensor  # [G*N, *sample_shape]
    log_weights: torch.Tensor  # float64 [G, N], final
    rewards: torch.Tensor  # float64 [G*N], final r(z)
    log_z: List[float]  # per group: estimate of log E_p[exp(lam r(z))]
    steps: List[SmcStep]
    cost: AlignmentCost


@dataclass(frozen=True)
class BestOfNResult:
    """Best-of-N: the highest-reward candidate of each group (or as ``select`` says)."""
    samples: torch.Tensor  # [G, *sample_shape] ([G*N, ...] with select='all')
    sample_rewards: torch.Tensor  # float64, one per sample
    sample_weights: torch.Tensor  # float64, one per sample: exp(lam r) normalised in its group with 'all', else 1
    rewards: torch.Tensor  # float64 [G, N], every candidate's reward
    cost: AlignmentCost


@dataclass(frozen=True)
class MethodPlan:
    """What an alignment method will spend, known before it runs."""
    method: str
    particles: int  # chains per output (at the start, when a funnel or pruning shrinks them)
    nfe_per_particle: int  # network calls of a chain that runs to the end
    rows_per_call: int  # rows per particle in one call: 2 under classifier-free guidance
    # network rows per output (the budget's unit; less than particles x chain with a funnel; with
    # pruning under a budget, the most the run may spend)
    nfe_per_output: int
    peak_rows_per_output: int  # the most rows one network call carries per output (memory grows with it)
    prunes: bool  # SMC pruning: the count is set at run time


@dataclass(frozen=True)
class AlignmentRun:
    """One alignment method's outputs, cost and (for SMC and best-of-N) details."""
    plan: MethodPlan
    samples: torch.Tensor  # [outputs, *sample_shape] ([outputs * particles, ...] with select='all')
    rewards: torch.Tensor  # float64, one per sample
    weights: torch.Tensor  # float64, one per sample: its weight in its group (1 unless select='all')
    select: str  # what each group returned: 'sample', 'argmax' or 'all'
    cost: AlignmentCost
    seconds: float
    exact_target: bool  # SMC whose target is exactly p(z) exp(lam r) / Z
    smc: Optional[SmcResult]
    best_of_n: Optional[BestOfNResult]


@dataclass(frozen=True)
class ValueEstimate:
    """V_t(x) = (1/lam) log mean exp(lam r(z)) over posterior samples z ~ p(z | x_t = x)."""
    value: torch.Tensor  # float64 [N]
    gradient: Optional[torch.Tensor]  # d/dx of lam V, when asked for
    nfe: int  # network calls per particle
