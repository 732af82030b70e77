#pragma once
// Moving particles between ranks: every rank asks for some global rows (the same requests are
// known to every rank, e.g. from a shared resampling), and each row travels once per rank that
// asks for it, however many copies that rank makes. Rows a rank already holds do not move.
#include <torch/torch.h>

#include <vector>

#include "glass/distributed/communicator.h"
#include "glass/distributed/shard_layout.h"

namespace glass {

// What each rank sends and receives for `wanted` (wanted[r]: the global rows rank r asks for).
class RowRoute {
 public:
  RowRoute(const ShardLayout& layout, int rank, const std::vector<std::vector<int64_t>>& wanted);

  // This rank's requested rows, in the order it asked, from `local` (its own rows [count, ...], on
  // any device; results come back on that device). One all-to-all when any rank needs another's.
  torch::Tensor fetch(Communicator& comm, const torch::Tensor& local) const;

  // Rows that cross between ranks in this route, summed over every rank (what all of them send).
  int64_t rows_moved() const { return rows_moved_; }

 private:
  int rank_;
  int64_t begin_;
  std::vector<std::vector<int64_t>> send_rows_;  // per destination: local row indices, ascending
  std::vector<int64_t> send_counts_, recv_counts_;
  std::vector<int64_t> gather_;  // per requested row: its index in cat(local, received)
  int64_t rows_moved_ = 0;
};

}  // namespace glass
