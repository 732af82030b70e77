#pragma once
// The student of a Diamond Map: psi_theta(xbar_s, x_t, t, s, s' - s), a "mean denoiser" of the
// inner flow, from which the map is X(xbar_s; s -> s') = ((1-s')/(1-s)) xbar + ((s'-s)/(1-s)) psi
// (spec diamond-maps 1). psi's diagonal target is the GLASS posterior denoiser itself, bounded as
// s -> 1, where the velocity form (psi - xbar)/(1 - s) would blow up.
//
// Two students: an MLP for vectors (mixtures, 2-D data) and, for images, a U-Net built on the flow
// model's own (diamond_unet.h), which can start from its weights.
#include <nlohmann/json_fwd.hpp>
#include <torch/torch.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "glass/models/model_spec.h"
#include "glass/schedules/schedule.h"

namespace glass {

struct DiamondNetConfig {
  std::string arch = "mlp";  // "mlp" (vectors [d]) | "unet" (images [C, H, W])
  std::vector<int64_t> sample_shape{2};
  int64_t width = 256;        // MLP hidden width | U-Net base channels
  int64_t depth = 4;          // MLP hidden layers (unused by the U-Net)
  int64_t time_features = 8;  // sin/cos pairs for each of t, s and s' - s
  // What the U-Net's body predicts at the pooled GLASS input, read with the teacher's schedule
  // (that of the flow network it starts from). Unused by the MLP, which predicts psi itself.
  Prediction prediction = Prediction::Velocity;

  void validate() const;
  nlohmann::json to_json() const;
  static DiamondNetConfig from_json(const nlohmann::json& j, const std::string& source);
};

// Asks a student's forward pass to carry d/d(s' - s) by forward-mode AD: the s' - s column of its
// time features becomes a dual number with unit tangent at this level (torch forward AD).
struct DsTangent {
  uint64_t level;
};

// psi for vectors: an MLP on (xbar, x_t) and sinusoidal features of t, s and s' - s.
class DiamondMlpImpl : public torch::nn::Module {
 public:
  explicit DiamondMlpImpl(const DiamondNetConfig& config);
  // xbar, x_t: [N, d]; t, s, ds: one per particle.
  torch::Tensor forward(const torch::Tensor& xbar, const torch::Tensor& x_t, const std::vector<double>& t,
                        const std::vector<double>& s, const std::vector<double>& ds,
                        const DsTangent* ds_tangent = nullptr);

 private:
  torch::Tensor frequencies_;
  torch::nn::Sequential body_{nullptr};
};
TORCH_MODULE(DiamondMlp);

// Sinusoidal features [v, sin(f v), cos(f v)] of each per-particle scalar in `values`, side by side.
// With a tangent, the LAST scalar is a dual number with unit tangent at that level.
torch::Tensor scalar_features(const std::vector<const std::vector<double>*>& values, const torch::Tensor& frequencies,
                              const torch::TensorOptions& options, const DsTangent* last_tangent = nullptr);

// A student network as the trainer and the map need it: psi(xbar, x_t, t, s, s' - s), with one t,
// s and s' - s per particle (float64, so that the U-Net pools its input exactly).
struct DiamondNet {
  using Forward = std::function<torch::Tensor(const torch::Tensor& xbar, const torch::Tensor& x_t,
                                              const std::vector<double>& t, const std::vector<double>& s,
                                              const std::vector<double>& ds, const DsTangent* ds_tangent)>;
  std::shared_ptr<torch::nn::Module> module;
  Forward run;

  torch::Tensor forward(const torch::Tensor& xbar, const torch::Tensor& x_t, const std::vector<double>& t,
                        const std::vector<double>& s, const std::vector<double>& ds) const {
    return run(xbar, x_t, t, s, ds, nullptr);
  }
  // psi and d psi / d(s' - s) at fixed s, from one forward pass carrying a tangent (forward-mode
  // AD); both stay differentiable in the weights, so a loss on the derivative trains them.
  std::pair<torch::Tensor, torch::Tensor> forward_with_ds_tangent(const torch::Tensor& xbar, const torch::Tensor& x_t,
                                                                  const std::vector<double>& t,
                                                                  const std::vector<double>& s,
                                                                  const std::vector<double>& ds) const;
};

// `schedule`: the teacher's, which the U-Net pools its input with and reads its body's output by.
DiamondNet make_diamond_net(const DiamondNetConfig& config, SchedulePtr schedule);

}  // namespace glass
