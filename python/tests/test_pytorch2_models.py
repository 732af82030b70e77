"""Models written and exported with PyTorch 2 (tests/python/dit.py): a DiT whose attention runs
through F.scaled_dot_product_attention gives the same velocities and the same samples from one
seed as an eager Python module, as TorchScript (torch.jit.trace) and as an AOTInductor package
(torch.export, dynamic batch); a DiT made exact for a Gaussian mixture reaches that mixture with
GLASS, and its tilt with SMC, from both formats. Bad packages are one-line errors."""
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import torch

import glass

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests" / "python"))
import dit  # noqa: E402

SHAPE = [1, 8, 8]


@pytest.fixture(scope="module")
def random_dit(tmp_path_factory):
    """The DiT with random weights (seed 0) in its three forms: eager module, .pt, .pt2."""
    out = tmp_path_factory.mktemp("dit")
    torch.manual_seed(0)
    net = dit.DiT().eval()
    dit.export(net, (torch.randn(4, *SHAPE), torch.rand(4)), out / "dit",
               {"prediction": "velocity", "time": "t", "schedule": "condot", "sample_shape": SHAPE})
    return net, out


@pytest.fixture(scope="module")
def mixture_dit(tmp_path_factory):
    out = tmp_path_factory.mktemp("mixture_dit")
    mixture = glass.GaussianMixture.preset("gmm16d")
    spec = json.loads(mixture.to_json())
    torch.manual_seed(0)
    net = dit.MixtureDiT(spec, 1, 4).eval()
    dit.export(net, (torch.randn(4, 1, 4, 4), torch.rand(4)), out / "mixture_dit",
               {"prediction": "x0", "time": "t", "schedule": "condot", "sample_shape": [1, 4, 4]})
    return mixture, net, out


def eager_model(net, shape, prediction):
    def network(x, t):
        with torch.no_grad():
            return net(x, t.to(x.dtype))
    return glass.python_model(network, shape, prediction=prediction)


def test_eager_torchscript_and_pt2_give_the_same_velocities(random_dit):
    net, out = random_dit
    models = {"eager": eager_model(net, SHAPE, "velocity"), "torchscript": glass.load_model(str(out / "dit.pt")),
              "pt2": glass.load_model(str(out / "dit.pt2"))}
    assert "AOTInductor" in models["pt2"].describe() and "TorchScript" in models["torchscript"].describe()
    gen = torch.Generator().manual_seed(3)
    for batch in (1, 3, 17, 64):  # the .pt2's batch dimension is dynamic
        x = torch.randn(batch, *SHAPE, generator=gen)
        t = torch.rand(batch, generator=gen, dtype=torch.float64) * 0.98
        u = {name: m.velocity(x, t) for name, m in models.items()}
        scale = u["eager"].abs().max()
        assert scale > 0.1  # a network that answers, not zeros
        for name in ("torchscript", "pt2"):
            assert torch.allclose(u[name], u["eager"], atol=2e-5 * scale, rtol=1e-4), (name, batch)
    # The reference is the network itself: a different time changes its answer.
    x = torch.randn(2, *SHAPE, generator=gen)
    assert not torch.allclose(models["pt2"].velocity(x, torch.full((2,), 0.2, dtype=torch.float64)),
                              models["pt2"].velocity(x, torch.full((2,), 0.7, dtype=torch.float64)), atol=1e-3)


@pytest.mark.parametrize("kernel", ["glass", "ode"])
def test_the_same_seed_gives_the_same_samples_in_every_format(random_dit, kernel):
    net, out = random_dit
    samples, calls = {}, set()
    for name, model in (("eager", eager_model(net, SHAPE, "velocity")),
                        ("torchscript", glass.load_model(str(out / "dit.pt"))),
                        ("pt2", glass.load_model(str(out / "dit.pt2")))):
        result = glass.sample(glass.Kernel(model, kernel, inner_steps=3), 24, steps=6, generator=glass.Generator(11))
        samples[name] = result.x
        calls.add(result.nfe)
    assert samples["eager"].abs().max() > 0.5
    assert len(calls) == 1 and calls.pop() >= 6  # every format counted the same network calls
    for name in ("torchscript", "pt2"):
        assert torch.allclose(samples[name], samples["eager"], atol=1e-4), \
            (name, (samples[name] - samples["eager"]).abs().max())


