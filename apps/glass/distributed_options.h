#pragma once
// Distributed launches of glass align: torchrun (or any launcher that sets RANK, WORLD_SIZE,
// MASTER_ADDR and MASTER_PORT) starts one glass per rank; they meet over c10d/Gloo and split
// every method's particles. Rank 0 prints, draws and writes; the others only compute.
#include <CLI/CLI.hpp>

#include <optional>

#include "glass/alignment/sharding.h"
#include "glass/distributed/communicator.h"
#include "glass/models/network_flow_model.h"
#include "glass/rewards/reward.h"

namespace glass::cli {

struct DistributedOptions {
  int64_t shard_block = 8;  // particles per block: the unit of the split and of every network chunk
  double timeout_s = 300;   // a collective that waits longer (a rank hung or died) is an error

  void add_to(CLI::App& app);
};

struct DistributedRun {
  CommunicatorPtr comm;
  int64_t block = 8;
  bool is_root() const { return comm->rank() == 0; }
  Sharding sharding(uint64_t seed) const { return Sharding{comm.get(), block, seed}; }
};

// nullopt without a launch environment. Otherwise joins the other ranks (world 1: no rendezvous);
// the caller then makes its calls batch-invariant (make_batch_invariant with the run's block).
std::optional<DistributedRun> join_launch(const DistributedOptions& options, const CLI::App& cmd,
                                          NetworkFlowModel& model);

}  // namespace glass::cli
