#include "glass/training/ema.h"

#include <algorithm>
#include <stdexcept>

#include "glass/io/zip_check.h"
#include "glass/models/native_net.h"
#include "glass/util/parse.h"

namespace glass {

Ema::Ema(torch::nn::Module& module, double decay) : decay_(decay) {
  torch::NoGradGuard no_grad;
  for (const auto& p : module.parameters()) shadow_.push_back(p.detach().clone());
}

void Ema::update(torch::nn::Module& module, int64_t step) {
  torch::NoGradGuard no_grad;
  const double d = std::min(decay_, (1.0 + step) / (10.0 + step));
  const auto params = module.parameters();
  for (size_t i = 0; i < params.size(); ++i) shadow_[i].mul_(d).add_(params[i].detach(), 1.0 - d);
}

void Ema::save(const std::string& path) const {
  torch::serialize::OutputArchive archive;
  for (size_t i = 0; i < shadow_.size(); ++i) archive.write("p" + std::to_string(i), shadow_[i]);
  archive.save_to(path);
}

void Ema::load(const std::string& path) {
  torch::serialize::InputArchive archive;
  try {
    check_zip_archive(path);
    archive.load_from(path);
    for (size_t i = 0; i < shadow_.size(); ++i) {
      torch::Tensor t;
      archive.read("p" + std::to_string(i), t);
      if (t.sizes() != shadow_[i].sizes() || t.scalar_type() != shadow_[i].scalar_type())
        throw std::invalid_argument("its tensors do not match the model's");
      torch::NoGradGuard no_grad;
      shadow_[i].copy_(t);
    }
  } catch (const std::exception& e) {
    throw std::invalid_argument("cannot load EMA file '" + path + "': " + one_line(e.what()));
  }
}

void Ema::save_as_weights(torch::nn::Module& module, const std::string& path) const {
  torch::NoGradGuard no_grad;
  auto params = module.parameters();
  std::vector<torch::Tensor> own;
  for (size_t i = 0; i < params.size(); ++i) {
    own.push_back(params[i].detach().clone());
    params[i].copy_(shadow_[i]);
  }
  save_weights(module, path);
  for (size_t i = 0; i < params.size(); ++i) params[i].copy_(own[i]);
}

}  // namespace glass
