#include "glass/alignment/sharding.h"

#include <stdexcept>

#include "glass/diamond/diamond_map.h"
#include "glass/models/network_flow_model.h"
#include "glass/rewards/fixed_batch_reward.h"

namespace glass {

void Sharding::validate() const {
  if (!comm) throw std::invalid_argument("sharding: no communicator");
  if (block < 1) throw std::invalid_argument("sharding: need at least 1 particle per block");
}

ShardedPopulation Sharding::population(int64_t total) const {
  validate();
  return ShardedPopulation(*comm, total, block);
}

AlignmentCost sum_over_ranks(Communicator& comm, const AlignmentCost& local) {
  if (comm.world_size() == 1) return local;
  const torch::Tensor mine = torch::tensor({local.network_calls, local.network_rows, local.gradient_calls,
                                            local.reward_calls, local.reward_rows},
                                           torch::kInt64)
                                 .unsqueeze(0);
  const std::vector<int64_t> ones(static_cast<size_t>(comm.world_size()), 1);
  const torch::Tensor all = comm.all_gather_rows(mine.to(comm.device()), ones).cpu();
  const torch::Tensor sum = all.sum(0), most = std::get<0>(all.max(0));
  const auto s = sum.accessor<int64_t, 1>();
  const auto m = most.accessor<int64_t, 1>();
  return {m[0], s[1], m[2], m[3], s[4], local.outputs};
}

RewardPtr make_batch_invariant(int64_t block, NetworkFlowModel* model, RewardPtr reward, DiamondMap* map) {
  if (block < 1) throw std::invalid_argument("batch invariance: need blocks of at least 1 row");
  if (model) model->set_fixed_chunks(block);
  if (map) map->set_fixed_chunks(block);
  return std::make_shared<FixedBatchReward>(std::move(reward), block);
}

}  // namespace glass
