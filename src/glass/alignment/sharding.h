#pragma once
// How an alignment run is split across processes: the communicator of the ranks, the block size
// (particles per network chunk and per unit of the split) and the seed that keys every particle's
// noise by its global index. Every rank runs the same call with the same Sharding values.
//
// Bit-identical results for any number of ranks need the model, the reward and a Diamond map to
// give each row the same result whatever rows share its batch: make_batch_invariant(block, ...)
// sets all three. (Shards start at multiples of `block`, so those chunks are the same blocks on
// every layout.)
#include <cstdint>

#include "glass/alignment/alignment_cost.h"
#include "glass/distributed/communicator.h"
#include "glass/distributed/sharded_population.h"
#include "glass/rewards/reward.h"

namespace glass {

class DiamondMap;
class NetworkFlowModel;

struct Sharding {
  Communicator* comm = nullptr;  // must outlive the run
  int64_t block = 8;
  uint64_t seed = 0;

  void validate() const;
  ShardedPopulation population(int64_t total) const;
};

// The cost of all ranks: rows (the compute) summed; batched calls as one rank made them (every rank
// makes the same calls at once, so the count, like the NFE per output, is the same for any world).
AlignmentCost sum_over_ranks(Communicator& comm, const AlignmentCost& local);

// Makes a run batch-invariant for blocks of `block` rows, in one call: the model's network and the
// Diamond map (each when given; a mixture oracle has no network) see chunks of exactly `block`
// rows, the last padded; returns the reward wrapped to score block by block.
RewardPtr make_batch_invariant(int64_t block, NetworkFlowModel* model, RewardPtr reward, DiamondMap* map = nullptr);

}  // namespace glass
