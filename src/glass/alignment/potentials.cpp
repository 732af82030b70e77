#include "glass/alignment/potentials.h"

#include <limits>
#include <stdexcept>

#include "glass/util/enum_names.h"
#include "glass/util/parse.h"

namespace glass {

const NameTable<PotentialKind>& potential_names() {
  static const NameTable<PotentialKind> table{
      {"difference", PotentialKind::Difference},
      {"max", PotentialKind::Max},
      {"sum", PotentialKind::Sum},
  };
  return table;
}

PotentialKind parse_potential(const std::string& name) { return parse_named(potential_names(), name, "potential"); }

std::string to_string(PotentialKind kind) { return name_of(potential_names(), kind); }

PotentialState PotentialState::start(int64_t particles) {
  const auto f64 = torch::kFloat64;
  return {torch::zeros({particles}, f64), torch::zeros({particles}, f64),
          torch::full({particles}, -std::numeric_limits<double>::infinity(), f64), torch::zeros({particles}, f64),
          torch::zeros({particles}, f64)};
}

PotentialState PotentialState::select(const torch::Tensor& ancestors) const {
  return {previous.index_select(0, ancestors), previous_lambda.index_select(0, ancestors),
          running_max.index_select(0, ancestors), running_sum.index_select(0, ancestors),
          total_log.index_select(0, ancestors)};
}

torch::Tensor log_potential(PotentialKind kind, double lambda, const torch::Tensor& r, bool final,
                            bool final_correction, PotentialState& state) {
  return log_potential(kind, torch::full({r.size(0)}, lambda, torch::kFloat64), r, final, final_correction, state);
}

torch::Tensor log_potential(PotentialKind kind, const torch::Tensor& lambdas, const torch::Tensor& r, bool final,
                            bool final_correction, PotentialState& state) {
  const torch::Tensor reward = r.to(torch::kCPU, torch::kFloat64);
  const torch::Tensor lambda = lambdas.to(torch::kCPU, torch::kFloat64);
  state.running_max = torch::maximum(state.running_max, reward);
  state.running_sum = state.running_sum + reward;
  torch::Tensor log_g;
  if (final && final_correction) {
    log_g = reward * lambda - state.total_log;
  } else {
    switch (kind) {
      // lambda_k r_k - lambda_{k-1} r_{k-1}, written so that a constant lambda gives exactly
      // lambda (r_k - r_{k-1}).
      case PotentialKind::Difference:
        log_g = (reward - state.previous) * lambda + state.previous * (lambda - state.previous_lambda);
        break;
      case PotentialKind::Max: log_g = state.running_max * lambda; break;
      case PotentialKind::Sum: log_g = state.running_sum * lambda; break;
    }
  }
  // inf - inf (a lineage that already had weight zero) stays weight zero; lambda = 0 ignores the
  // reward entirely.
  const double neg_inf = -std::numeric_limits<double>::infinity();
  log_g =
      torch::where(torch::isnan(log_g).logical_or(torch::isneginf(reward)), torch::full_like(log_g, neg_inf), log_g);
  log_g = torch::where(lambda == 0.0, torch::zeros_like(log_g), log_g);
  state.previous = reward;
  state.previous_lambda = lambda;
  state.total_log = state.total_log + log_g;
  return log_g;
}

}  // namespace glass
