#pragma once
// All randomness goes through an explicit, seeded generator. Noise is drawn on the CPU and then
// moved to the tensor's device, so a seed gives the same numbers on every device. Every kernel draws
// its noise through randn (or randn_like_on), so a ParticleKeyedGenerator reaches all of it.
#include <torch/torch.h>

namespace glass {

at::Generator make_generator(uint64_t seed);
torch::Tensor randn_like_on(const torch::Tensor& like, at::Generator& gen);
torch::Tensor randn(at::IntArrayRef shape, at::Generator& gen, const torch::TensorOptions& options);
// One categorical draw per row of a [N, K] probability matrix; returns int64 [N].
torch::Tensor sample_categorical(const torch::Tensor& probs, at::Generator& gen);

}  // namespace glass
