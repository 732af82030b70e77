#include "experiments/experiment_scene.h"

#include <algorithm>
#include <filesystem>

#include "glass/sampling/time_grid.h"
#include "glass/util/random.h"
#include "sample_outputs.h"

namespace glass::cli {

torch::Tensor ExperimentScene::noised(const torch::Tensor& clean, double t, uint64_t seed) const {
  at::Generator gen = make_generator(seed);
  const Schedule& s = loaded.model->schedule();
  return clean * s.alpha(t) + randn_like_on(clean, gen) * s.sigma(t);
}

nlohmann::json ExperimentScene::describe() const {
  return {{"model", loaded.source}, {"diamond", diamond ? diamond_dir : std::string("none")}};
}

ExperimentScene load_scene(const ExperimentOptions& o, const std::string& experiment, bool mixtures) {
  ModelOptions mo;
  const std::vector<std::string> presets = GaussianMixture::preset_names();
  if (std::find(presets.begin(), presets.end(), o.model) != presets.end()) mo.preset = o.model;
  else mo.model_file = o.model.empty() ? default_model_path("fashion-mnist-unet/model.json") : o.model;
  // Ground truths put thousands of rows through the U-Net: a bounded batch keeps memory flat.
  mo.max_batch = 512;
  mo.device = o.device;
  mo.dtype = o.dtype;
  ExperimentScene scene{load_model(mo), nullptr, nullptr, ""};
  if (scene.images()) {
    scene.scorer = std::make_unique<ImageScorer>(o.classifier);
  } else if (!scene.mixture() || !mixtures) {
    throw std::invalid_argument(
        "experiment " + experiment + ": needs " +
        std::string(mixtures ? "Fashion-MNIST images or a mixture preset" : "the Fashion-MNIST model") + ", got " +
        scene.loaded.source);
  }
  std::string dir = o.diamond;
  if (dir.empty()) {  // the shipped map of the shipped models
    const std::string shipped = default_model_path(
        scene.images() ? "diamond-fashion-mnist" : "diamond-" + (mo.preset.empty() ? std::string("none") : mo.preset));
    if (std::filesystem::exists(std::filesystem::path(shipped) / "diamond.json")) dir = shipped;
  }
  if (!dir.empty() && dir != "none") {
    scene.diamond = std::make_shared<DiamondMap>(load_diamond_map(dir, *scene.loaded.model));
    scene.diamond_dir = dir;
  }
  return scene;
}

AlignmentRun align_once(ExperimentScene& scene, const KernelChoice& kernel, int steps, AlignmentMethod method,
                        AlignmentSettings settings, const RewardPtr& reward, int64_t outputs, uint64_t seed) {
  Aligner aligner(scene.model(), kernel_factory(kernel, scene.mixture()), reward, uniform_grid(steps),
                  scene.loaded.sample_shape, std::move(settings));
  const MethodPlan plan = aligner.plan(method);
  at::Generator gen = make_generator(seed);
  return aligner.run(plan, outputs, gen);
}

std::optional<PooledRuns> align_over_seeds(ExperimentScene& scene, const KernelChoice& kernel, int steps,
                                           AlignmentMethod method, const AlignmentSettings& settings,
                                           const RewardPtr& reward, int64_t outputs, const std::vector<uint64_t>& seeds,
                                           const std::string& label, nlohmann::json& skipped,
                                           const std::function<void()>& before_seed) {
  std::vector<torch::Tensor> rewards, samples;
  PooledRuns out;
  for (uint64_t seed : seeds) {
    if (before_seed) before_seed();
    try {
      const AlignmentRun r = align_once(scene, kernel, steps, method, settings, reward, outputs, seed);
      rewards.push_back(r.rewards);
      samples.push_back(r.samples);
      out.nfe_per_sample = r.cost.nfe_per_output();
      out.particles = r.plan.particles;
      out.seconds += r.seconds;
    } catch (const std::invalid_argument& e) {
      // A chain dearer than the budget: every seed would fail alike.
      skipped.push_back(label + ": " + e.what());
      return std::nullopt;
    }
  }
  out.rewards = torch::cat(rewards);
  out.samples = torch::cat(samples);
  return out;
}

}  // namespace glass::cli
