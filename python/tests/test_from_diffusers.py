"""glass.from_diffusers against diffusers' own pipelines: diffusers' network classes with tiny
random configs, conventions read from the scheduler (no hand-written sidecar), and the same latents
and noise. DiTPipeline (class labels, CFG, DDIM), StableDiffusion3Pipeline (text embeddings, CFG,
shifted flow matching), FluxPipeline (packed latents, distilled guidance, dynamic shift); a
UNet2DModel with epsilon and v-prediction under DDIM and DDPM. Each exported to TorchScript
(export_diffusers) and run by glass's C++ loader gives the same samples as the eager network.
Tolerances are float32's: glass's tables are float64, diffusers' float32."""
import json
import subprocess
import sys
import warnings

import diffusers
import pytest
import torch

import glass

SEED = 3


def expect_same(x, reference, tol=2e-4):
    x, reference = x.detach(), reference.detach()
    scale = float(reference.abs().max())
    assert scale > 0.05
    difference = float((x - reference).abs().max())
    assert difference < tol * max(1.0, scale), difference


def seeded(module):
    torch.manual_seed(0)
    return module.eval()


def unet():
    return seeded(diffusers.UNet2DModel(
        sample_size=8, in_channels=1, out_channels=1, layers_per_block=1, block_out_channels=(8, 16),
        down_block_types=("DownBlock2D", "AttnDownBlock2D"), up_block_types=("AttnUpBlock2D", "UpBlock2D"),
        norm_num_groups=4))


def dit():
    return seeded(diffusers.DiTTransformer2DModel(
        num_attention_heads=2, attention_head_dim=8, in_channels=4, out_channels=8, num_layers=1, sample_size=8,
        patch_size=2, num_embeds_ada_norm=1000, norm_num_groups=1))


def sd3():
    return seeded(diffusers.SD3Transformer2DModel(
        sample_size=8, patch_size=2, in_channels=4, num_layers=1, attention_head_dim=8, num_attention_heads=2,
        joint_attention_dim=16, caption_projection_dim=16, pooled_projection_dim=8, out_channels=4))


def flux():
    return seeded(diffusers.FluxTransformer2DModel(
        patch_size=1, in_channels=16, num_layers=1, num_single_layers=1, attention_head_dim=8, num_attention_heads=2,
        joint_attention_dim=16, pooled_projection_dim=8, guidance_embeds=True, axes_dims_rope=(2, 2, 4)))


def run_glass(model, x_init, grid, kernel="ode", **kernel_options):
    if kernel == "ode":
        kernel_options.setdefault("ode_method", "euler")
    return glass.sample(glass.Kernel(model, kernel, **kernel_options), x0=x_init, grid=grid,
                        generator=glass.Generator(SEED)).x


@pytest.mark.parametrize("prediction", ["epsilon", "v_prediction"])
def test_unet_ddim_and_ddpm_loops(prediction):
    net = unet()
    x_init = torch.randn(4, 1, 8, 8, generator=torch.Generator().manual_seed(1))
    for scheduler, kernel, eta in [
        (diffusers.DDIMScheduler(prediction_type=prediction, clip_sample=False, timestep_spacing="trailing"), "ddim",
         0.0),
        (diffusers.DDPMScheduler(prediction_type=prediction, clip_sample=False, beta_schedule="squaredcos_cap_v2"),
         "ddpm", None)]:
        scheduler.set_timesteps(8)
        x, gen = x_init.clone(), torch.Generator().manual_seed(SEED)
        with torch.no_grad():
            for t in scheduler.timesteps:
                out = net(x, t.expand(4)).sample
                step = scheduler.step(out, t, x, generator=gen, **({"eta": eta} if eta is not None else {}))
                x = step.prev_sample
        model = glass.from_diffusers(net, scheduler)
        assert model.prediction == {"epsilon": "noise", "v_prediction": "v_prediction"}[prediction]
        expect_same(run_glass(model, x_init, glass.grid_from_scheduler(scheduler), kernel), x)


def test_dit_pipeline_with_classifier_free_guidance():
    """DiTPipeline: class labels against the null class 1000, w = 4, DDIM; the latents decoded by
    the pipeline's VAE as it does. The network's learned-variance channels are dropped."""
    net = dit()
    vae = seeded(diffusers.AutoencoderKL(
        in_channels=3, out_channels=3, latent_channels=4, block_out_channels=(8,), down_block_types=("DownEncoderBlock2D",),
        up_block_types=("UpDecoderBlock2D",), norm_num_groups=4, layers_per_block=1, sample_size=8))
    pipe = diffusers.DiTPipeline(transformer=net, vae=vae, scheduler=diffusers.DDIMScheduler(clip_sample=False))
    pipe.set_progress_bar_config(disable=True)
    labels = torch.tensor([1, 2, 3])
    reference = pipe(class_labels=labels.tolist(), guidance_scale=4.0, num_inference_steps=6,
                     generator=torch.Generator().manual_seed(SEED), output_type="pt").images
    x_init = torch.randn(3, 4, 8, 8, generator=torch.Generator().manual_seed(SEED))
    model = glass.from_diffusers(pipe, cond=labels, uncond=torch.full((3,), 1000), cfg=4.0)
    latents = run_glass(model, x_init, glass.grid_from_scheduler(pipe.scheduler), "ddim")
    assert model.cost["rows"] == 2 * 3 * 6 and model.cost["calls"] == 6
    with torch.no_grad():
        images = (vae.decode(latents / vae.config.scaling_factor).sample / 2 + 0.5).clamp(0, 1)
    expect_same(images, reference)


