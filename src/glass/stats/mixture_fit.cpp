#include "glass/stats/mixture_fit.h"

#include "glass/stats/energy_distance.h"

namespace glass {

MixtureFit assess_mixture_fit(const torch::Tensor& samples_in, const GaussianMixture& mixture, at::Generator& gen) {
  const torch::Tensor x = samples_in.detach().to(torch::kCPU, torch::kFloat64).reshape({samples_in.size(0), -1});
  const int64_t n = x.size(0), K = mixture.components();
  const torch::Tensor one = torch::ones({1}, torch::kFloat64), zero = torch::zeros({1}, torch::kFloat64);
  const torch::Tensor label = mixture.responsibilities(x, one, zero).argmax(1);
  const torch::Tensor onehot = torch::one_hot(label, K).to(torch::kFloat64);  // [n, K]
  const torch::Tensor counts = onehot.sum(0);
  MixtureFit fit;
  fit.fractions = counts / static_cast<double>(n);
  fit.component_means = onehot.t().matmul(x) / counts.clamp_min(1.0).unsqueeze(1);
  fit.max_weight_error = (fit.fractions - mixture.weights()).abs().max().item<double>();
  fit.energy_distance = energy_distance(x, mixture.sample(n, gen));
  return fit;
}

}  // namespace glass
