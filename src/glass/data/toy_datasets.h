#pragma once
// 2-D toy distributions for training low-dimensional flow models.
#include <torch/torch.h>

#include <string>

namespace glass {

// "checkerboard", "moons" or "rings": n samples [n, 2], roughly within [-4, 4]^2.
torch::Tensor sample_toy(const std::string& name, int64_t n, at::Generator& gen);

}  // namespace glass
