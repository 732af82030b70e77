#pragma once
// The student of a Diamond Map: psi_theta(xbar_s, x_t, t, s, s' - s), a "mean denoiser" of the
// inner flow, from which the map is X(xbar_s; s -> s') = ((1-s')/(1-s)) xbar + ((s'-s)/(1-s)) psi
// (spec diamond-maps 1). psi's diagonal target is the GLASS posterior denoiser itself, bounded as
// s -> 1, where the velocity form (psi - xbar)/(1 - s) would blow up.
#include <nlohmann/json_fwd.hpp>
#include <torch/torch.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace glass {

struct DiamondNetConfig {
  std::string arch = "mlp";  // "mlp" (vectors [d])
  std::vector<int64_t> sample_shape{2};
  int64_t width = 256;        // hidden width
  int64_t depth = 4;          // hidden layers
  int64_t time_features = 8;  // sin/cos pairs for each of t, s and s' - s

  void validate() const;
  nlohmann::json to_json() const;
  static DiamondNetConfig from_json(const nlohmann::json& j, const std::string& source);
};

// psi for vectors: an MLP on (xbar, x_t) and sinusoidal features of t, s and s' - s.
class DiamondMlpImpl : public torch::nn::Module {
 public:
  explicit DiamondMlpImpl(const DiamondNetConfig& config);
  // xbar, x_t: [N, d]; t, s, ds: [N] in x's dtype.
  torch::Tensor forward(const torch::Tensor& xbar, const torch::Tensor& x_t, const torch::Tensor& t,
                        const torch::Tensor& s, const torch::Tensor& ds);

 private:
  torch::Tensor frequencies_;
  torch::nn::Sequential body_{nullptr};
};
TORCH_MODULE(DiamondMlp);

// A student network as the trainer and the map need it.
struct DiamondNet {
  std::shared_ptr<torch::nn::Module> module;
  std::function<torch::Tensor(const torch::Tensor& xbar, const torch::Tensor& x_t, const torch::Tensor& t,
                              const torch::Tensor& s, const torch::Tensor& ds)>
      forward;
};

DiamondNet make_diamond_net(const DiamondNetConfig& config);

}  // namespace glass
