#pragma once
// The exact oracle: an isotropic Gaussian mixture z ~ sum_k pi_k N(m_k, s_k^2 I) in any dimension.
// For x_t = alpha z + sigma eps everything is closed form (spec section 5): p_t, the posterior
// p(z | x_t), the denoiser, exact transitions, and the target tilted by a quadratic reward.
// Per-particle alpha and sigma are float64 [N] tensors; math runs in float64.
#include <torch/torch.h>

#include <string>
#include <vector>

namespace glass {

class GaussianMixture {
 public:
  // means [K, d], stds [K] (> 0), weights [K] (>= 0, normalised here).
  GaussianMixture(torch::Tensor means, torch::Tensor stds, torch::Tensor weights);

  // {"means": [[...], ...], "stds": [...], "weights": [...]}; weights optional (uniform).
  static GaussianMixture from_json(const std::string& text, const std::string& source = "mixture JSON");
  static GaussianMixture from_file(const std::string& path);
  static GaussianMixture preset(const std::string& name);
  static std::vector<std::string> preset_names();
  std::string to_json() const;

  int64_t dim() const { return means_.size(1); }
  int64_t components() const { return means_.size(0); }
  const torch::Tensor& means() const { return means_; }
  const torch::Tensor& stds() const { return stds_; }
  const torch::Tensor& weights() const { return weights_; }

  // Data samples z; labels (int64 [n]) receive the component index when given.
  torch::Tensor sample(int64_t n, at::Generator& gen, torch::Tensor* labels = nullptr) const;
  // Samples of p_t: alpha z + sigma eps.
  torch::Tensor sample_noisy(int64_t n, double alpha, double sigma, at::Generator& gen) const;

  torch::Tensor log_prob_noisy(const torch::Tensor& x, const torch::Tensor& alpha, const torch::Tensor& sigma) const;
  torch::Tensor responsibilities(const torch::Tensor& x, const torch::Tensor& alpha, const torch::Tensor& sigma) const;
  torch::Tensor denoise(const torch::Tensor& x, const torch::Tensor& alpha, const torch::Tensor& sigma) const;
  // z ~ p(z | x_t = x), one per row of x.
  torch::Tensor sample_posterior(const torch::Tensor& x, const torch::Tensor& alpha, const torch::Tensor& sigma,
                                 at::Generator& gen) const;

  // p(z) exp(lambda r(z)) / Z for r(z) = -kappa |z - center|^2 / 2: again a mixture; log Z exact.
  struct Tilted;
  Tilted tilted(double kappa, const torch::Tensor& center, double lambda) const;

 private:
  // log pi_k + log N(x; alpha m_k, v_k I) and v_k, each [N, K].
  std::pair<torch::Tensor, torch::Tensor> component_log_likelihoods(const torch::Tensor& x, const torch::Tensor& alpha,
                                                                    const torch::Tensor& sigma) const;
  torch::Tensor means_, stds_, weights_;  // float64, CPU
};

struct GaussianMixture::Tilted {
  GaussianMixture mixture;
  double log_z;  // log E_p[exp(lambda r(z))]
};

}  // namespace glass
