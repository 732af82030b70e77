"""diffusers' own schedulers as the reference: with the same network and the same noise, glass's
kernels reproduce diffusers' scheduler loops step for step. FlowMatchEulerDiscreteScheduler
(shift, dynamic shifting with its mu) against glass's Euler ODE on a sigma-time velocity network;
DDIMScheduler (eta 0 and 1; leading and trailing spacing; set_alpha_to_one) and DDPMScheduler
(leading, trailing, linspace) against glass's DDIM/DDPM kernel on integer-step epsilon and
v-prediction networks, over the beta tables linear, scaled_linear and squaredcos_cap_v2. Noise:
diffusers draws its prior and each step's noise from one torch.Generator, which is the stream
glass.Generator(seed) gives glass's kernels. glass computes its tables in float64, diffusers in
float32: the tolerance is float32's."""
import math

import pytest
import diffusers
import torch

import glass

ROWS, SEED = 64, 7
BETAS = {"linear": (1e-4, 0.02), "scaled_linear": (0.00085, 0.012), "squaredcos_cap_v2": (1e-4, 0.02)}


class TimeMLP(torch.nn.Module):
    """A random network of (x, timestep) for any time input in [0, 1000]."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.register_buffer("freqs", torch.exp(torch.linspace(math.log(1e-3), 0.0, 8)))
        self.body = torch.nn.Sequential(torch.nn.Linear(2 + 16, 64), torch.nn.SiLU(), torch.nn.Linear(64, 2))

    def forward(self, x, t):
        a = t.reshape(-1, 1).to(x.dtype) * self.freqs.unsqueeze(0)
        with torch.no_grad():
            return self.body(torch.cat([x, torch.sin(a), torch.cos(a)], dim=1))


NET = TimeMLP()


def expect_same(glass_x, reference):
    scale = reference.abs().max()
    assert scale > 0.1
    difference = (glass_x - reference).abs().max()
    assert difference < 2e-4 * max(1.0, float(scale)), difference


@pytest.mark.parametrize("config", [{"shift": 1.0}, {"shift": 3.0},
                                    {"use_dynamic_shifting": True, "base_shift": 0.5, "max_shift": 1.15}])
def test_flow_match_euler(config):
    def scheduler():
        s = diffusers.FlowMatchEulerDiscreteScheduler(num_train_timesteps=1000, **config)
        s.set_timesteps(20, **({"mu": 0.8} if config.get("use_dynamic_shifting") else {}))
        return s

    s = scheduler()
    gen = torch.Generator().manual_seed(SEED)
    x = torch.randn(ROWS, 2, generator=gen)
    x_init = x.clone()
    for t in s.timesteps:
        x = s.step(NET(x, t.expand(ROWS)), t, x).prev_sample
    # glass: the network's own convention (dx/dsigma at timestep 1000 sigma), library time t = 1 - sigma.
    model = glass.python_model(NET, [2], prediction="velocity", time="sigma", time_scale=1000)
    grid = (1.0 - scheduler().sigmas.double()).tolist()
    run = glass.sample(glass.Kernel(model, "ode", ode_method="euler"), x0=x_init, grid=grid,
                       generator=glass.Generator(SEED))
    expect_same(run.x, x)


def table_time(step):
    """glass's time of integer step k on a 1000-step table: t_k = (1000 - k) / 1001."""
    return (1000 - float(step)) / 1001


def ddpm_model(beta, prediction):
    lo, hi = BETAS[beta]
    spec = f"ddpm:1000:{beta}:{lo}:{hi}"  # squaredcos_cap_v2 ignores the range, as diffusers does
    return glass.python_model(NET, [2], prediction=prediction, time="ddpm", schedule=spec)


def diffusers_loop(s, eta=None):
    """The pipelines' loop. The prior comes from its own generator; the steps' noise from one seeded
    with SEED, the stream glass.Generator(SEED) gives glass's steps."""
    x = torch.randn(ROWS, 2, generator=torch.Generator().manual_seed(SEED + 1))
    x_init = x.clone()
    gen = torch.Generator().manual_seed(SEED)
    for t in s.timesteps:
        out = NET(x, t.expand(ROWS))
        x = (s.step(out, t, x, eta=eta, generator=gen) if eta is not None else s.step(out, t, x, generator=gen)).prev_sample
    return x_init, x


@pytest.mark.parametrize("beta", list(BETAS))
@pytest.mark.parametrize("spacing", ["leading", "trailing"])
@pytest.mark.parametrize("prediction", ["epsilon", "v_prediction"])
def test_ddim_eta_zero(beta, spacing, prediction):
    for alpha_to_one in (True, False):
        lo, hi = BETAS[beta]
        s = diffusers.DDIMScheduler(num_train_timesteps=1000, beta_schedule=beta, beta_start=lo, beta_end=hi,
                                    timestep_spacing=spacing, set_alpha_to_one=alpha_to_one, clip_sample=False,
                                    prediction_type=prediction)
        s.set_timesteps(25)
        x_init, reference = diffusers_loop(s, eta=0.0)
        steps = [int(t) for t in s.timesteps]
        # The last step ends at alpha = 1 (the data) or at the table's step 0; a last step from step
        # 0 to step 0 (leading spacing) moves nothing and has no glass counterpart.
        end = 1.0 if alpha_to_one else table_time(0)
        grid = [table_time(k) for k in steps if table_time(k) < end] + [end]
        run = glass.sample(glass.Kernel(ddpm_model(beta, prediction), "ddim"), x0=x_init, grid=grid,
                           generator=glass.Generator(SEED))
        expect_same(run.x, reference)


@pytest.mark.parametrize("beta", list(BETAS))
def test_ddim_eta_one_draws_diffusers_noise(beta):
    lo, hi = BETAS[beta]
    s = diffusers.DDIMScheduler(num_train_timesteps=1000, beta_schedule=beta, beta_start=lo, beta_end=hi,
                                timestep_spacing="trailing", clip_sample=False)
    s.set_timesteps(20)
    x_init, reference = diffusers_loop(s, eta=1.0)
    grid = [table_time(int(k)) for k in s.timesteps] + [1.0]
    run = glass.sample(glass.Kernel(ddpm_model(beta, "epsilon"), "ddim", eta=1.0), x0=x_init, grid=grid,
                       generator=glass.Generator(SEED))
    expect_same(run.x, reference)


@pytest.mark.parametrize("spacing", ["leading", "trailing", "linspace"])
def test_ddpm_ancestral(spacing):
    s = diffusers.DDPMScheduler(num_train_timesteps=1000, beta_schedule="linear", timestep_spacing=spacing,
                                clip_sample=False)
    s.set_timesteps(20)
    x_init, reference = diffusers_loop(s)
    grid = [table_time(int(k)) for k in s.timesteps] + [1.0]
    run = glass.sample(glass.Kernel(ddpm_model("linear", "epsilon"), "ddpm"), x0=x_init, grid=grid,
                       generator=glass.Generator(SEED))
    expect_same(run.x, reference)
