#include "glass/diamond/diamond_network.h"

#include <nlohmann/json.hpp>
#include <torch/csrc/autograd/forward_grad.h>

#include <cmath>
#include <stdexcept>

#include "glass/diamond/diamond_unet.h"
#include "glass/util/parse.h"

namespace glass {

void DiamondNetConfig::validate() const {
  if (arch != "mlp" && arch != "unet")
    throw std::invalid_argument("diamond network: unknown arch " + quote(arch) + " (expected mlp or unet)");
  if (arch == "mlp" && (sample_shape.size() != 1 || sample_shape[0] < 1))
    throw std::invalid_argument("diamond network: the mlp needs a sample shape [d]");
  if (arch == "unet" && (sample_shape.size() != 3 || sample_shape[0] < 1 || sample_shape[1] < 4 ||
                         sample_shape[1] % 4 || sample_shape[2] < 4 || sample_shape[2] % 4))
    throw std::invalid_argument("diamond network: the unet needs a sample shape [C, H, W] with H and W divisible by 4");
  if (width < 1 || depth < 1 || time_features < 1)
    throw std::invalid_argument("diamond network: width, depth and time features must be positive");
}

nlohmann::json DiamondNetConfig::to_json() const {
  nlohmann::json j{{"arch", arch}, {"sample_shape", sample_shape}, {"width", width}, {"time_features", time_features}};
  if (arch == "mlp") j["depth"] = depth;
  if (arch == "unet") j["prediction"] = to_string(prediction);
  return j;
}

DiamondNetConfig DiamondNetConfig::from_json(const nlohmann::json& j, const std::string& source) {
  DiamondNetConfig c;
  try {
    c.arch = j.value("arch", c.arch);
    c.sample_shape = j.at("sample_shape").get<std::vector<int64_t>>();
    c.width = j.value("width", c.width);
    c.depth = j.value("depth", c.depth);
    c.time_features = j.value("time_features", c.time_features);
    if (j.contains("prediction")) c.prediction = parse_prediction(j.at("prediction").get<std::string>());
    c.validate();
  } catch (const std::exception& e) {
    throw std::invalid_argument(source + ": " + one_line(e.what()));
  }
  return c;
}

torch::Tensor scalar_features(const std::vector<const std::vector<double>*>& values, const torch::Tensor& frequencies,
                              const torch::TensorOptions& options, const DsTangent* last_tangent) {
  std::vector<torch::Tensor> features;
  for (size_t i = 0; i < values.size(); ++i) {
    torch::Tensor column =
        torch::tensor(*values[i], torch::TensorOptions().dtype(torch::kFloat64)).to(options).reshape({-1, 1});
    if (last_tangent && i + 1 == values.size())
      column = at::_make_dual(column, torch::ones_like(column), static_cast<int64_t>(last_tangent->level));
    const torch::Tensor angles = column * frequencies.to(options).unsqueeze(0);
    features.insert(features.end(), {column, torch::sin(angles), torch::cos(angles)});
  }
  return torch::cat(features, 1);
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

torch::Tensor DiamondMlpImpl::forward(const torch::Tensor& xbar, const torch::Tensor& x_t, const std::vector<double>& t,
                                      const std::vector<double>& s, const std::vector<double>& ds,
                                      const DsTangent* ds_tangent) {
  const torch::Tensor times = scalar_features({&t, &s, &ds}, frequencies_, xbar.options(), ds_tangent);
  return body_->forward(torch::cat({xbar, x_t, times}, 1));
}

std::pair<torch::Tensor, torch::Tensor> DiamondNet::forward_with_ds_tangent(const torch::Tensor& xbar,
                                                                            const torch::Tensor& x_t,
                                                                            const std::vector<double>& t,
                                                                            const std::vector<double>& s,
                                                                            const std::vector<double>& ds) const {
  // A dual level of our own, released on every exit; the tangent keeps its autograd history after.
  struct Level {
    DsTangent tangent{torch::autograd::ForwardADLevel::get_next_idx()};
    ~Level() { torch::autograd::ForwardADLevel::release_idx(tangent.level); }
  } level;
  const torch::Tensor out = run(xbar, x_t, t, s, ds, &level.tangent);
  const auto unpacked = at::_unpack_dual(out, static_cast<int64_t>(level.tangent.level));
  torch::Tensor primal = std::get<0>(unpacked), tangent = std::get<1>(unpacked);
  if (!tangent.defined())  // psi does not depend on s' - s (a student that ignores it)
    tangent = torch::zeros_like(primal);
  // Copies, not views of the dual: they must outlive the level.
  return {primal.clone(), tangent.clone()};
}

DiamondNet make_diamond_net(const DiamondNetConfig& config, SchedulePtr schedule) {
  config.validate();
  if (config.arch == "unet") {
    DiamondUnet unet(config, std::move(schedule));
    return {unet.ptr(),
            [unet](const torch::Tensor& xbar, const torch::Tensor& x_t, const std::vector<double>& t,
                   const std::vector<double>& s, const std::vector<double>& ds,
                   const DsTangent* ds_tangent) mutable { return unet->forward(xbar, x_t, t, s, ds, ds_tangent); }};
  }
  DiamondMlp mlp(config);
  return {mlp.ptr(),
          [mlp](const torch::Tensor& xbar, const torch::Tensor& x_t, const std::vector<double>& t,
                const std::vector<double>& s, const std::vector<double>& ds,
                const DsTangent* ds_tangent) mutable { return mlp->forward(xbar, x_t, t, s, ds, ds_tangent); }};
}

}  // namespace glass
