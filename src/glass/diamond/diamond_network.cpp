#include "glass/diamond/diamond_network.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <stdexcept>

#include "glass/util/parse.h"

namespace glass {

void DiamondNetConfig::validate() const {
  if (arch != "mlp") throw std::invalid_argument("diamond network: unknown arch " + quote(arch) + " (expected mlp)");
  if (sample_shape.size() != 1 || sample_shape[0] < 1)
    throw std::invalid_argument("diamond network: the mlp needs a sample shape [d]");
  if (width < 1 || depth < 1 || time_features < 1)
    throw std::invalid_argument("diamond network: width, depth and time features must be positive");
}

nlohmann::json DiamondNetConfig::to_json() const {
  return {{"arch", arch},
          {"sample_shape", sample_shape},
          {"width", width},
          {"depth", depth},
          {"time_features", time_features}};
}

DiamondNetConfig DiamondNetConfig::from_json(const nlohmann::json& j, const std::string& source) {
  DiamondNetConfig c;
  try {
    c.arch = j.value("arch", c.arch);
    c.sample_shape = j.at("sample_shape").get<std::vector<int64_t>>();
    c.width = j.value("width", c.width);
    c.depth = j.value("depth", c.depth);
    c.time_features = j.value("time_features", c.time_features);
    c.validate();
  } catch (const std::exception& e) {
    throw std::invalid_argument(source + ": " + one_line(e.what()));
  }
  return c;
}

DiamondMlpImpl::DiamondMlpImpl(const DiamondNetConfig& c) {
  c.validate();
  // Geometric frequencies 1 .. 100 for each time input: the inner flow changes fastest near s = 1.
  frequencies_ = register_buffer("frequencies", torch::exp(torch::linspace(0.0, std::log(100.0), c.time_features)));
  const int64_t d = c.sample_shape[0];
  body_ = torch::nn::Sequential();
  int64_t in = 2 * d + 3 * (1 + 2 * c.time_features);
  for (int64_t l = 0; l < c.depth; ++l) {
    body_->push_back(torch::nn::Linear(in, c.width));
    body_->push_back(torch::nn::SiLU());
    in = c.width;
  }
  body_->push_back(torch::nn::Linear(in, d));
  register_module("body", body_);
}

torch::Tensor DiamondMlpImpl::forward(const torch::Tensor& xbar, const torch::Tensor& x_t, const torch::Tensor& t,
                                      const torch::Tensor& s, const torch::Tensor& ds) {
  std::vector<torch::Tensor> features{xbar, x_t};
  for (const torch::Tensor& v : {t, s, ds}) {
    const torch::Tensor column = v.to(xbar.scalar_type()).reshape({-1, 1});
    const torch::Tensor angles = column * frequencies_.unsqueeze(0);
    features.insert(features.end(), {column, torch::sin(angles), torch::cos(angles)});
  }
  return body_->forward(torch::cat(features, 1));
}

DiamondNet make_diamond_net(const DiamondNetConfig& config) {
  config.validate();
  DiamondMlp mlp(config);
  return {mlp.ptr(),
          [mlp](const torch::Tensor& xbar, const torch::Tensor& x_t, const torch::Tensor& t, const torch::Tensor& s,
                const torch::Tensor& ds) mutable { return mlp->forward(xbar, x_t, t, s, ds); }};
}

}  // namespace glass
