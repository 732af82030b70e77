#include "glass/alignment/selection.h"

#include <limits>

#include "glass/util/random.h"

namespace glass {

const NameTable<Selection>& selection_names() {
  static const NameTable<Selection> table{
      {"sample", Selection::Sample},
      {"argmax", Selection::Argmax},
      {"all", Selection::All},
  };
  return table;
}

std::string to_string(Selection selection) { return name_of(selection_names(), selection); }

std::vector<int64_t> select_rows(Selection selection, const torch::Tensor& log_weights, const torch::Tensor& rewards,
                                 at::Generator& gen) {
  const int64_t groups = log_weights.size(0), n = log_weights.size(1);
  const torch::Tensor offset = torch::arange(groups, torch::kInt64) * n;
  torch::Tensor rows;
  switch (selection) {
    case Selection::Sample: rows = sample_categorical(torch::softmax(log_weights, 1), gen) + offset; break;
    case Selection::Argmax: {
      // A particle of weight zero (a broken hard constraint) is never the best.
      const torch::Tensor r = rewards.view({groups, n});
      const torch::Tensor alive =
          torch::where(torch::isneginf(log_weights), torch::full_like(r, -std::numeric_limits<double>::infinity()), r);
      rows = alive.argmax(1) + offset;
      break;
    }
    case Selection::All: rows = torch::arange(groups * n, torch::kInt64); break;
  }
  rows = rows.contiguous();
  return std::vector<int64_t>(rows.data_ptr<int64_t>(), rows.data_ptr<int64_t>() + rows.numel());
}

torch::Tensor selected_weights(Selection selection, const torch::Tensor& log_weights) {
  if (selection == Selection::All) return torch::softmax(log_weights, 1).reshape({-1});
  return torch::ones({log_weights.size(0)}, torch::kFloat64);
}

}  // namespace glass
