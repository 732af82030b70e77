#pragma once
// Exponential moving average of a module's parameters (buffers are copied as they are).
#include <torch/torch.h>

#include <string>
#include <vector>

namespace glass {

class Ema {
 public:
  Ema(torch::nn::Module& module, double decay);
  // Decay warms up as min(decay, (1 + step) / (10 + step)) so early averages are not all init.
  void update(torch::nn::Module& module, int64_t step);
  void save(const std::string& path) const;
  void load(const std::string& path);
  // Writes the module's weights with the averaged parameters in place of its own.
  void save_as_weights(torch::nn::Module& module, const std::string& path) const;

 private:
  double decay_;
  std::vector<torch::Tensor> shadow_;
};

}  // namespace glass
