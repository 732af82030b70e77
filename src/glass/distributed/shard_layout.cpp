#include "glass/distributed/shard_layout.h"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace glass {

ShardLayout::ShardLayout(int64_t total, int64_t block, int world_size)
    : total_(total), block_(block), blocks_(block > 0 ? (total + block - 1) / block : 0), world_(world_size) {
  if (total < 1 || block < 1 || world_size < 1)
    throw std::invalid_argument("shard layout: need at least 1 particle, 1 particle per block and 1 rank");
}

int64_t ShardLayout::begin(int rank) const {
  if (rank < 0 || rank > world_) throw std::out_of_range("shard layout: no rank " + std::to_string(rank));
  return std::min(total_, (blocks_ * rank / world_) * block_);
}

int64_t ShardLayout::end(int rank) const { return begin(rank + 1); }

std::vector<int64_t> ShardLayout::counts() const {
  std::vector<int64_t> c;
  for (int r = 0; r < world_; ++r) c.push_back(count(r));
  return c;
}

int ShardLayout::owner(int64_t particle) const {
  if (particle < 0 || particle >= total_)
    throw std::out_of_range("shard layout: no particle " + std::to_string(particle));
  // The first rank whose run ends after the particle (runs are balanced, so start from the guess).
  int r = static_cast<int>(std::min<int64_t>(world_ - 1, (particle / block_) * world_ / blocks_));
  while (r > 0 && begin(r) > particle) --r;
  while (end(r) <= particle) ++r;
  return r;
}

}  // namespace glass
