#pragma once
// A population of particles split across the ranks of a communicator: this rank's share, the
// per-particle scalars every rank sees in full (rewards, weights), and rows moved to where they are
// needed. With SingleProcess it is the whole population in one process, and every operation is
// the plain single-process one (no copies through a network layer).
#include <torch/torch.h>

#include <memory>
#include <vector>

#include "glass/distributed/communicator.h"
#include "glass/distributed/row_routing.h"
#include "glass/distributed/shard_layout.h"

namespace glass {

class ShardedPopulation {
 public:
  // `comm` must outlive the population. block: particles per block (see ShardLayout).
  ShardedPopulation(Communicator& comm, int64_t total, int64_t block);
  // The whole population in this process.
  static ShardedPopulation whole(int64_t total);

  Communicator& comm() const { return *comm_; }
  const ShardLayout& layout() const { return layout_; }
  int rank() const { return comm_->rank(); }
  bool is_root() const { return comm_->rank() == 0; }
  int64_t begin() const { return layout_.begin(rank()); }
  int64_t count() const { return layout_.count(rank()); }
  int64_t total() const { return layout_.total(); }

  // Every rank's rows of a per-particle tensor [count, ...] joined into [total, ...] on every rank.
  torch::Tensor gather_everywhere(const torch::Tensor& local) const;

  // Rows for every rank: rank r's new local row i is global row wanted[begin(r) + i] (resampling's
  // ancestors, known alike to every rank). Returns the route, to apply to each per-particle tensor.
  RowRoute reindex_route(const std::vector<int64_t>& ancestors) const;
  // The global rows `rows` of a per-particle tensor, in that order, on rank 0 (undefined elsewhere).
  torch::Tensor to_root(const torch::Tensor& local, const std::vector<int64_t>& rows) const;

 private:
  std::shared_ptr<Communicator> owned_;  // SingleProcess for whole()
  Communicator* comm_;
  ShardLayout layout_;
};

}  // namespace glass
