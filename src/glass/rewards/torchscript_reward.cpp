#include "glass/rewards/torchscript_reward.h"

#include <filesystem>
#include <stdexcept>

#include "glass/io/zip_check.h"
#include "glass/util/parse.h"

namespace glass {

TorchScriptReward::TorchScriptReward(const std::string& path) : path_(path) {
  if (!std::filesystem::exists(path)) throw std::invalid_argument("reward file '" + path + "' does not exist");
  try {
    check_zip_archive(path);
    module_ = torch::jit::load(path);
  } catch (const std::exception& e) {
    throw std::invalid_argument("'" + path + "' is not a loadable TorchScript module: " + one_line(e.what()));
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
                             one_line(e.what()));
  }
  if (!out.isTensor()) throw std::runtime_error("TorchScript reward '" + path_ + "' did not return a tensor");
  return out.toTensor().to(z.device());
}

}  // namespace glass
