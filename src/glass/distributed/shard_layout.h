#pragma once
// Which rank holds which particles of a population of `total`: contiguous, balanced runs of whole
// `block`-particle blocks (the last block may be short), so that every rank's network chunks of
// `block` rows start at a multiple of `block` in global order, whatever the number of ranks. With
// fewer blocks than ranks, some ranks hold none: they join every collective with empty shares.
#include <cstdint>
#include <vector>

namespace glass {

class ShardLayout {
 public:
  ShardLayout(int64_t total, int64_t block, int world_size);

  int64_t total() const { return total_; }
  int64_t block() const { return block_; }
  int world_size() const { return world_; }
  int64_t begin(int rank) const;
  int64_t end(int rank) const;
  int64_t count(int rank) const { return end(rank) - begin(rank); }
  std::vector<int64_t> counts() const;
  int owner(int64_t particle) const;

 private:
  int64_t total_, block_, blocks_;
  int world_;
};

}  // namespace glass
