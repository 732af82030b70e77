#include "glass/models/placement.h"

#include <torch/cuda.h>

#include <stdexcept>

#include "glass/util/enum_names.h"

namespace glass {

namespace {

const NameTable<torch::ScalarType>& dtype_table() {
  static const NameTable<torch::ScalarType> table{
      {"float32", torch::kFloat32},      {"bfloat16", torch::kBFloat16},    {"float16", torch::kFloat16},
      {"fp32", torch::kFloat32, false},  {"bf16", torch::kBFloat16, false}, {"fp16", torch::kFloat16, false},
      {"float", torch::kFloat32, false}, {"half", torch::kFloat16, false},
  };
  return table;
}

}  // namespace

std::string Placement::describe() const {
  return network_dtype ? device.str() + ", " + dtype_name(*network_dtype) : device.str();
}

torch::Device parse_device(const std::string& text) {
  const bool cuda = text == "cuda" || text.rfind("cuda:", 0) == 0;
  if (text != "cpu" && !cuda) throw std::invalid_argument("unknown device " + quote(text) + " (cpu, cuda, cuda:N)");
  if (!cuda) return torch::kCPU;
  int index = -1;
  if (text.size() > 5) {
    const std::string digits = text.substr(5);
    if (digits.empty() || digits.size() > 3 || digits.find_first_not_of("0123456789") != std::string::npos)
      throw std::invalid_argument("device " + quote(text) + ": the GPU index must be a number (cuda:0)");
    index = std::stoi(digits);
  }
  const int64_t count = torch::cuda::is_available() ? static_cast<int64_t>(torch::cuda::device_count()) : 0;
  if (count == 0)
    throw std::invalid_argument(
        "device " + quote(text) + ": this machine has no CUDA GPU" +
        (torch::cuda::is_available() ? "" : " usable by this build (a CPU-only LibTorch, or no driver)"));
  if (index >= count)
    throw std::invalid_argument("device " + quote(text) + ": this machine has " + std::to_string(count) +
                                " GPU(s), cuda:0..cuda:" + std::to_string(count - 1));
  return index < 0 ? torch::Device(torch::kCUDA) : torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(index));
}

torch::ScalarType parse_network_dtype(const std::string& text) { return parse_named(dtype_table(), text, "dtype"); }

std::string dtype_name(torch::ScalarType type) {
  const std::string name = name_of(dtype_table(), type);
  return name == "?" ? std::string(c10::toString(type)) : name;
}

bool is_reduced_precision(torch::ScalarType type) { return type == torch::kBFloat16 || type == torch::kFloat16; }

torch::Tensor at_least_float32(const torch::Tensor& x) {
  return is_reduced_precision(x.scalar_type()) ? x.to(torch::kFloat32) : x;
}

}  // namespace glass
