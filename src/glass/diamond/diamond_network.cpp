#include "glass/diamond/diamond_network.h"

#include <nlohmann/json.hpp>

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
                              const torch::TensorOptions& options) {
  std::vector<torch::Tensor> features;
  for (const std::vector<double>* v : values) {
    const torch::Tensor column =
        torch::tensor(*v, torch::TensorOptions().dtype(torch::kFloat64)).to(options).reshape({-1, 1});
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
                                      const std::vector<double>& s, const std::vector<double>& ds) {
  const torch::Tensor times = scalar_features({&t, &s, &ds}, frequencies_, xbar.options());
  return body_->forward(torch::cat({xbar, x_t, times}, 1));
}

DiamondNet make_diamond_net(const DiamondNetConfig& config, SchedulePtr schedule) {
  config.validate();
  if (config.arch == "unet") {
    DiamondUnet unet(config, std::move(schedule));
    return {unet.ptr(),
            [unet](const torch::Tensor& xbar, const torch::Tensor& x_t, const std::vector<double>& t,
                   const std::vector<double>& s, const std::vector<double>& ds) mutable {
              return unet->forward(xbar, x_t, t, s, ds);
            }};
  }
  DiamondMlp mlp(config);
  return {mlp.ptr(), [mlp](const torch::Tensor& xbar, const torch::Tensor& x_t, const std::vector<double>& t,
                           const std::vector<double>& s, const std::vector<double>& ds) mutable {
            return mlp->forward(xbar, x_t, t, s, ds);
          }};
}

}  // namespace glass
