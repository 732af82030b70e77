#include "model_options.h"

#include <filesystem>

#include "glass/distributed/launch_environment.h"
#include "glass/io/tensor_files.h"
#include "glass/models/mixture_network.h"
#include "glass/models/model_file.h"
#include "glass/util/parse.h"
#include "run_options.h"
#include "sample_outputs.h"

namespace glass::cli {

void ModelOptions::add_to(CLI::App& app) {
  app.add_option("-m,--model", model_file,
                 "model file: a glass model.json, or a TorchScript .pt (sidecar .json optional)");
  app.add_option("--preset", preset,
                 "built-in Gaussian-mixture model (see `glass presets`); default without --model: the shipped "
                 "Fashion-MNIST model, or gmm2d where it is missing");
  app.add_option("--mixture", mixture_file, "Gaussian-mixture JSON file {means, stds, weights} (overrides --preset)");
  app.add_option("--schedule", schedule,
                 "noise schedule: condot, cosine, poly:<n>, vp, "
                 "ddpm[:<steps>[:linear|scaled_linear|squaredcos_cap_v2]] (default condot)");
  app.add_option("--prediction", prediction,
                 "what the network predicts: velocity (dx/d of its own time: dx/dsigma for --time sigma), x0 "
                 "(sample), noise (epsilon), v_prediction");
  app.add_option("--time", time, "the network's time input: t, sigma (= 1 - t), ddpm (integer step)")
      ->check(CLI::IsMember(offered_names(time_convention_names())));
  app.add_option("--time-scale", time_scale, "multiplier of the time input, e.g. 1000")->check(CLI::PositiveNumber);
  CLI::Option* label_option =
      app.add_option("--class", label,
                     "the class of a class-conditional model (the labels as --cond; with --cfg the null label is "
                     "the unconditional half unless --uncond says otherwise)")
          ->check(CLI::NonNegativeNumber);
  app.add_option("--cond", conditioning,
                 "conditioning .npy file(s) passed to a conditional model after (x, t); batch 1 is broadcast")
      ->expected(1, 8)
      ->excludes(label_option);
  app.add_option("--uncond", unconditioning,
                 "the null conditioning for --cfg (the null label, the empty prompt's embedding): one .npy per --cond")
      ->expected(1, 8);
  app.add_option("--cfg", cfg,
                 "classifier-free guidance scale w: D_u + w (D_c - D_u), conditional and unconditional in one call of "
                 "2N rows (network_rows counts both); 1 is the conditional model alone")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--max-batch", max_batch,
                 "at most this many rows per network call (bounds memory; same results, same NFE; 0: no limit)")
      ->check(CLI::NonNegativeNumber);
  add_placement_options(app, device, dtype);
  app.add_option("--sample-shape", sample_shape, "shape of one sample, e.g. 1,28,28 (TorchScript without sidecar)");
}

nlohmann::json placement_json(const NetworkFlowModel& model) {
  const Placement& p = model.placement();
  return {{"device", p.device.str()}, {"network_dtype", p.network_dtype ? dtype_name(*p.network_dtype) : "float32"}};
}

nlohmann::json conditioning_json(const ModelOptions& o) {
  nlohmann::json j = nlohmann::json::object();
  if (o.label >= 0) j["class"] = o.label;
  if (!o.conditioning.empty()) j["cond"] = o.conditioning;
  if (!o.unconditioning.empty()) j["uncond"] = o.unconditioning;
  if (o.cfg >= 0.0) j["cfg"] = o.cfg;
  return j;
}

void add_placement_options(CLI::App& app, std::string& device, std::string& dtype) {
  app.add_option(
         "--device", device,
         "where the network, the particles, rewards and maps live: cpu, cuda, cuda:N (noise is drawn on the CPU, "
         "so a seed gives the same numbers everywhere)")
      ->capture_default_str();
  app.add_option(
      "--dtype", dtype,
      "the network's precision: float32 (default), bfloat16, float16; particles, the GLASS inner ODE, rewards "
      "and weights stay float32/float64 (also bf16, fp16)");
}

