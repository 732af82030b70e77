"""The same seed gives the same samples from Python as from the glass command: sampling chains and
SMC through the Aligner, bit for bit (both run the same C++ on the same LibTorch)."""
import json
import subprocess

import numpy as np
import torch

import glass


def run_cli(cli, *args):
    subprocess.run([cli, *args, "-t", "1", "-q"], check=True, capture_output=True)


def test_glass_sample_matches_the_command(cli, tmp_path):
    run_cli(cli, "sample", "--preset", "gmm2d", "-n", "64", "-K", "5", "-M", "4", "-s", "3", "-o", str(tmp_path))
    from_cli = torch.from_numpy(np.load(tmp_path / "samples.npy"))

    model = glass.mixture_model(glass.GaussianMixture.preset("gmm2d"))
    result = glass.sample(glass.Kernel(model, "glass", inner_steps=4), 64, steps=5, generator=glass.Generator(3))
    assert result.nfe == 5 * glass.Kernel(model, inner_steps=4).nfe_per_step
    assert from_cli.dtype == result.x.dtype and from_cli.shape == result.x.shape
    assert torch.equal(from_cli, result.x)
    assert result.samples is result.x  # the name the alignment results use
    # A different seed gives different samples: the comparison above can fail.
    other = glass.sample(glass.Kernel(model, "glass", inner_steps=4), 64, steps=5, generator=glass.Generator(4))
    assert not torch.equal(from_cli, other.x)


def test_smc_through_the_aligner_matches_glass_align(cli, tmp_path):
    run_cli(cli, "align", "--preset", "gmm2d", "--methods", "smc", "-n", "16", "-K", "5", "-M", "4",
            "--particles", "8", "-s", "5", "-o", str(tmp_path))
    from_cli = torch.from_numpy(np.load(tmp_path / "smc.npy"))
    summary = json.loads((tmp_path / "summary.json").read_text())

    model = glass.mixture_model(glass.GaussianMixture.preset("gmm2d"))
    aligner = glass.Aligner(glass.Kernel(model, inner_steps=4), "quadratic:kappa=0.5:center=2,1", steps=5,
                            particles=8)
    run = aligner.run("smc", 16, generator=glass.Generator(5))
    assert torch.equal(from_cli, run.samples)
    assert run.cost.nfe_per_output == summary["methods"][0]["nfe_per_sample"]
    assert run.smc is not None and len(run.smc.log_z) == 16


def test_the_newer_smc_settings_match_glass_align(cli, tmp_path):
    # SSP on particles ordered by reward, VASR's allocation, tempering and --select all: the
    # keywords reach the same library settings as the flags, so the weighted particles agree.
    flags = ["--resampling", "ssp", "--resample-order", "reward", "--allocation", "vasr", "--tempering-ess", "0.6",
             "--select", "all", "-l", "3"]
    run_cli(cli, "align", "--preset", "gmm2d", "--methods", "smc", "-n", "6", "-K", "4", "-M", "4",
            "--particles", "8", "-s", "2", "-o", str(tmp_path), *flags)
    from_cli = torch.from_numpy(np.load(tmp_path / "smc.npy"))
    summary = json.loads((tmp_path / "summary.json").read_text())["methods"][0]

    model = glass.mixture_model(glass.GaussianMixture.preset("gmm2d"))
    aligner = glass.Aligner(glass.Kernel(model, inner_steps=4), "quadratic:kappa=0.5:center=2,1", steps=4,
                            particles=8, lam=3.0, resampling="ssp", resample_order="reward", allocation="vasr",
                            tempering_ess=0.6, select="all")
    run = aligner.run("smc", 6, generator=glass.Generator(2))
    assert run.select == "all" and run.samples.shape[0] == 6 * 8
    assert torch.equal(from_cli, run.samples)
    assert torch.allclose(run.weights, torch.tensor(summary["sample_weights"], dtype=torch.float64), rtol=0, atol=1e-12)
    assert [s.lam for s in run.smc.steps] == [s["lambda"] for s in summary["smc"]["steps"]]
    assert run.smc.steps[-1].lam == [3.0] * 6


def test_funnel_rho_per_step_and_multilevel_values_match_glass_align(cli, tmp_path):
    # A funnel sized by the budget, one rho per step and multilevel value potentials: the same
    # particles, plan and calls from the keywords as from the flags.
    flags = ["--funnel", "0.5:0.5", "--rho", "0.8,0.2", "--intermediate", "value-multilevel",
             "--multilevel-samples", "4,2", "--max-nfe", "400"]
    run_cli(cli, "align", "--preset", "gmm2d", "--methods", "smc", "-n", "6", "-K", "4", "-M", "4",
            "-s", "3", "-o", str(tmp_path), *flags)
    from_cli = torch.from_numpy(np.load(tmp_path / "smc.npy"))
    summary = json.loads((tmp_path / "summary.json").read_text())["methods"][0]

    model = glass.mixture_model(glass.GaussianMixture.preset("gmm2d"))
    aligner = glass.Aligner(glass.Kernel(model, inner_steps=4, rho=[0.8, 0.2]), "quadratic:kappa=0.5:center=2,1",
                            steps=4, max_nfe=400, funnel=[(0.5, 0.5)], intermediate="value-multilevel",
                            multilevel_samples=[4, 2])
    plan = aligner.plan("smc")
    assert plan.particles == summary["plan"]["particles"]
    assert plan.nfe_per_output == summary["plan"]["nfe_per_sample"] <= 400
    assert plan.nfe_per_output < plan.particles * plan.nfe_per_particle  # the funnel's savings
    run = aligner.run("smc", 6, generator=glass.Generator(3))
    assert torch.equal(from_cli, run.samples)
    assert run.cost.nfe_per_output == plan.nfe_per_output
    assert [s.log_weights.shape[1] for s in run.smc.steps] == [s["particles"] for s in summary["smc"]["steps"]]


def test_pruning_matches_glass_align_and_stays_within_its_budget(cli, tmp_path):
    # prune=True reaches the same run as --prune: 1.5x the constant count at the start (8 -> 12),
    # the same particles step by step, and never more calls than the budget.
    run_cli(cli, "align", "--preset", "gmm2d", "--methods", "smc", "-n", "20", "-K", "4", "-M", "4",
            "-s", "4", "--prune", "--max-nfe", "128", "-o", str(tmp_path))
    from_cli = torch.from_numpy(np.load(tmp_path / "smc.npy"))
    summary = json.loads((tmp_path / "summary.json").read_text())["methods"][0]

    model = glass.mixture_model(glass.GaussianMixture.preset("gmm2d"))
    aligner = glass.Aligner(glass.Kernel(model, inner_steps=4), "quadratic:kappa=0.5:center=2,1", steps=4,
                            max_nfe=128, prune=True)
    plan = aligner.plan("smc")
    assert plan.particles == summary["plan"]["particles"] == 12
    assert plan.prunes and plan.nfe_per_output == 128
    run = aligner.run("smc", 20, generator=glass.Generator(4))
    assert torch.equal(from_cli, run.samples)
    assert run.cost.nfe_per_output == summary["nfe_per_sample"] <= 128
    assert [s.log_weights.shape[1] for s in run.smc.steps] == [s["particles"] for s in summary["smc"]["steps"]]
    assert run.smc.steps[1].log_weights.shape[1] < 12
