#include "glass/util/random.h"

#include <ATen/CPUGeneratorImpl.h>

#include "glass/util/particle_keyed_generator.h"

namespace glass {

at::Generator make_generator(uint64_t seed) { return at::make_generator<at::CPUGeneratorImpl>(seed); }

torch::Tensor randn(at::IntArrayRef shape, at::Generator& gen, const torch::TensorOptions& options) {
  // A keyed generator (distributed populations) gives each particle its own noise.
  ParticleKeyedGenerator* keyed = particle_keyed(gen);
  torch::Tensor cpu = keyed ? keyed->keyed_randn(shape, c10::typeMetaToScalarType(options.dtype()))
                            : at::randn(shape, gen, torch::TensorOptions().dtype(options.dtype()));
  return options.device().is_cpu() ? cpu : cpu.to(options.device());
}

torch::Tensor randn_like_on(const torch::Tensor& like, at::Generator& gen) {
  return randn(like.sizes(), gen, like.options());
}

torch::Tensor sample_categorical(const torch::Tensor& probs, at::Generator& gen) {
  // Inverse CDF, written here rather than at::multinomial, whose one-draw path changed in
  // PyTorch 2 (argmax of p / Exp(1)): the same seed then gave other draws. This is LibTorch 1.13's
  // rule (one 53-bit uniform per row, in row order; the first category whose normalised
  // cumulative mass reaches it, the last one's set to exactly 1), so seeds keep their samples.
  const torch::Tensor p = probs.to(torch::kCPU, torch::kFloat64);
  torch::Tensor cdf = p.cumsum(1);
  cdf = cdf / cdf.narrow(1, p.size(1) - 1, 1);
  cdf.narrow(1, p.size(1) - 1, 1).fill_(1.0);
  const torch::Tensor u = at::rand({p.size(0), 1}, gen, torch::kFloat64);
  return torch::searchsorted(cdf, u, /*out_int32=*/false, /*right=*/false).squeeze(1);
}

}  // namespace glass
