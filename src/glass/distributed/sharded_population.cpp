#include "glass/distributed/sharded_population.h"

namespace glass {

ShardedPopulation::ShardedPopulation(Communicator& comm, int64_t total, int64_t block)
    : comm_(&comm), layout_(total, block, comm.world_size()) {}

ShardedPopulation ShardedPopulation::whole(int64_t total) {
  auto single = std::make_shared<SingleProcess>();
  ShardedPopulation p(*single, total, total);
  p.owned_ = std::move(single);
  return p;
}

torch::Tensor ShardedPopulation::gather_everywhere(const torch::Tensor& local) const {
  if (layout_.world_size() == 1) return local;
  return comm_->all_gather_rows(local.to(comm_->device()).contiguous(), layout_.counts()).to(local.device());
}

RowRoute ShardedPopulation::reindex_route(const std::vector<int64_t>& ancestors) const {
  std::vector<std::vector<int64_t>> wanted;
  for (int r = 0; r < layout_.world_size(); ++r)
    wanted.emplace_back(ancestors.begin() + layout_.begin(r), ancestors.begin() + layout_.end(r));
  return RowRoute(layout_, rank(), wanted);
}

torch::Tensor ShardedPopulation::to_root(const torch::Tensor& local, const std::vector<int64_t>& rows) const {
  std::vector<std::vector<int64_t>> wanted(static_cast<size_t>(layout_.world_size()));
  wanted[0] = rows;
  const torch::Tensor out = RowRoute(layout_, rank(), wanted).fetch(*comm_, local);
  return is_root() ? out : torch::Tensor();
}

}  // namespace glass
