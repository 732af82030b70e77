#include "glass/models/mlp_network.h"

#include <cmath>

namespace glass {

MlpImpl::MlpImpl(MlpOptions options) : options_(options) {
  // Geometric frequencies 1 .. 1000: resolves time near the ends, where the flow changes fastest.
  frequencies_ =
      register_buffer("frequencies", torch::exp(torch::linspace(0.0, std::log(1000.0), options.time_features)));
  body_ = torch::nn::Sequential();
  int64_t in = options.data_dim + 2 * options.time_features;
  for (int64_t l = 0; l < options.layers; ++l) {
    body_->push_back(torch::nn::Linear(in, options.hidden));
    body_->push_back(torch::nn::SiLU());
    in = options.hidden;
  }
  body_->push_back(torch::nn::Linear(in, options.data_dim));
  register_module("body", body_);
}

torch::Tensor MlpImpl::forward(const torch::Tensor& x, const torch::Tensor& t) {
  const torch::Tensor angles = t.to(x.scalar_type()).reshape({-1, 1}) * frequencies_.unsqueeze(0);
  return body_->forward(torch::cat({x, torch::sin(angles), torch::cos(angles)}, 1));
}

torch::Tensor MlpNetwork::forward(const torch::Tensor& x, const torch::Tensor& timestep) {
  // Build a graph only when the caller differentiates through the network (guidance).
  torch::AutoGradMode grad(x.requires_grad() && torch::GradMode::is_enabled());
  return module_->forward(x, timestep);
}

std::string MlpNetwork::describe() const {
  const auto& o = module_->options();
  return "MLP (" + std::to_string(o.layers) + " x " + std::to_string(o.hidden) + ", dim " + std::to_string(o.data_dim) +
         ")";
}

}  // namespace glass
