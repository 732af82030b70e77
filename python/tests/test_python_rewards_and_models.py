"""Python rewards and Python models inside the C++ samplers, against exact answers: SMC with a
reward written in PyTorch reaches the exactly tilted mixture; guidance differentiates a Python
reward through autograd exactly as it does the library's own; a Python nn.Module drives a kernel
exactly as the same module loaded from TorchScript by C++ does."""
import math

import pytest
import torch

import glass

KAPPA, CENTER = 0.5, torch.tensor([2.0, 1.0], dtype=torch.float64)


def quadratic(z):
    """r(z) = -kappa |z - center|^2 / 2, written in PyTorch."""
    return -0.5 * KAPPA * ((z.double() - CENTER) ** 2).sum(dim=1)


def noise_floor(draw, pairs=4):
    """The energy distance between independent exact sets of this size: what sampling noise alone gives."""
    return sum(glass.energy_distance(draw(), draw()) for _ in range(pairs)) / pairs


def log_mean_z(log_z):
    lz = torch.tensor(log_z, dtype=torch.float64)
    return (torch.logsumexp(lz, 0) - math.log(len(log_z))).item()


def test_smc_with_a_python_reward_reaches_the_exact_tilted_mixture():
    mixture = glass.GaussianMixture.preset("gmm2d")
    model = glass.mixture_model(mixture)
    kernel = glass.Kernel(model, "glass", inner_steps=8, rho=0.4, solver="euler")
    groups = 2000
    reward = glass.Reward(quadratic)
    run = glass.smc(kernel, reward, groups, particles=8, steps=5, lam=1.0, generator=glass.Generator(17))
    tilted, exact_log_z = mixture.tilted(KAPPA, CENTER, 1.0)

    gen = glass.Generator(99)
    floor = noise_floor(lambda: tilted.sample(groups, gen))
    distance = glass.energy_distance(run.samples.double(), tilted.sample(groups, gen))
    assert distance < 3 * floor, (distance, floor)
    assert abs(log_mean_z(run.log_z) - exact_log_z) < 0.05
    # Every reward call went through the Python function and was counted.
    assert reward.cost["calls"] == run.cost.reward_calls > 0
    assert reward.cost["rows"] == run.cost.reward_rows

    # The check bites: without the tilt the samples are far from the tilted target.
    plain = glass.smc(kernel, reward, groups, particles=8, steps=5, lam=0.0, generator=glass.Generator(17))
    assert glass.energy_distance(plain.samples.double(), tilted.sample(groups, gen)) > 10 * floor


def test_guidance_differentiates_a_python_reward_as_it_does_the_librarys():
    model = glass.mixture_model(glass.GaussianMixture.preset("gmm2d"))
    kernel = glass.Kernel(model, "ode")

    def guided(reward):
        aligner = glass.Aligner(kernel, reward, steps=8, guidance_scale=2.0, guidance_window=(0.1, 0.9))
        return aligner.run("guidance", 64, generator=glass.Generator(2))

    python = guided(glass.Reward(quadratic))
    library = guided(glass.reward("quadratic:kappa=0.5:center=2,1"))
    plain = glass.Aligner(kernel, quadratic, steps=8).run("plain", 64, generator=glass.Generator(2))
    assert torch.allclose(python.samples, library.samples, atol=1e-5), (python.samples - library.samples).abs().max()
    # Guidance moved the samples (the comparison above is not between two plain runs).
    assert (python.samples - plain.samples).abs().max() > 0.1
    assert python.rewards.mean() > plain.rewards.mean()


class VelocityMlp(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.body = torch.nn.Sequential(torch.nn.Linear(3, 32), torch.nn.SiLU(), torch.nn.Linear(32, 2))

    def forward(self, x, t):
        return self.body(torch.cat([x, t.to(x.dtype).unsqueeze(1)], dim=1))


def test_a_python_module_drives_a_kernel_as_its_torchscript_file_does(tmp_path):
    torch.manual_seed(0)
    net = VelocityMlp().eval()
    path = tmp_path / "mlp.pt"
    torch.jit.script(net).save(str(path))
    from_file = glass.load_model(str(path), prediction="velocity", time="t", schedule="condot", sample_shape=[2])
    from_python = glass.python_model(net, [2], schedule="condot", prediction="velocity", name="mlp")

    def run(model):
        return glass.sample(glass.Kernel(model, "glass", inner_steps=3), 32, steps=4, generator=glass.Generator(8))

    a, b = run(from_file), run(from_python)
    assert torch.allclose(a.x, b.x, atol=1e-5), (a.x - b.x).abs().max()
    assert from_python.cost["calls"] == from_file.cost["calls"] == a.nfe > 0
    assert from_python.describe().startswith("mlp (predicts velocity")


def test_max_batch_chunks_the_network_calls_without_changing_samples_or_counts():
    rows = []

    def net(x, t):
        rows.append(x.shape[0])
        return torch.tanh(x)  # an x0-predicting toy network

    model = glass.python_model(net, [2], prediction="x0", name="toy")
    whole = glass.sample(glass.Kernel(model, inner_steps=2), 10, steps=2, generator=glass.Generator(4))
    calls, seen = model.cost["calls"], list(rows)
    model.reset_cost()
    rows.clear()
    model.set_max_batch(4)
    chunked = glass.sample(glass.Kernel(model, inner_steps=2), 10, steps=2, generator=glass.Generator(4))
    assert torch.allclose(whole.x, chunked.x, atol=1e-6)
    assert model.cost["calls"] == calls and max(seen) == 10
    assert max(rows) == 4 and sum(rows) == sum(seen)


def test_a_python_network_gets_its_inputs_in_its_dtype_and_the_particles_stay_float32():
    mixture = glass.GaussianMixture.preset("gmm2d")
    exact = glass.mixture_model(mixture)
    seen = set()

    def network(x, t):  # the exact denoiser, answering in the dtype it was asked in
        seen.add((x.dtype, t.dtype, x.device.type))
        return exact.denoise(x.float(), t.double()).to(x.dtype)

    model = glass.python_model(network, [2], prediction="x0", dtype=torch.float16)
    assert model.dtype == "float16"
    n = 2000
    run = glass.sample(glass.Kernel(model, "glass", inner_steps=8), n, steps=6, generator=glass.Generator(3))
    assert seen == {(torch.float16, torch.float16, "cpu")}
    assert run.x.dtype == torch.float32
    check = glass.Generator(8)
    floor = sum(glass.energy_distance(mixture.sample(n, check), mixture.sample(n, check)) for _ in range(4)) / 4
    distance = glass.energy_distance(run.x.double(), mixture.sample(n, check))
    assert distance < 3 * floor, (distance, floor)


def test_devices_this_machine_lacks_and_unknown_dtypes_are_one_line_errors():
    mixture = glass.GaussianMixture.preset("gmm2d")
    if not torch.cuda.is_available():
        for make in (lambda: glass.mixture_model(mixture, device="cuda"),
                     lambda: glass.load_model(glass.shipped("fashion-mnist-unet/model.json"), device=torch.device("cuda")),
                     lambda: glass.reward("class:3", device="cuda:0")):
            with pytest.raises(ValueError, match="no CUDA GPU") as error:
                make()
            assert "\n" not in str(error.value)
    with pytest.raises(ValueError, match="unknown dtype 'int8'"):
        glass.mixture_model(mixture, dtype="int8")
    with pytest.raises(ValueError, match="unknown device 'tpu'"):
        glass.mixture_model(mixture, device="tpu")
