#include "glass/models/torchscript_network.h"

#include <filesystem>
#include <stdexcept>

#include "glass/io/zip_check.h"
#include "glass/util/parse.h"

namespace glass {

TorchScriptNetwork::TorchScriptNetwork(const std::string& path, torch::Device device) : path_(path), device_(device) {
  if (!std::filesystem::exists(path)) throw std::invalid_argument("model file '" + path + "' does not exist");
  try {
    check_zip_archive(path);
    module_ = torch::jit::load(path, device);
  } catch (const std::exception& e) {
    throw std::invalid_argument("'" + path + "' is not a loadable TorchScript module: " + one_line(e.what()));
  }
  module_.eval();
}

torch::Tensor TorchScriptNetwork::forward(const torch::Tensor& x, const torch::Tensor& timestep) {
  // Build a graph only when the caller differentiates through the network (guidance).
  torch::AutoGradMode grad(x.requires_grad() && torch::GradMode::is_enabled());
  std::vector<torch::jit::IValue> inputs{x.to(device_), timestep.to(device_)};
  for (const torch::Tensor& c : conditioning_) {
    if (c.size(0) != 1 && c.size(0) != x.size(0))
      throw std::invalid_argument("conditioning tensor of batch " + std::to_string(c.size(0)) + " for " +
                                  std::to_string(x.size(0)) + " particles");
    std::vector<int64_t> shape = c.sizes().vec();
    shape[0] = x.size(0);
    inputs.emplace_back(c.to(device_).expand(shape));
  }
  torch::jit::IValue out;
  try {
    out = module_.forward(inputs);
  } catch (const std::exception& e) {
    throw std::runtime_error("TorchScript model '" + path_ + "' failed on input " + c10::str(x.sizes()) + ": " +
                             one_line(e.what()));
  }
  if (!out.isTensor()) throw std::runtime_error("TorchScript model '" + path_ + "' did not return a tensor");
  return out.toTensor().to(x.device());
}

}  // namespace glass
