#pragma once
// Shared pieces of the statistical tests.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <filesystem>
#include <functional>
#include <string>
#include <unistd.h>

#include "glass/alignment/resampling.h"
#include "glass/models/mixture_network.h"
#include "glass/models/network_flow_model.h"
#include "glass/stats/energy_distance.h"
#include "glass/stats/mixture_fit.h"
#include "glass/transitions/sde_transition.h"

namespace glass {

// gtest prints test parameters through PrintTo (found by ADL): enums by their names.
inline void PrintTo(ResamplingScheme v, std::ostream* os) { *os << to_string(v); }
inline void PrintTo(Diffusion v, std::ostream* os) { *os << to_string(v); }

}  // namespace glass

namespace glass::test {

// An empty folder `name` under this process's own temporary folder `prefix`_PID (parallel test
// processes never share one).
inline std::filesystem::path scratch_dir(const std::string& prefix, const std::string& name) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / (prefix + "_" + std::to_string(::getpid())) / name;
  std::filesystem::remove_all(dir);
  return dir;
}

inline std::unique_ptr<NetworkFlowModel> mixture_model(const GaussianMixture& g, const SchedulePtr& s) {
  return std::make_unique<NetworkFlowModel>(std::make_shared<MixtureNetwork>(g, s), s,
                                            ModelSpec{Prediction::Denoiser, TimeConvention::FlowTime, 1.0});
}

// The sampling-noise floor of the energy distance at this sample size: the mean distance between
// independent pairs of exact sample sets. A kernel "matches" when it comes within a small factor.
inline double noise_floor(const std::function<torch::Tensor()>& draw_exact, int pairs = 4) {
  double total = 0.0;
  for (int i = 0; i < pairs; ++i) total += energy_distance(draw_exact(), draw_exact());
  return total / pairs;
}

// Samples x against the mixture g: component weights within 4 binomial standard errors plus 0.01
// for component overlap (assignment by responsibility misfiles a few exact samples too), component
// means within 5 standard errors plus 0.03, and the energy distance within 3x the noise floor.
inline void expect_mixture_fit(const torch::Tensor& x, const GaussianMixture& g, at::Generator& gen) {
  const int64_t n = x.size(0);
  const MixtureFit fit = assess_mixture_fit(x, g, gen);
  const double floor = noise_floor([&] { return g.sample(n, gen); });
  for (int64_t k = 0; k < g.components(); ++k) {
    const double w = g.weights()[k].item<double>();
    EXPECT_NEAR(fit.fractions[k].item<double>(), w, 4 * std::sqrt(w * (1 - w) / n) + 0.01) << "component " << k;
    const double se = g.stds()[k].item<double>() / std::sqrt(w * n);
    const torch::Tensor mean_err = (fit.component_means[k] - g.means()[k]).abs().max();
    EXPECT_LT(mean_err.item<double>(), 5 * se + 0.03) << "component " << k;
  }
  EXPECT_LT(fit.energy_distance, 3 * floor) << "floor " << floor;
}

}  // namespace glass::test
