#pragma once
// A small CNN classifier for 28 x 28 grey images (Fashion-MNIST): two conv/pool stages and a
// 128-wide feature layer, whose activations are the features of the Frechet distance.
#include <torch/torch.h>

namespace glass {

class ClassifierImpl : public torch::nn::Module {
 public:
  explicit ClassifierImpl(int64_t classes = 10, int64_t width = 32);
  torch::Tensor features(const torch::Tensor& x);  // [N, 128]
  torch::Tensor forward(const torch::Tensor& x);   // logits [N, classes]

 private:
  torch::nn::Conv2d conv1_{nullptr}, conv2_{nullptr};
  torch::nn::Linear fc1_{nullptr}, fc2_{nullptr};
};
TORCH_MODULE(Classifier);

}  // namespace glass
