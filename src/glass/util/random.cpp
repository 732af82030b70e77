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
  return at::multinomial(probs.to(torch::kCPU, torch::kFloat64), 1, /*replacement=*/true, gen).squeeze(1);
}

}  // namespace glass
