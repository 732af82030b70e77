#include "glass/rewards/torchscript_reward.h"

#include <filesystem>
#include <stdexcept>

namespace glass {

TorchScriptReward::TorchScriptReward(const std::string& path) : path_(path) {
  if (!std::filesystem::exists(path)) throw std::invalid_argument("reward file '" + path + "' does not exist");
  try {
    module_ = torch::jit::load(path);
  } catch (const c10::Error& e) {
    throw std::invalid_argument("'" + path + "' is not a loadable TorchScript module: " + e.what_without_backtrace());
  }
  module_.eval();
}

torch::Tensor TorchScriptReward::compute(const torch::Tensor& z) {
  torch::AutoGradMode grad(z.requires_grad() && torch::GradMode::is_enabled());
  torch::jit::IValue out;
  try {
    out = module_.forward({z});
  } catch (const std::exception& e) {
    throw std::runtime_error("TorchScript reward '" + path_ + "' failed on input " + c10::str(z.sizes()) + ": " +
                             std::string(e.what()).substr(0, 300));
  }
  if (!out.isTensor()) throw std::runtime_error("TorchScript reward '" + path_ + "' did not return a tensor");
  return out.toTensor().to(z.device(), z.scalar_type());
}

}  // namespace glass
