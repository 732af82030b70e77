#include "glass/models/exported_network.h"

#include <stdexcept>

#include "glass/models/classifier_free_guidance.h"
#include "glass/util/parse.h"

namespace glass {

ExportedNetwork::ExportedNetwork(const std::string& path, const Placement& placement)
    : module_(load_exported_module(path, "model", placement)) {}

void ExportedNetwork::place(const Placement& placement) {
  try {
    module_->place(placement);
  } catch (const std::exception& e) {
    throw std::invalid_argument("'" + module_->path() + "' cannot run on " + placement.describe() + ": " +
                                one_line(e.what()));
  }
}

torch::Tensor ExportedNetwork::forward_conditioned(const torch::Tensor& x, const torch::Tensor& timestep,
                                                   const std::vector<torch::Tensor>& conditioning) {
  const torch::Device device = module_->device();
  // The time goes in x's dtype: an exported graph is traced with one dtype for both.
  std::vector<torch::Tensor> inputs{x.to(device), timestep.to(device, x.scalar_type())};
  for (const torch::Tensor& c : conditioning) {
    // Embeddings go in the network's dtype with x; labels stay integers.
    const torch::Tensor batch = conditioning_for_batch(c, x.size(0));
    inputs.push_back(c.is_floating_point() ? batch.to(device, x.scalar_type()) : batch.to(device));
  }
  try {
    return module_->run(inputs).to(x.device());
  } catch (const std::exception& e) {
    // The model boundary (NetworkFlowModel) names the network and the input's shape.
    throw std::runtime_error(one_line(e.what()));
  }
}

}  // namespace glass
