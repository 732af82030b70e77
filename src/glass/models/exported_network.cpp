#include "glass/models/exported_network.h"

#include <stdexcept>

#include "glass/util/parse.h"

namespace glass {

ExportedNetwork::ExportedNetwork(const std::string& path, torch::Device device)
    : module_(load_exported_module(path, "model", device)) {}

torch::Tensor ExportedNetwork::forward(const torch::Tensor& x, const torch::Tensor& timestep) {
  const torch::Device device = module_->device();
  // The time goes in x's dtype: an exported graph is traced with one dtype for both.
  std::vector<torch::Tensor> inputs{x.to(device), timestep.to(device, x.scalar_type())};
  for (const torch::Tensor& c : conditioning_) {
    if (c.size(0) != 1 && c.size(0) != x.size(0))
      throw std::invalid_argument("conditioning tensor of batch " + std::to_string(c.size(0)) + " for " +
                                  std::to_string(x.size(0)) + " particles");
    std::vector<int64_t> shape = c.sizes().vec();
    shape[0] = x.size(0);
    inputs.push_back(c.to(device).expand(shape));
  }
  try {
    return module_->run(inputs).to(x.device());
  } catch (const std::exception& e) {
    // The model boundary (NetworkFlowModel) names the network and the input's shape.
    throw std::runtime_error(one_line(e.what()));
  }
}

}  // namespace glass
