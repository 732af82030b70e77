#pragma once
// What the experiments run on: the flow model (the shipped Fashion-MNIST U-Net by default, or a
// mixture preset with exact answers), the classifier's view of images, and the Diamond Map when
// one is given or shipped for that model.
#include <memory>
#include <optional>

#include "experiments/experiment.h"
#include "experiments/experiment_stats.h"
#include "glass/alignment/alignment_methods.h"
#include "glass/diamond/diamond_map.h"
#include "model_options.h"

namespace glass::cli {

struct ExperimentScene {
  LoadedModel loaded;
  std::unique_ptr<ImageScorer> scorer;  // images only
  std::shared_ptr<DiamondMap> diamond;  // nullptr: none given or shipped
  std::string diamond_dir;

  FlowModel& model() { return *loaded.model; }
  bool images() const { return loaded.sample_shape == std::vector<int64_t>{1, 28, 28}; }
  const GaussianMixture* mixture() const { return loaded.mixture ? &*loaded.mixture : nullptr; }
  // alpha_t x + sigma_t eps with noise from `seed`.
  torch::Tensor noised(const torch::Tensor& clean, double t, uint64_t seed) const;
  nlohmann::json describe() const;
};

// `mixtures`: whether the experiment has exact answers for mixture presets (else it needs images).
ExperimentScene load_scene(const ExperimentOptions& o, const std::string& experiment, bool mixtures);

// One alignment method on the scene's model over a uniform grid of `steps`, `outputs` samples
// from `seed`, within settings.max_nfe calls per sample (0: none).
AlignmentRun align_once(ExperimentScene& scene, const KernelChoice& kernel, int steps, AlignmentMethod method,
                        AlignmentSettings settings, const RewardPtr& reward, int64_t outputs, uint64_t seed);

}  // namespace glass::cli
