#include "model_options.h"

#include "glass/models/mixture_network.h"

namespace glass::cli {

void ModelOptions::add_to(CLI::App& app) {
  app.add_option("--preset", preset, "built-in Gaussian-mixture model (see `glass presets`)")->capture_default_str();
  app.add_option("--mixture", mixture_file, "Gaussian-mixture JSON file {means, stds, weights} (overrides --preset)");
  app.add_option("--schedule", schedule, "noise schedule: condot, cosine, poly:<n>, vp, ddpm[:<steps>]")
      ->capture_default_str();
}

LoadedModel load_model(const ModelOptions& options) {
  LoadedModel loaded;
  SchedulePtr schedule = make_schedule(options.schedule);
  GaussianMixture mixture = options.mixture_file.empty() ? GaussianMixture::preset(options.preset)
                                                         : GaussianMixture::from_file(options.mixture_file);
  loaded.source = options.mixture_file.empty() ? "preset:" + options.preset : options.mixture_file;
  loaded.sample_shape = {mixture.dim()};
  auto net = std::make_shared<MixtureNetwork>(mixture, schedule);
  loaded.model = std::make_unique<FlowModel>(net, schedule, ModelSpec{Prediction::Denoiser, TimeConvention::FlowTime, 1.0});
  loaded.mixture = std::move(mixture);
  return loaded;
}

}  // namespace glass::cli