def noise_floor(draw, pairs=4):
    return sum(glass.energy_distance(draw(), draw()) for _ in range(pairs)) / pairs


@pytest.mark.parametrize("suffix", [".pt", ".pt2"])
def test_a_dit_made_exact_reaches_its_mixture_with_glass_and_its_tilt_with_smc(mixture_dit, suffix):
    mixture, net, out = mixture_dit
    model = glass.load_model(str(out / f"mixture_dit{suffix}"))
    # The exported graph is the mixture's exact denoiser: attention runs behind a zero gate.
    exact = glass.mixture_model(mixture)
    gen = torch.Generator().manual_seed(5)
    x = torch.randn(32, 1, 4, 4, generator=gen)
    t = torch.full((32,), 0.6, dtype=torch.float64)
    assert torch.allclose(model.velocity(x, t).flatten(1), exact.velocity(x.flatten(1), t), atol=1e-4)

    n = 1500
    check = glass.Generator(99)
    floor = noise_floor(lambda: mixture.sample(n, check))
    run = glass.sample(glass.Kernel(model, "glass", inner_steps=6, rho=0.4), n, steps=8, generator=glass.Generator(1))
    distance = glass.energy_distance(run.x.flatten(1).double(), mixture.sample(n, check))
    assert distance < 3 * floor, (distance, floor)

    center = torch.full((16,), 0.5, dtype=torch.float64)
    tilted, _ = mixture.tilted(0.5, center, 1.0)
    groups = 1000
    reward = glass.reward("quadratic:kappa=0.5:center=" + ",".join(["0.5"] * 16))
    smc = glass.smc(glass.Kernel(model, "glass", inner_steps=6, rho=0.4), reward, groups, particles=8, steps=5,
                    generator=glass.Generator(17))
    floor = noise_floor(lambda: tilted.sample(groups, check))
    distance = glass.energy_distance(smc.samples.flatten(1).double(), tilted.sample(groups, check))
    assert distance < 3 * floor, (distance, floor)
    # The check bites: the untilted mixture is far from the tilted target (7 floors here).
    assert glass.energy_distance(mixture.sample(groups, check), tilted.sample(groups, check)) > 5 * floor


def test_bad_packages_are_one_line_errors(random_dit, tmp_path, cli):
    _, out = random_dit
    # A package compiled for another device: its metadata says cuda.
    moved = tmp_path / "cuda.pt2"
    with zipfile.ZipFile(out / "dit.pt2") as source, zipfile.ZipFile(moved, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename.endswith("_metadata.json"):
                meta = json.loads(data)
                meta["AOTI_DEVICE_KEY"] = "cuda"
                data = json.dumps(meta).encode()
            target.writestr(item, data)
    with pytest.raises(ValueError, match=r"compiled for cuda, and this run is on cpu") as error:
        glass.load_model(str(moved), sample_shape=SHAPE)
    assert "\n" not in str(error.value)
    # Not a package at all.
    junk = tmp_path / "junk.pt2"
    junk.write_bytes(b"not a zip archive")
    with pytest.raises(ValueError, match=r"junk.pt2.*not a loadable AOTInductor package"):
        glass.load_model(str(junk), sample_shape=SHAPE)
    # A TorchScript file calling an operator that the glass command's LibTorch does not know (it
    # is registered in this Python process only).
    library = torch.library.Library("glasstest", "DEF")
    library.define("scale(Tensor x) -> Tensor")
    library.impl("scale", lambda x: 2 * x, "CompositeExplicitAutograd")

    class UsesCustomOp(torch.nn.Module):
        def forward(self, x, t):
            return torch.ops.glasstest.scale(x)

    torch.jit.script(UsesCustomOp()).save(str(tmp_path / "custom.pt"))
    run = subprocess.run([cli, "sample", "-m", str(tmp_path / "custom.pt"), "--sample-shape", "2", "-n", "4",
                          "-o", str(tmp_path / "out")], capture_output=True, text=True)
    assert run.returncode != 0
    assert "glasstest::scale" in run.stderr and len(run.stderr.strip().splitlines()) == 1, run.stderr
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())  # no output written
    # A .pt2 has no gradient: guidance through it says so instead of returning zeros.
    model = glass.load_model(str(out / "dit.pt2"))
    x = torch.randn(2, *SHAPE, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"no gradient"):
        model.velocity(x, torch.full((2,), 0.5, dtype=torch.float64))


