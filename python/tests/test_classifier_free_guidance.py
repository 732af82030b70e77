"""Classifier-free guidance on an exported conditional network, against closed forms: a TorchScript
module that is the exact denoiser of one Gaussian-mixture component per class label, and of the
whole mixture for the null label. Guided by glass (load_model's cond/uncond/cfg, the command's
--cond/--uncond/--cfg), it must give D_u + w (D_c - D_u) in one call of 2N rows, and reach the
class itself at w = 1."""
import json
import subprocess

import numpy as np
import pytest
import torch

import glass

NULL = 4  # gmm2d has 4 components: labels 0..3, and 4 for "no class"


class ConditionalMixture(torch.nn.Module):
    """x0 prediction on CondOT (x_t = t z + (1 - t) eps) of component `label`, or of the mixture."""

    def __init__(self, spec):
        super().__init__()
        self.register_buffer("means", torch.tensor(spec["means"], dtype=torch.float64))
        self.register_buffer("variances", torch.tensor(spec["stds"], dtype=torch.float64) ** 2)
        self.register_buffer("log_weights", torch.tensor(spec["weights"], dtype=torch.float64).log())

    def forward(self, x, t, label):
        xd, tt = x.double(), t.double().reshape(-1, 1, 1)
        var = tt * tt * self.variances.reshape(1, -1, 1) + (1 - tt) ** 2          # [n, K, 1]
        diff = xd.unsqueeze(1) - tt * self.means.unsqueeze(0)                      # [n, K, D]
        log_p = self.log_weights.reshape(1, -1) - 0.5 * ((diff ** 2).sum(2) / var.squeeze(2)
                                                         + xd.shape[1] * torch.log(var.squeeze(2)))
        classes = self.means.shape[0]  # the null label is `classes`
        labels = label.long().reshape(-1, 1)
        keep = (labels >= classes) | (torch.arange(classes, device=x.device).reshape(1, -1) == labels)
        log_p = torch.where(keep, log_p, torch.full_like(log_p, -1e30))
        weight = torch.softmax(log_p, dim=1).unsqueeze(2)
        mean_given_k = self.means.unsqueeze(0) + tt * self.variances.reshape(1, -1, 1) / var * diff
        return (weight * mean_given_k).sum(1).to(x.dtype)


@pytest.fixture(scope="module")
def conditional(tmp_path_factory):
    out = tmp_path_factory.mktemp("cfg")
    mixture = glass.GaussianMixture.preset("gmm2d")
    torch.jit.script(ConditionalMixture(json.loads(mixture.to_json()))).save(str(out / "cond.pt"))
    (out / "cond.json").write_text(json.dumps({"format": "torchscript", "prediction": "x0", "time": "t",
                                               "schedule": "condot", "sample_shape": [2]}))
    return mixture, out


def component(mixture, k):
    return glass.GaussianMixture(mixture.means[k:k + 1], mixture.stds[k:k + 1], torch.ones(1, dtype=torch.float64))


@pytest.mark.parametrize("w", [0.0, 2.5])
def test_the_guided_denoiser_is_the_closed_form_in_one_call_of_2n_rows(conditional, w):
    mixture, out = conditional
    model = glass.load_model(str(out / "cond.pt"), cond=torch.tensor([1]), uncond=torch.tensor([NULL]), cfg=w)
    assert "classifier-free guidance w = " in model.describe()
    x = 2 * torch.randn(32, 2, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    for t in (0.2, 0.6, 0.9):
        times = torch.full((32,), t, dtype=torch.float64)
        a, s = torch.full((32,), t, dtype=torch.float64), torch.full((32,), 1 - t, dtype=torch.float64)
        du, dc = mixture.denoise(x, a, s), component(mixture, 1).denoise(x, a, s)
        model.reset_cost()
        assert torch.allclose(model.denoise(x, times), du + w * (dc - du), atol=1e-9)
        assert model.cost["calls"] == 1 and model.cost["rows"] == 64


def test_scale_one_is_the_class_and_runs_without_the_unconditional_half(conditional):
    mixture, out = conditional
    model = glass.load_model(str(out / "cond.pt"), cond=torch.tensor([1]), uncond=torch.tensor([NULL]), cfg=1.0)
    n = 2000
    model.reset_cost()
    run = glass.sample(glass.Kernel(model, "glass", inner_steps=8, rho=0.4), n, steps=6, generator=glass.Generator(5))
    assert model.cost["rows"] == n * model.cost["calls"]  # D_u + 1 (D_c - D_u) = D_c: one half only
    target = component(mixture, 1)
    check = glass.Generator(9)
    floor = sum(glass.energy_distance(target.sample(n, check), target.sample(n, check)) for _ in range(4)) / 4
    assert glass.energy_distance(run.x.double(), target.sample(n, check)) < 3 * floor


def test_the_command_guides_from_npy_files_and_counts_both_halves(conditional, tmp_path, cli):
    _, out = conditional
    np.save(tmp_path / "c.npy", np.array([2], dtype=np.int64))
    np.save(tmp_path / "u.npy", np.array([NULL], dtype=np.int64))
    base = [cli, "sample", "-m", str(out / "cond.pt"), "-n", "50", "-K", "3", "-M", "2", "-q"]
    run = subprocess.run(base + ["--cond", str(tmp_path / "c.npy"), "--uncond", str(tmp_path / "u.npy"),
                                 "--cfg", "2", "-o", str(tmp_path / "run")], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["network_rows"] == 2 * 50 * summary["nfe"]
    # The scale without the null input to guide against: a one-line error, nothing written.
    bad = subprocess.run(base + ["--cond", str(tmp_path / "c.npy"), "--cfg", "2", "-o", str(tmp_path / "bad")],
                         capture_output=True, text=True)
    assert bad.returncode != 0 and "unconditional" in bad.stderr and len(bad.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "bad" / "summary.json").exists()


def test_the_shipped_class_conditional_model_guides_against_its_null_label():
    """The native class-conditional U-Net: cond is the class label, and cfg alone guides against the
    null label (no uncond needed): D_u + w (D_c - D_u) from the label's and the null label's models."""
    path = glass.shipped("fashion-mnist-cond-unet/model.json")
    guided = glass.load_model(path, cond=torch.tensor([3]), cfg=2.0)
    label, null = glass.load_model(path, cond=torch.tensor([3])), glass.load_model(path)
    x = torch.randn(6, 1, 28, 28, generator=torch.Generator().manual_seed(0))
    times = torch.tensor([0.1, 0.3, 0.5, 0.7, 0.8, 0.95], dtype=torch.float64)
    du, dc = null.denoise(x, times), label.denoise(x, times)
    assert not torch.allclose(du, dc, atol=1e-3)  # the label matters
    guided.reset_cost()
    assert torch.allclose(guided.denoise(x, times), du + 2.0 * (dc - du), atol=1e-4)
    assert guided.cost["calls"] == 1 and guided.cost["rows"] == 12
    with pytest.raises(ValueError, match="0..10"):
        glass.load_model(path, cond=torch.tensor([11])).denoise(x, times)
