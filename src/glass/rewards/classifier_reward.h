#pragma once
// The Fashion-MNIST classifier as a reward: log p(class | z), differentiable through the network.
#include "glass/models/classifier.h"
#include "glass/rewards/reward.h"

namespace glass {

class ClassifierReward final : public Reward {
 public:
  // The classifier runs on `device`, in float32.
  ClassifierReward(Classifier classifier, int64_t label, torch::Device device = torch::kCPU);
  std::string name() const override;
  int64_t label() const { return label_; }

 protected:
  torch::Tensor compute(const torch::Tensor& z) override;

 private:
  Classifier classifier_;
  int64_t label_;
  torch::Device device_;
};

}  // namespace glass