def sd3_pipeline(shift=3.0):
    pipe = diffusers.StableDiffusion3Pipeline(
        transformer=sd3(), scheduler=diffusers.FlowMatchEulerDiscreteScheduler(shift=shift), vae=None,
        text_encoder=None, tokenizer=None, text_encoder_2=None, tokenizer_2=None, text_encoder_3=None, tokenizer_3=None)
    pipe.set_progress_bar_config(disable=True)
    return pipe


def test_sd3_pipeline_with_classifier_free_guidance():
    pipe = sd3_pipeline()
    g = torch.Generator().manual_seed(5)
    text, null = torch.randn(1, 5, 16, generator=g), torch.randn(1, 5, 16, generator=g)
    pooled, null_pooled = torch.randn(1, 8, generator=g), torch.randn(1, 8, generator=g)
    x_init = torch.randn(3, 4, 8, 8, generator=g)
    reference = pipe(prompt_embeds=text.expand(3, -1, -1), negative_prompt_embeds=null.expand(3, -1, -1),
                     pooled_prompt_embeds=pooled.expand(3, -1), negative_pooled_prompt_embeds=null_pooled.expand(3, -1),
                     guidance_scale=2.5, num_inference_steps=6, height=64, width=64, latents=x_init.clone(),
                     output_type="latent").images
    settings = glass.scheduler_settings(pipe.scheduler, pipe.transformer)
    assert settings["time"] == "sigma" and settings["time_scale"] == 1000.0  # SD3 sees 1000 sigma
    model = glass.from_diffusers(pipe, cond=[text, pooled], uncond=[null, null_pooled], cfg=2.5)
    expect_same(run_glass(model, x_init, glass.grid_from_scheduler(pipe.scheduler)), reference)


def flux_pipeline():
    scheduler = diffusers.FlowMatchEulerDiscreteScheduler(shift=3.0, use_dynamic_shifting=True, base_shift=0.5,
                                                          max_shift=1.15)
    pipe = diffusers.FluxPipeline(scheduler=scheduler, vae=None, text_encoder=None, tokenizer=None,
                                  text_encoder_2=None, tokenizer_2=None, transformer=flux())
    pipe.set_progress_bar_config(disable=True)
    return pipe


def test_flux_pipeline_sees_sigma_time():
    """FluxPipeline's call: timestep / 1000 into the transformer (sigma itself, time_scale 1),
    distilled guidance 3.5, dynamic shift with the pipeline's own mu; 16 packed tokens (4 x 4)."""
    pipe = flux_pipeline()
    g = torch.Generator().manual_seed(6)
    text, pooled = torch.randn(1, 5, 16, generator=g), torch.randn(1, 8, generator=g)
    x_init = torch.randn(2, 16, 16, generator=g)
    reference = pipe(prompt_embeds=text, pooled_prompt_embeds=pooled, height=64, width=64, num_inference_steps=5,
                     guidance_scale=3.5, num_images_per_prompt=2, latents=x_init.clone(), output_type="latent").images
    settings = glass.scheduler_settings(pipe.scheduler, pipe.transformer)
    assert settings["time"] == "sigma" and settings["time_scale"] == 1.0
    model = glass.from_diffusers(pipe, sample_shape=[16, 16], cond=[text, pooled], guidance=3.5)
    glass_x = run_glass(model, x_init, glass.grid_from_scheduler(pipe.scheduler))
    expect_same(glass_x, reference)
    # The README's old FLUX row (time_scale 1000: the transformer sees 1000 sigma) is off by 68
    # tolerances here (a random network depends on its time only weakly).
    adapter = glass.diffusers_adapter._Flux(pipe.transformer, (4, 4), 3.5)
    old_row = glass.python_model(adapter, [16, 16], prediction="velocity", time="sigma", time_scale=1000,
                                 cond=[text, pooled])
    old_x = run_glass(old_row, x_init, glass.grid_from_scheduler(pipe.scheduler)).detach()
    assert float((old_x - reference).abs().max()) > 20 * 2e-4 * float(reference.abs().max())


