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
  return {torch::zeros({particles}, f64), torch::full({particles}, -std::numeric_limits<double>::infinity(), f64),
          torch::zeros({particles}, f64), torch::zeros({particles}, f64)};
}

PotentialState PotentialState::select(const torch::Tensor& ancestors) const {
  return {previous.index_select(0, ancestors), running_max.index_select(0, ancestors),
          running_sum.index_select(0, ancestors), total_log.index_select(0, ancestors)};
}

torch::Tensor log_potential(PotentialKind kind, double lambda, const torch::Tensor& r, bool final,
                            bool final_correction, PotentialState& state) {
  const torch::Tensor reward = r.to(torch::kCPU, torch::kFloat64);
  state.running_max = torch::maximum(state.running_max, reward);
  state.running_sum = state.running_sum + reward;
  torch::Tensor log_g;
  if (lambda == 0.0) {
    log_g = torch::zeros_like(reward);
  } else if (final && final_correction) {
    log_g = reward * lambda - state.total_log;
  } else {
    switch (kind) {
      case PotentialKind::Difference: log_g = (reward - state.previous) * lambda; break;
      case PotentialKind::Max: log_g = state.running_max * lambda; break;
      case PotentialKind::Sum: log_g = state.running_sum * lambda; break;
    }
  }
  // inf - inf (a lineage that already had weight zero) stays weight zero.
  const double neg_inf = -std::numeric_limits<double>::infinity();
  if (lambda != 0.0)
    log_g =
        torch::where(torch::isnan(log_g).logical_or(torch::isneginf(reward)), torch::full_like(log_g, neg_inf), log_g);
  state.previous = reward;
  state.total_log = state.total_log + log_g;
  return log_g;
}

}  // namespace glass
