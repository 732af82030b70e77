"""Value estimates with a Python reward (their gradient through the C++ sampler and the Python
reward against finite differences), posterior samples against the exact mixture posterior, and the
shipped gmm2d Diamond Map's one-call posterior samples from Python."""
import os

import torch

import glass

CENTER = torch.tensor([2.0, 1.0], dtype=torch.float64)


def quadratic(z):
    return -0.25 * ((z.double() - CENTER) ** 2).sum(dim=1)


def exact_posterior(mixture, model, x, t, gen):
    s = model.schedule
    alpha = torch.full((x.shape[0],), s.alpha(t), dtype=torch.float64)
    sigma = torch.full((x.shape[0],), s.sigma(t), dtype=torch.float64)
    return mixture.sample_posterior(x.double(), alpha, sigma, gen)


def test_value_gradient_matches_finite_differences_with_common_noise():
    model = glass.mixture_model(glass.GaussianMixture.preset("gmm2d"))
    x = torch.tensor([[0.3, -0.2], [1.0, 0.5], [-0.7, 1.2]])
    t, lam = 0.6, 2.0
    est = glass.estimate_value(model, quadratic, x, t, lam=lam, samples=4, inner_steps=6,
                               generator=glass.Generator(3), with_gradient=True)
    assert est.gradient is not None and est.gradient.shape == x.shape
    h = 1e-3
    for i in range(2):
        e = torch.zeros_like(x)
        e[:, i] = h
        up = glass.estimate_value(model, quadratic, x + e, t, lam=lam, samples=4, inner_steps=6,
                                  generator=glass.Generator(3)).value
        down = glass.estimate_value(model, quadratic, x - e, t, lam=lam, samples=4, inner_steps=6,
                                    generator=glass.Generator(3)).value
        fd = lam * (up - down) / (2 * h)
        assert torch.allclose(est.gradient[:, i].double(), fd, rtol=2e-2, atol=2e-3), (est.gradient[:, i], fd)
    assert est.nfe == 4 * 6


def test_glass_posterior_samples_match_the_exact_posterior():
    mixture = glass.GaussianMixture.preset("gmm2d")
    model = glass.mixture_model(mixture)
    gen = glass.Generator(5)
    x = model.schedule.alpha(0.5) * mixture.sample(1, gen).float() + model.schedule.sigma(0.5) * torch.randn(1, 2)
    xs = x.expand(1500, 2).contiguous()
    glass_draws = glass.sample_posterior(model, xs, 0.5, inner_steps=16, generator=gen).x.double()
    exact = exact_posterior(mixture, model, xs, 0.5, gen)
    floor = sum(glass.energy_distance(exact_posterior(mixture, model, xs, 0.5, gen), exact) for _ in range(3)) / 3
    assert glass.energy_distance(glass_draws, exact) < 3 * floor + 1e-3
    # The comparison bites: posterior draws at another point are far.
    elsewhere = glass.sample_posterior(model, xs + 2.0, 0.5, inner_steps=16, generator=gen).x.double()
    assert glass.energy_distance(elsewhere, exact) > 10 * floor


def test_the_shipped_gmm2d_diamond_map_samples_the_posterior_in_one_call():
    mixture = glass.GaussianMixture.preset("gmm2d")
    model = glass.mixture_model(mixture)
    source_models = os.path.join(os.path.dirname(__file__), "..", "..", "models")
    diamond = glass.load_diamond(os.path.join(source_models, "diamond-gmm2d"), model)
    gen = glass.Generator(6)
    xs = torch.tensor([[0.8, 0.4]]).expand(1500, 2).contiguous()
    model.reset_cost()
    draws = diamond.posterior_sample(xs, 0.5, generator=gen).double()
    assert model.cost["calls"] == 1, "one network call for the whole batch"
    exact = exact_posterior(mixture, model, xs, 0.5, gen)
    floor = sum(glass.energy_distance(exact_posterior(mixture, model, xs, 0.5, gen), exact) for _ in range(3)) / 3
    assert glass.energy_distance(draws, exact) < 5 * floor + 2e-3
    # As SMC moves and one-call values, through the same keyword arguments as GLASS.
    kernel = glass.Kernel(model, "diamond", diamond=diamond)
    run = glass.smc(kernel, quadratic, 4, particles=8, steps=4, intermediate="value", value_diamond=diamond,
                    generator=gen)
    assert torch.isfinite(run.samples).all() and len(run.log_z) == 4
    # The map as multilevel values' level 0: 4 x 1 + 2 x (2 + 1) calls per estimate, as the plan says.
    multilevel = glass.smc(kernel, quadratic, 4, particles=8, steps=4, intermediate="value-multilevel",
                           multilevel_samples=[4, 2], value_diamond=diamond, generator=gen)
    assert multilevel.cost.nfe_per_output == 8 * (4 + 3 * (4 * 1 + 2 * (2 + 1)))
