#pragma once
// A generator whose Gaussian noise is keyed by global particle index, so that a population split
// across processes draws exactly the noise it would draw in one process.
//
// It is a CPU generator like any other: everything that is not per-particle noise (resampling
// uniforms, the final pick) comes from its one mt19937 stream, identical on every rank that holds
// the same seed. glass::randn (random.h), through which every kernel's noise goes, sees that it is
// keyed and fills row i of its draw from a generator seeded by (seed, draw number, global index of
// row i): the noise a particle gets depends on neither the batch it travels in nor the rank.
#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

namespace glass {

class ParticleKeyedGenerator : public at::CPUGeneratorImpl {
 public:
  // The caller holds the global particles [first, first + count) (count 0: a rank with no share).
  ParticleKeyedGenerator(uint64_t seed, int64_t first, int64_t count);

  int64_t first() const { return first_; }
  int64_t count() const { return count_; }
  int64_t draws() const { return draws_; }

  // Noise [rows, ...] for the held particles; `shape` = {rows, ...}. rows = m * count means m
  // consecutive rows per particle (repeat_interleave's layout: a value estimate's m posterior
  // samples), keyed (particle, copy). Any other row count is an error.
  torch::Tensor keyed_randn(at::IntArrayRef shape, at::ScalarType dtype);

 private:
  uint64_t key_seed_;
  int64_t first_, count_;
  int64_t draws_ = 0;  // keyed draws so far: the same sequence on every rank
};

// A generator over the held particles [first, first + count) of a keyed population.
at::Generator make_particle_keyed_generator(uint64_t seed, int64_t first, int64_t count);

// The keyed generator behind `gen`, or nullptr for a plain one.
ParticleKeyedGenerator* particle_keyed(at::Generator& gen);

}  // namespace glass
