#pragma once
// Where value estimates draw their posterior samples z ~ p(z | x_t) from, when not from GLASS's
// inner ODE on the model (M calls each): a distilled one-call sampler (a Diamond Map) plugs in here.
#include <torch/torch.h>

#include <memory>
#include <string>

namespace glass {

class PosteriorSampler {
 public:
  virtual ~PosteriorSampler() = default;
  virtual std::string name() const = 0;
  // x: [N, ...] at per-particle times t < 1 (float64 [N]); differentiable in x when it requires grad.
  // Its network calls count on the model it samples for.
  virtual torch::Tensor sample(const torch::Tensor& x, const torch::Tensor& t, at::Generator& gen) = 0;
  virtual int64_t nfe() const = 0;  // network calls per sample
};

using PosteriorSamplerPtr = std::shared_ptr<PosteriorSampler>;

}  // namespace glass
