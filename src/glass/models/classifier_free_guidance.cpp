#include "glass/models/classifier_free_guidance.h"

#include <cmath>
#include <stdexcept>

#include "glass/models/placement.h"
#include "glass/util/parse.h"

namespace glass {

torch::Tensor conditioning_for_batch(const torch::Tensor& c, int64_t n) {
  if (c.dim() == 0 || (c.size(0) != 1 && c.size(0) != n))
    throw std::invalid_argument("a conditioning tensor of shape " + c10::str(c.sizes()) + " for " + std::to_string(n) +
                                " particles (batch 1 or " + std::to_string(n) + ")");
  std::vector<int64_t> shape = c.sizes().vec();
  shape[0] = n;
  return c.expand(shape);
}

ClassifierFreeGuidance::ClassifierFreeGuidance(std::shared_ptr<ConditionalNetwork> network,
                                               std::vector<torch::Tensor> cond, std::vector<torch::Tensor> uncond,
                                               double scale)
    : network_(std::move(network)), cond_(std::move(cond)), uncond_(std::move(uncond)), scale_(scale) {
  if (!network_) throw std::invalid_argument("classifier-free guidance: no network");
  if (cond_.empty() || cond_.size() != uncond_.size())
    throw std::invalid_argument("classifier-free guidance needs as many unconditional inputs as conditional ones (" +
                                std::to_string(uncond_.size()) + " for " + std::to_string(cond_.size()) + ")");
  for (size_t i = 0; i < cond_.size(); ++i)
    if (cond_[i].dim() == 0 || uncond_[i].dim() != cond_[i].dim() ||
        cond_[i].scalar_type() != uncond_[i].scalar_type() || cond_[i].sizes().slice(1) != uncond_[i].sizes().slice(1))
      throw std::invalid_argument("classifier-free guidance: conditional input " + std::to_string(i + 1) + " " +
                                  c10::str(cond_[i].sizes()) + " and its unconditional one " +
                                  c10::str(uncond_[i].sizes()) + " differ beyond the batch, or in dtype");
  if (!std::isfinite(scale_) || scale_ < 0.0)
    throw std::invalid_argument("classifier-free guidance: the scale w must be a finite number >= 0");
}

std::string ClassifierFreeGuidance::describe() const {
  char w[32];
  std::snprintf(w, sizeof w, "%g", scale_);
  return network_->describe() + " with classifier-free guidance w = " + w;
}

torch::Tensor ClassifierFreeGuidance::forward(const torch::Tensor& x, const torch::Tensor& timestep) {
  const int64_t n = x.size(0);
  // One call: the conditional rows first, then the unconditional ones.
  std::vector<torch::Tensor> both;
  for (size_t i = 0; i < cond_.size(); ++i)
    both.push_back(torch::cat({conditioning_for_batch(cond_[i], n), conditioning_for_batch(uncond_[i], n)}));
  const torch::Tensor out = network_->forward_conditioned(torch::cat({x, x}), torch::cat({timestep, timestep}), both);
  if (!out.defined() || out.dim() == 0 || out.size(0) != 2 * n)
    throw std::runtime_error("returned " + (out.defined() ? c10::str(out.sizes()) : std::string("none")) + " for " +
                             std::to_string(2 * n) + " rows (conditional and unconditional)");
  // In float32 at least: w > 1 amplifies the difference, and with it a bf16 network's rounding.
  const torch::Tensor conditional = at_least_float32(out.narrow(0, 0, n));
  const torch::Tensor unconditional = at_least_float32(out.narrow(0, n, n));
  return torch::add(unconditional, conditional - unconditional, scale_);
}

NetworkPtr with_conditioning(std::shared_ptr<ConditionalNetwork> network, const Conditioning& c) {
  if (!c.guidance_scale) {
    if (!c.uncond.empty())
      throw std::invalid_argument("unconditional inputs without a guidance scale (give the scale, e.g. --cfg 2)");
    network->set_conditioning(c.cond);
    return network;
  }
  if (c.cond.empty())
    throw std::invalid_argument("classifier-free guidance needs the conditioning to guide towards (--cond)");
  auto guided = std::make_shared<ClassifierFreeGuidance>(network, c.cond, c.uncond, *c.guidance_scale);
  if (*c.guidance_scale != 1.0) return guided;
  network->set_conditioning(c.cond);
  return network;
}

}  // namespace glass
