#include "glass/rewards/exported_reward.h"

#include <stdexcept>

#include "glass/util/parse.h"

namespace glass {

ExportedReward::ExportedReward(const std::string& path, torch::Device device)
    : module_(load_exported_module(path, "reward", Placement{device, torch::kFloat32})) {}

torch::Tensor ExportedReward::compute(const torch::Tensor& z) {
  try {
    return module_->run({z.to(module_->device())}).to(z.device());
  } catch (const std::exception& e) {
    throw std::runtime_error(module_->format() + " reward '" + module_->path() + "' failed on input " +
                             c10::str(z.sizes()) + ": " + one_line(e.what()));
  }
}

}  // namespace glass
