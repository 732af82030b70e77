#pragma once
// Per-particle float64 scalars (times, schedule coefficients) and their broadcast against a batch.
#include <torch/torch.h>

#include <vector>

namespace glass {

// Reads a float64-convertible tensor of shape [N] (or a scalar, repeated N times) into a vector.
std::vector<double> particle_values(const torch::Tensor& t, int64_t n, const char* what);

// A [N, 1, ..., 1] tensor with x's dtype and device, for per-particle coefficients.
torch::Tensor broadcastable(const std::vector<double>& values, const torch::Tensor& x);

// a * x + b * y with per-particle factors a, b: plain scalar arithmetic when every particle shares
// them (a chain moves all particles together), a broadcast multiply otherwise.
torch::Tensor scaled_sum(const std::vector<double>& a, const torch::Tensor& x, const std::vector<double>& b,
                         const torch::Tensor& y);

// A float64 CPU tensor [N] holding the values.
torch::Tensor times_tensor(const std::vector<double>& values);

// N copies of one time.
torch::Tensor full_times(int64_t n, double t);

}  // namespace glass
