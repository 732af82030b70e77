#pragma once
// Where a run computes and in which precision the network runs, chosen once (--device, --dtype,
// Python's device= and dtype=) and applied at the model boundary (NetworkFlowModel::place).
//
// Only the network runs in `network_dtype`: its inputs are cast on the way in and its predictions
// back to the particles' float32 on the way out. Particles, the inner ODE state, rewards, log-weights
// and the Diamond map stay float32 (float64 for rewards and weights, and all schedule algebra),
// because the GLASS coefficients, the inner flow's small steps and the SMC weights lose digits that
// bf16's 8 bits of mantissa do not have (docs/devices.md). Everything lives on `device`; noise is
// still drawn on the CPU (a seed gives the same numbers on every device) and moved once per draw.
#include <torch/torch.h>

#include <optional>
#include <string>

namespace glass {

struct Placement {
  torch::Device device = torch::kCPU;
  // Unset: the network runs in the particles' own dtype (float32 from the samplers; tests' float64
  // stays float64), as its weights were saved.
  std::optional<torch::ScalarType> network_dtype;

  // The network's input dtype for particles of dtype `particles`.
  torch::ScalarType network_dtype_for(torch::ScalarType particles) const { return network_dtype.value_or(particles); }
  std::string describe() const;  // "cpu", "cuda:0, bfloat16"
};

// cpu, cuda, cuda:N. A CUDA device this machine does not have (no GPU, or a CPU-only LibTorch) is
// a one-line error here, before anything is loaded.
torch::Device parse_device(const std::string& text);
// float32, bfloat16, float16 (also fp32, bf16, fp16).
torch::ScalarType parse_network_dtype(const std::string& text);
std::string dtype_name(torch::ScalarType type);

// bfloat16 and float16: too coarse for the state of an integration (see above).
bool is_reduced_precision(torch::ScalarType type);
// x itself when it is float32 or float64, else x in float32.
torch::Tensor at_least_float32(const torch::Tensor& x);

}  // namespace glass
