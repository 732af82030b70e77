#include "glass/models/classifier.h"

namespace glass {

ClassifierImpl::ClassifierImpl(int64_t classes, int64_t width)
    : conv1_(register_module("conv1", torch::nn::Conv2d(torch::nn::Conv2dOptions(1, width, 3).padding(1)))),
      conv2_(register_module("conv2", torch::nn::Conv2d(torch::nn::Conv2dOptions(width, 2 * width, 3).padding(1)))),
      fc1_(register_module("fc1", torch::nn::Linear(2 * width * 7 * 7, 128))),
      fc2_(register_module("fc2", torch::nn::Linear(128, classes))) {}

torch::Tensor ClassifierImpl::features(const torch::Tensor& x) {
  torch::Tensor h = torch::max_pool2d(torch::relu(conv1_(x)), 2);
  h = torch::max_pool2d(torch::relu(conv2_(h)), 2);
  return torch::relu(fc1_(h.flatten(1)));
}

torch::Tensor ClassifierImpl::forward(const torch::Tensor& x) { return fc2_(features(x)); }

}  // namespace glass
