#include "model_options.h"

#include <filesystem>

#include "glass/models/mixture_network.h"
#include "glass/models/model_file.h"
#include "glass/util/parse.h"
#include "run_options.h"
#include "sample_outputs.h"

namespace glass::cli {

void ModelOptions::add_to(CLI::App& app) {
  app.add_option("-m,--model", model_file, "model file: a glass model.json, or a TorchScript .pt (sidecar .json optional)");
  app.add_option("--preset", preset,
                 "built-in Gaussian-mixture model (see `glass presets`); default without --model: the shipped "
                 "Fashion-MNIST model, or gmm2d where it is missing");
  app.add_option("--mixture", mixture_file, "Gaussian-mixture JSON file {means, stds, weights} (overrides --preset)");
  app.add_option("--schedule", schedule, "noise schedule: condot, cosine, poly:<n>, vp, ddpm[:<steps>[:linear|scaled_linear|squaredcos_cap_v2]] (default condot)");
  app.add_option("--prediction", prediction,
                 "what the network predicts: velocity (dx/d of its own time: dx/dsigma for --time sigma), x0 "
                 "(sample), noise (epsilon), v_prediction");
  app.add_option("--time", time, "the network's time input: t, sigma (= 1 - t), ddpm (integer step)")
      ->check(CLI::IsMember(offered_names(time_convention_names())));
  app.add_option("--time-scale", time_scale, "multiplier of the time input, e.g. 1000")->check(CLI::PositiveNumber);
  app.add_option("--cond", conditioning,
                 "conditioning .npy file(s) passed to a TorchScript model after (x, t); batch 1 is broadcast")
      ->expected(1, 8);
  app.add_option("--max-batch", max_batch,
                 "at most this many rows per network call (bounds memory; same results, same NFE; 0: no limit)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--sample-shape", sample_shape, "shape of one sample, e.g. 1,28,28 (TorchScript without sidecar)");
}

void reject_unused_grid_flags(const CLI::App& cmd, bool explicit_grid, const FlowModel& model) {
  reject_unused_flags(cmd, {"--steps"}, !explicit_grid, "runs without --grid");
  reject_unused_flags(cmd, {"--table-spacing"}, !explicit_grid && model.spec().time == TimeConvention::DdpmStep,
                      "models on DDPM steps, without --grid");
}

namespace {
LoadedModel load_model_unbatched(const ModelOptions& options);
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
        if (d < 1 || d != static_cast<int64_t>(d)) throw std::invalid_argument("--sample-shape needs positive integers");
        shape.push_back(static_cast<int64_t>(d));
      }
      ov.sample_shape = shape;
    }
    ov.conditioning = o.conditioning;
    LoadedModelFile file = load_model_file(o.model_file, ov);
    loaded.model = std::move(file.model);
    loaded.sample_shape = file.sample_shape;
    loaded.source = o.model_file;
    return loaded;
  }
  if (!o.conditioning.empty()) throw std::invalid_argument("--cond needs a TorchScript model (-m net.pt)");
  if (!o.prediction.empty() || !o.time.empty() || o.time_scale > 0 || !o.sample_shape.empty())
    throw std::invalid_argument("--prediction, --time, --time-scale and --sample-shape describe a model file (-m); "
                                "a mixture is exact in library time");
  SchedulePtr schedule = make_schedule(o.schedule.empty() ? "condot" : o.schedule);
  GaussianMixture mixture = o.mixture_file.empty() ? GaussianMixture::preset(o.preset) : GaussianMixture::from_file(o.mixture_file);
  loaded.source = o.mixture_file.empty() ? "preset:" + o.preset : o.mixture_file;
  loaded.sample_shape = {mixture.dim()};
  auto net = std::make_shared<MixtureNetwork>(mixture, schedule);
  loaded.model = std::make_unique<NetworkFlowModel>(net, schedule, ModelSpec{Prediction::Denoiser, TimeConvention::FlowTime, 1.0});
  loaded.mixture = std::move(mixture);
  return loaded;
}

}  // namespace

}  // namespace glass::cli
