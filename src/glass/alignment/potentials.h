#pragma once
// Feynman-Kac potentials G_k built from per-step rewards r_k (the reward of the denoised estimate
// or a value estimate at t_k, and the true reward at t_K = 1), in log space:
//   difference: lambda (r_k - r_{k-1})      (r_0 = 0: the product telescopes to exp(lambda r(z)))
//   max:        lambda max_{j<=k} r_j       (FK steering)
//   sum:        lambda sum_{j<=k} r_j       (FK steering)
// With the final correction the last potential is lambda r(z) minus everything the lineage has
// collected, so every kind targets exactly p(z) exp(lambda r(z)) / Z; for `difference` it changes
// nothing.
#include <torch/torch.h>

#include <string>

#include "glass/util/enum_names.h"

namespace glass {

enum class PotentialKind { Difference, Max, Sum };

// Its names, for parsing, printing and the command line's choices.
const NameTable<PotentialKind>& potential_names();
PotentialKind parse_potential(const std::string& name);
std::string to_string(PotentialKind kind);

// What each particle's lineage has seen so far (float64 [P] each); reindexed on resampling.
struct PotentialState {
  torch::Tensor previous, previous_lambda, running_max, running_sum, total_log;

  static PotentialState start(int64_t particles);
  PotentialState select(const torch::Tensor& ancestors) const;
};

// log G_k for rewards r (float64 [P]) at step k, updating the state. `final` marks t_K = 1.
// -inf rewards give -inf potentials; lambda = 0 gives zero potentials whatever the reward.
torch::Tensor log_potential(PotentialKind kind, double lambda, const torch::Tensor& r, bool final,
                            bool final_correction, PotentialState& state);
// The same with each particle's own lambda_k (float64 [P]), as tempering chooses it: the
// difference potential is then lambda_k r_k - lambda_{k-1} r_{k-1}, still telescoping to
// lambda_K r(z).
torch::Tensor log_potential(PotentialKind kind, const torch::Tensor& lambdas, const torch::Tensor& r, bool final,
                            bool final_correction, PotentialState& state);

}  // namespace glass
