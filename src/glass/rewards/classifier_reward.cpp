#include "glass/rewards/classifier_reward.h"

#include <stdexcept>

namespace glass {

ClassifierReward::ClassifierReward(Classifier classifier, int64_t label, torch::Device device)
    : classifier_(std::move(classifier)), label_(label), device_(device) {
  classifier_->eval();
  classifier_->to(device_, torch::kFloat32);
  const int64_t classes = classifier_->forward(torch::zeros({1, 1, 28, 28}, device_)).size(1);
  if (label < 0 || label >= classes)
    throw std::invalid_argument("classifier reward: class " + std::to_string(label) + " is not in 0.." +
                                std::to_string(classes - 1));
}

std::string ClassifierReward::name() const { return "class(" + std::to_string(label_) + ")"; }

torch::Tensor ClassifierReward::compute(const torch::Tensor& z) {
  if (z.dim() != 4 || z.size(1) != 1 || z.size(2) != 28 || z.size(3) != 28)
    throw std::invalid_argument("classifier reward: needs [N, 1, 28, 28] images, got " + c10::str(z.sizes()));
  // Gradients flow only when the caller asks for them (z requires grad).
  torch::AutoGradMode grad(z.requires_grad() && torch::GradMode::is_enabled());
  // Scored as the image is shown and measured (FID and class shares clamp too): pixels in [-1, 1].
  const torch::Tensor logits = classifier_->forward(z.clamp(-1.0, 1.0).to(device_, torch::kFloat32));
  return torch::log_softmax(logits.to(z.device(), torch::kFloat64), 1).select(1, label_);
}

}  // namespace glass
