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

// One method at one budget over every seed, its outputs pooled.
struct PooledRuns {
  torch::Tensor rewards, samples;  // all seeds' outputs
  int64_t nfe_per_sample = 0, particles = 0;
  double seconds = 0.0;
};

// align_once for each seed (`before_seed` is told each one, for progress); nullopt when the
// method's plan does not fit settings.max_nfe, with the reason added to skipped (said, not hidden).
std::optional<PooledRuns> align_over_seeds(ExperimentScene& scene, const KernelChoice& kernel, int steps,
                                           AlignmentMethod method, const AlignmentSettings& settings,
                                           const RewardPtr& reward, int64_t outputs, const std::vector<uint64_t>& seeds,
                                           const std::string& label, nlohmann::json& skipped,
                                           const std::function<void()>& before_seed);

}  // namespace glass::cli
