#include "glass/util/particle_keyed_generator.h"

#include <stdexcept>
#include <string>

namespace glass {

namespace {

// splitmix64's finaliser: a bijective mix, so distinct keys give unrelated seeds.
uint64_t mix(uint64_t z) {
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

uint64_t row_seed(uint64_t seed, int64_t draw, int64_t particle, int64_t copy) {
  return mix(mix(mix(mix(seed) ^ static_cast<uint64_t>(draw)) ^ static_cast<uint64_t>(particle)) ^
             static_cast<uint64_t>(copy));
}

}  // namespace

ParticleKeyedGenerator::ParticleKeyedGenerator(uint64_t seed, int64_t first, int64_t count)
    : at::CPUGeneratorImpl(seed), key_seed_(seed), first_(first), count_(count) {
  if (first < 0 || count < 0) throw std::invalid_argument("keyed generator: need first >= 0 and count >= 0 particles");
}

torch::Tensor ParticleKeyedGenerator::keyed_randn(at::IntArrayRef shape, at::ScalarType dtype) {
  if (shape.empty()) throw std::invalid_argument("keyed generator: noise needs a row dimension");
  const int64_t rows = shape[0];
  if (count_ == 0 ? rows != 0 : rows % count_ != 0)
    throw std::invalid_argument("keyed generator: " + std::to_string(rows) + " rows of noise cannot be keyed to " +
                                std::to_string(count_) + " particles");
  const int64_t copies = count_ == 0 ? 1 : rows / count_, draw = draws_++;
  torch::Tensor out = torch::empty(shape, torch::TensorOptions().dtype(dtype));
  const std::vector<int64_t> row_shape(shape.begin() + 1, shape.end());
  for (int64_t r = 0; r < rows; ++r) {
    at::Generator row_gen =
        at::make_generator<at::CPUGeneratorImpl>(row_seed(key_seed_, draw, first_ + r / copies, r % copies));
    out[r].copy_(at::randn(row_shape, row_gen, torch::TensorOptions().dtype(dtype)));
  }
  return out;
}

at::Generator make_particle_keyed_generator(uint64_t seed, int64_t first, int64_t count) {
  return at::make_generator<ParticleKeyedGenerator>(seed, first, count);
}

ParticleKeyedGenerator* particle_keyed(at::Generator& gen) {
  return dynamic_cast<ParticleKeyedGenerator*>(gen.unsafeGetGeneratorImpl());
}

}  // namespace glass
