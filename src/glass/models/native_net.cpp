#include "glass/models/native_net.h"

#include <nlohmann/json.hpp>

#include <stdexcept>

#include "glass/io/atomic_file.h"
#include "glass/io/zip_check.h"
#include "glass/models/classifier_free_guidance.h"
#include "glass/models/mlp_network.h"
#include "glass/models/unet.h"
#include "glass/util/parse.h"

namespace glass {

nlohmann::json NativeNetConfig::to_json() const {
  nlohmann::json j = {{"arch", arch},
                      {"sample_shape", sample_shape},
                      {"width", width},
                      {"depth", depth},
                      {"prediction", to_string(prediction)},
                      {"time", to_string(time)},
                      {"time_scale", time_scale},
                      {"schedule", schedule},
                      {"data", data}};
  if (classes > 0) j["classes"] = classes;
  return j;
}

NativeNetConfig NativeNetConfig::from_json(const nlohmann::json& j, const std::string& source) {
  try {
    NativeNetConfig c;
    c.arch = j.at("arch").get<std::string>();
    c.sample_shape = j.at("sample_shape").get<std::vector<int64_t>>();
    c.width = j.value("width", c.width);
    c.depth = j.value("depth", c.depth);
    c.prediction = parse_prediction(j.value("prediction", std::string("velocity")));
    c.time = parse_time_convention(j.value("time", std::string("t")));
    c.time_scale = j.value("time_scale", 1.0);
    c.schedule = j.value("schedule", std::string("condot"));
    c.data = j.value("data", std::string());
    c.classes = j.value("classes", int64_t{0});
    if (c.classes < 0) throw std::invalid_argument("native network: classes must be >= 0");
    if (c.classes > 0 && c.arch != "unet") throw std::invalid_argument("native network: only the U-Net takes classes");
    if (c.arch != "unet" && c.arch != "mlp") throw std::invalid_argument("unknown arch " + quote(c.arch));
    if (c.sample_shape.empty()) throw std::invalid_argument("native network: empty sample_shape");
    for (int64_t d : c.sample_shape)
      if (d < 1) throw std::invalid_argument("native network: sample_shape entries must be positive");
    if (c.width < 1 || c.depth < 1) throw std::invalid_argument("native network: width and depth must be positive");
    return c;
  } catch (const nlohmann::json::exception& e) {
    throw std::invalid_argument(source + ": " + one_line(e.what()));
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(source + ": " + one_line(e.what()));
  }
}

NativeNet make_native_net(const NativeNetConfig& c) {
  if (c.arch == "unet") {
    if (c.sample_shape.size() != 3 || c.sample_shape[1] % 4 || c.sample_shape[2] % 4)
      throw std::invalid_argument("unet: sample_shape must be [C, H, W] with H and W divisible by 4");
    Unet net(UnetOptions{c.sample_shape[0], c.width, 4 * c.width, 0, c.classes});
    if (c.classes == 0)
      return {
          net.ptr(), [net](const torch::Tensor& x, const torch::Tensor& t) mutable { return net->forward(x, t); }, {}};
    const int64_t null_label = c.classes;
    return {net.ptr(),
            [net, null_label](const torch::Tensor& x, const torch::Tensor& t) mutable {
              return net->forward_labelled(x, t, torch::full({x.size(0)}, null_label, torch::kInt64));
            },
            [net](const torch::Tensor& x, const torch::Tensor& t, const torch::Tensor& labels) mutable {
              return net->forward_labelled(x, t, labels);
            }};
  }
  if (c.sample_shape.size() != 1) throw std::invalid_argument("mlp: sample_shape must be [d]");
  Mlp net(MlpOptions{c.sample_shape[0], c.width, c.depth, 16});
  return {net.ptr(), [net](const torch::Tensor& x, const torch::Tensor& t) mutable { return net->forward(x, t); }, {}};
}

void save_weights(torch::nn::Module& module, const std::string& path) {
  torch::serialize::OutputArchive archive;
  module.save(archive);
  const std::string tmp = temporary_name(path);
  archive.save_to(tmp);
  commit_temporary(path);
}

void load_weights(torch::nn::Module& module, const std::string& path) {
  // Module::load replaces tensors whatever their shape; compare against the architecture's.
  std::vector<std::pair<std::string, std::vector<int64_t>>> expected;
  for (const auto& p : module.named_parameters()) expected.emplace_back(p.key(), p.value().sizes().vec());
  torch::serialize::InputArchive archive;
  try {
    check_zip_archive(path);
    archive.load_from(path);
    module.load(archive);
  } catch (const std::exception& e) {
    throw std::invalid_argument("cannot load weights '" + path + "': " + one_line(e.what()));
  }
  const auto params = module.named_parameters();
  for (const auto& [name, sizes] : expected) {
    const torch::Tensor* p = params.find(name);
    if (!p || p->sizes().vec() != sizes)
      throw std::invalid_argument("weights '" + path + "' do not fit the model: parameter " + name + " has shape " +
                                  (p ? c10::str(p->sizes()) : std::string("(missing)")) + ", expected " +
                                  c10::str(c10::IntArrayRef(sizes)));
  }
}

void copy_weights_from(torch::nn::Module& module, const torch::nn::Module& source, const std::string& what) {
  auto params = module.named_parameters();
  torch::NoGradGuard no_grad;
  for (const auto& p : source.named_parameters()) {
    torch::Tensor* target = params.find(p.key());
    if (!target || target->sizes() != p.value().sizes())
      throw std::invalid_argument(what + " cannot initialise this network: its parameter " + p.key() +
                                  (target ? " has another shape" : " is not in it"));
    target->copy_(p.value());
  }
}

NativeNetwork::NativeNetwork(NativeNet net, std::string description)
    : net_(std::move(net)), description_(std::move(description)) {
  net_.module->eval();
}

torch::Tensor NativeNetwork::forward_conditioned(const torch::Tensor& x, const torch::Tensor& timestep,
                                                 const std::vector<torch::Tensor>& conditioning) {
  if (!conditioning.empty() && !net_.forward_labelled)
    throw std::invalid_argument("this network is not conditional: it takes no conditioning");
  if (conditioning.size() > 1)
    throw std::invalid_argument("a class-conditional U-Net takes one conditioning tensor (the labels), not " +
                                std::to_string(conditioning.size()));
  // Build a graph only when the caller differentiates through the network (guidance).
  torch::AutoGradMode grad(x.requires_grad() && torch::GradMode::is_enabled());
  if (conditioning.empty()) return net_.forward(x, timestep);
  if (conditioning[0].is_floating_point()) throw std::invalid_argument("class labels must be integers");
  return net_.forward_labelled(x, timestep, conditioning_for_batch(conditioning[0].reshape({-1}), x.size(0)));
}

}  // namespace glass