def test_exported_networks_run_from_cpp_as_the_eager_ones(tmp_path):
    """export_diffusers traces each family's adapter; glass.load_model (the C++ loader, reading the
    sidecar it wrote) samples what the eager from_diffusers model samples, CFG included."""
    labels, null = torch.tensor([7]), torch.tensor([1000])
    dit_pipe = diffusers.DiTPipeline(transformer=dit(), vae=None, scheduler=diffusers.DDPMScheduler(clip_sample=False))
    flux_pipe = flux_pipeline()
    flux_pipe.scheduler.set_timesteps(4, mu=0.9)
    text, pooled = torch.randn(1, 5, 16), torch.randn(1, 8)
    cases = [("unet", unet(), diffusers.DDIMScheduler(prediction_type="v_prediction", clip_sample=False), {}, {}, "ddim"),
             ("dit", dit_pipe, None, {"cond": labels, "uncond": null, "cfg": 3.0}, {"cond": labels}, "ddpm"),
             ("flux", flux_pipe, None, {"cond": [text, pooled]},
              {"cond": [text, pooled], "sample_shape": [16, 16], "guidance": 3.5}, "glass")]
    for name, model_or_pipe, scheduler, run_options, export_options, kernel in cases:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            side = glass.export_diffusers(model_or_pipe, str(tmp_path / f"{name}.pt"), scheduler, **export_options)
        meta = json.loads(open(side).read())
        eager = glass.from_diffusers(model_or_pipe, scheduler, **{k: v for k, v in export_options.items() if k != "cond"},
                                     **run_options)
        exported = glass.load_model(str(tmp_path / f"{name}.pt"), **run_options)
        assert exported.sample_shape == eager.sample_shape == meta["sample_shape"]
        s = scheduler or model_or_pipe.scheduler
        if name != "flux":  # FLUX's took the pipeline's mu above
            s.set_timesteps(5)
        x_init = torch.randn(3, *eager.sample_shape, generator=torch.Generator().manual_seed(8))
        grid = glass.grid_from_scheduler(s)
        expect_same(run_glass(exported, x_init, grid, kernel), run_glass(eager, x_init, grid, kernel), tol=1e-4)


def test_sidecar_from_a_saved_scheduler_config(tmp_path):
    scheduler = diffusers.DDIMScheduler(beta_schedule="scaled_linear", beta_start=0.00085, beta_end=0.012,
                                        prediction_type="v_prediction", clip_sample=False)
    scheduler.save_config(str(tmp_path))
    out = tmp_path / "model.json"
    done = subprocess.run([sys.executable, "-m", "glass.diffusers_adapter", str(tmp_path / "scheduler_config.json"),
                           "--sample-shape", "4,64,64", "--out", str(out)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    meta = json.loads(out.read_text())
    assert meta == {"format": "torchscript", "prediction": "v_prediction", "time": "ddpm", "time_scale": 1.0,
                    "schedule": "ddpm:1000:scaled_linear:0.00085:0.012", "sample_shape": [4, 64, 64]}
    # The table glass builds from it is diffusers' own.
    schedule = glass.schedule(meta["schedule"])
    alphabar = scheduler.alphas_cumprod.double()
    for k in (0, 250, 999):
        assert abs(schedule.alpha(schedule.time_of_step(k)) ** 2 - float(alphabar[k])) < 1e-6
    flux_meta = subprocess.run([sys.executable, "-m", "glass.diffusers_adapter", str(tmp_path / "scheduler_config.json"),
                                "--network", "NoSuchModel", "--out", str(tmp_path / "x.json")], capture_output=True,
                               text=True)
    assert flux_meta.returncode == 1 and "NoSuchModel" in flux_meta.stderr and not (tmp_path / "x.json").exists()


@pytest.mark.parametrize("config, message", [
    ({"trained_betas": [0.1] * 10, "num_train_timesteps": 10}, "trained_betas"),
    ({"rescale_betas_zero_snr": True}, "zero terminal SNR"),
    ({"beta_schedule": "sigmoid"}, "beta_schedule 'sigmoid'"),
    ({"prediction_type": "flow_prediction"}, "prediction_type"),
])
def test_conventions_glass_cannot_follow_are_refused(config, message):
    scheduler = diffusers.DDPMScheduler(**{k: v for k, v in config.items() if k != "beta_schedule"})
    settings = dict(scheduler.config, **config)
    with pytest.raises(ValueError, match=message):
        glass.scheduler_settings({**settings, "_class_name": "DDPMScheduler"})


def test_a_clipping_scheduler_is_warned_of():
    with pytest.warns(UserWarning, match="clips or thresholds"):
        glass.from_diffusers(unet(), diffusers.DDIMScheduler())  # clip_sample=True by default


def test_network_errors():
    with pytest.raises(ValueError, match="not a network glass can drive"):
        glass.from_diffusers(torch.nn.Linear(2, 2), diffusers.DDIMScheduler())
    with pytest.raises(ValueError, match="give guidance="):
        glass.from_diffusers(flux(), diffusers.FlowMatchEulerDiscreteScheduler(), sample_shape=[16, 16])
    with pytest.raises(ValueError, match="packed latents"):
        glass.from_diffusers(flux(), diffusers.FlowMatchEulerDiscreteScheduler(), guidance=3.5)
    with pytest.raises(ValueError, match="needs its scheduler"):
        glass.from_diffusers(unet())
