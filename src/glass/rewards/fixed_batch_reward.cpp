#include "glass/rewards/fixed_batch_reward.h"

#include <algorithm>
#include <stdexcept>
#include <vector>

#include "glass/util/row_chunks.h"

namespace glass {

FixedBatchReward::FixedBatchReward(RewardPtr inner, int64_t rows) : inner_(std::move(inner)), rows_(rows) {
  if (!inner_) throw std::invalid_argument("fixed-batch reward: no reward");
  if (rows_ < 1) throw std::invalid_argument("fixed-batch reward: need at least 1 row per chunk");
}

torch::Tensor FixedBatchReward::compute(const torch::Tensor& z) {
  const int64_t n = z.size(0);
  if (n == 0) return (*inner_)(z);  // a rank with no share: nothing to chunk
  std::vector<torch::Tensor> parts;
  for (int64_t begin = 0; begin < n; begin += rows_) {
    const int64_t len = std::min(rows_, n - begin);
    parts.push_back((*inner_)(pad_rows(z.narrow(0, begin, len), rows_)).narrow(0, 0, len));
  }
  return torch::cat(parts);
}

}  // namespace glass
