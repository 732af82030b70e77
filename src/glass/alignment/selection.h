#pragma once
// What each group of weighted particles returns at the end of best-of-N or SMC.
//   sample  one draw from the group's final weights: a draw from the target (SMC), or
//           importance resampling of the candidates by exp(lambda r) (best-of-N)
//   argmax  the particle with the highest reward among those of positive weight: the most
//           rewarded output, biased away from the target (best-of-N's own choice)
//   all     every particle, with its normalised weight in the group
#include <torch/torch.h>

#include <string>
#include <vector>

#include "glass/util/enum_names.h"

namespace glass {

enum class Selection { Sample, Argmax, All };

const NameTable<Selection>& selection_names();
std::string to_string(Selection selection);

// The rows (indices into the G * N particles) the groups return, in group order; `log_weights`
// float64 [G, N], `rewards` float64 [G * N]. Only `sample` draws from `gen` (one categorical draw
// per group).
std::vector<int64_t> select_rows(Selection selection, const torch::Tensor& log_weights, const torch::Tensor& rewards,
                                 at::Generator& gen);

// Each returned row's weight within its group (float64, one per row): 1 unless `all`.
torch::Tensor selected_weights(Selection selection, const torch::Tensor& log_weights);

}  // namespace glass
