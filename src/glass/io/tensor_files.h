#pragma once
// Writing sample matrices [N, d] (any float tensor, flattened per row) as CSV or NumPy .npy.
#include <torch/torch.h>

#include <string>
#include <vector>

namespace glass {

void write_csv(const std::string& path, const torch::Tensor& rows, const std::vector<std::string>& header = {});
void write_npy(const std::string& path, const torch::Tensor& array);  // float32 or float64, C order
torch::Tensor read_npy(const std::string& path);                      // the same subset, for round trips

}  // namespace glass