void reject_unused_grid_flags(const CLI::App& cmd, bool explicit_grid, const FlowModel& model) {
  reject_unused_flags(cmd, {"--steps"}, !explicit_grid, "runs without --grid");
  reject_unused_flags(cmd, {"--table-spacing"}, !explicit_grid && model.spec().time == TimeConvention::DdpmStep,
                      "models on DDPM steps, without --grid");
}

namespace {

LoadedModel load_model_unbatched(const ModelOptions& options);

Placement placement_of(const ModelOptions& options) {
  Placement p{parse_device(options.device), std::nullopt};
  // Under torchrun or mpirun every rank runs this same command: plain "cuda" is this rank's GPU.
  if (p.device.is_cuda() && !p.device.has_index()) {
    const std::optional<LaunchEnvironment> launch = launch_environment_from_env();
    if (launch && launch->local_rank)
      p.device = torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(*launch->local_rank));
  }
  if (!options.dtype.empty()) p.network_dtype = parse_network_dtype(options.dtype);
  return p;
}

}  // namespace

LoadedModel load_model(const ModelOptions& options) {
  LoadedModel loaded = load_model_unbatched(options);
  loaded.model->set_max_batch(options.max_batch);
  return loaded;
}

namespace {

LoadedModel load_model_unbatched(const ModelOptions& options) {
  ModelOptions o = options;
  if (o.model_file.empty() && o.mixture_file.empty() && o.preset.empty()) {
    const std::string shipped = default_model_path("fashion-mnist-unet/model.json");
    if (std::filesystem::exists(shipped)) o.model_file = shipped;
    else o.preset = "gmm2d";
  }
  LoadedModel loaded;
  if (!o.model_file.empty()) {
    ModelOverrides ov;
    if (!o.prediction.empty()) ov.prediction = o.prediction;
    if (!o.time.empty()) ov.time = o.time;
    if (!o.schedule.empty()) ov.schedule = o.schedule;
    if (o.time_scale > 0) ov.time_scale = o.time_scale;
    if (!o.sample_shape.empty()) {
      std::vector<int64_t> shape;
      for (double d : parse_double_list(o.sample_shape, "--sample-shape")) {
        if (d < 1 || d != static_cast<int64_t>(d))
          throw std::invalid_argument("--sample-shape needs positive integers");
        shape.push_back(static_cast<int64_t>(d));
      }
      ov.sample_shape = shape;
    }
    if (o.label >= 0) ov.conditioning.cond.push_back(torch::full({1}, o.label, torch::kInt64));
    for (const std::string& file : o.conditioning) ov.conditioning.cond.push_back(read_npy(file));
    for (const std::string& file : o.unconditioning) ov.conditioning.uncond.push_back(read_npy(file));
    if (o.cfg >= 0.0) ov.conditioning.guidance_scale = o.cfg;
    LoadedModelFile file = load_model_file(o.model_file, ov, placement_of(o));
    loaded.model = std::move(file.model);
    loaded.sample_shape = file.sample_shape;
    loaded.source = o.model_file;
    return loaded;
  }
  if (!o.conditioning.empty() || !o.unconditioning.empty() || o.cfg >= 0.0 || o.label >= 0)
    throw std::invalid_argument("--class, --cond, --uncond and --cfg need a conditional model file (-m)");
  if (!o.prediction.empty() || !o.time.empty() || o.time_scale > 0 || !o.sample_shape.empty())
    throw std::invalid_argument(
        "--prediction, --time, --time-scale and --sample-shape describe a model file (-m); "
        "a mixture is exact in library time");
  SchedulePtr schedule = make_schedule(o.schedule.empty() ? "condot" : o.schedule);
  GaussianMixture mixture =
      o.mixture_file.empty() ? GaussianMixture::preset(o.preset) : GaussianMixture::from_file(o.mixture_file);
  loaded.source = o.mixture_file.empty() ? "preset:" + o.preset : o.mixture_file;
  loaded.sample_shape = {mixture.dim()};
  auto net = std::make_shared<MixtureNetwork>(mixture, schedule);
  loaded.model =
      std::make_unique<NetworkFlowModel>(net, schedule, ModelSpec{Prediction::Denoiser, TimeConvention::FlowTime, 1.0});
  loaded.model->place(placement_of(o));
  loaded.mixture = std::move(mixture);
  return loaded;
}

}  // namespace

}  // namespace glass::cli