class Quadratic(torch.nn.Module):
    """r(z) = -|z - 1|^2 / 2 per sample."""

    def forward(self, z):
        return -0.5 * ((z - 1.0) ** 2).flatten(1).sum(1)


def test_a_pt2_reward_scores_as_its_torchscript_twin_and_says_it_has_no_gradient(tmp_path):
    example = torch.randn(4, 2)
    torch.jit.trace(Quadratic(), (example,)).save(str(tmp_path / "r.pt"))
    batch = torch.export.Dim("batch", min=1, max=1024)
    program = torch.export.export(Quadratic(), (example,), dynamic_shapes=({0: batch},))
    torch._inductor.aoti_compile_and_package(program, package_path=str(tmp_path / "r.pt2"))
    script, package = glass.reward(f"script:{tmp_path / 'r.pt'}"), glass.reward(f"script:{tmp_path / 'r.pt2'}")
    z = torch.randn(9, 2)
    exact = (-0.5 * ((z.double() - 1.0) ** 2).sum(1))
    assert torch.allclose(package(z), exact, atol=1e-5) and torch.allclose(script(z), exact, atol=1e-5)
    assert script.differentiable and not package.differentiable
    # Guidance needs the gradient the package does not have: refused with one line, not zeros.
    kernel = glass.Kernel(glass.mixture_model(glass.GaussianMixture.preset("gmm2d")), "ode")
    with pytest.raises(ValueError, match="gradient|differentiable"):
        glass.Aligner(kernel, package, steps=4, guidance_scale=1.0).run("guidance", 4, generator=glass.Generator(0))


def test_a_torchscript_dit_runs_in_bfloat16_and_a_float32_pt2_says_it_cannot(random_dit):
    net, out = random_dit
    model = glass.load_model(str(out / "dit.pt"), dtype=torch.bfloat16)
    assert model.dtype == "bfloat16" and model.device == "cpu"
    reference = glass.load_model(str(out / "dit.pt"))
    assert reference.dtype is None  # unset: the particles' float32
    # The eager module in bf16 (its weights cast as TorchScript's .to casts them) is the reference.
    eager = eager_model(copy_in(net, torch.bfloat16), SHAPE, "velocity")
    gen = torch.Generator().manual_seed(4)
    x = torch.randn(16, *SHAPE, generator=gen)
    t = torch.rand(16, generator=gen, dtype=torch.float64) * 0.98
    u16, u32 = model.velocity(x, t), reference.velocity(x, t)
    assert u16.dtype == torch.float32  # the prediction comes back in the particles' dtype
    expected = eager.velocity(x.bfloat16(), t).float()
    scale = u32.abs().max()
    assert torch.allclose(u16, expected, atol=2e-2 * scale), (u16 - expected).abs().max()
    # bf16 really ran (8 bits of mantissa: percent-level differences), and stayed close to float32.
    difference = (u16 - u32).abs().max() / scale
    assert 1e-4 < difference < 5e-2, difference
    # A package is compiled for the dtype it was exported in: a one-line error naming both.
    with pytest.raises(ValueError, match=r"exported in float32.*not bfloat16") as error:
        glass.load_model(str(out / "dit.pt2"), dtype="bf16")
    assert "\n" not in str(error.value)


def copy_in(net, dtype):
    import copy
    return copy.deepcopy(net).to(dtype)
