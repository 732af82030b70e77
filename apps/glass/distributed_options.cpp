#include "distributed_options.h"

#include <chrono>
#include <cmath>

#include "glass/distributed/engine_choice.h"
#include "glass/distributed/launch_environment.h"
#include "run_options.h"

namespace glass::cli {

void DistributedOptions::add_to(CLI::App& app) {
  app.add_option("--shard-block", shard_block,
                 "distributed launches: particles per block, the unit each rank holds and the rows of every network "
                 "and reward chunk (results are the same for any number of ranks at one block size)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--dist-timeout", timeout_s,
                 "distributed launches: seconds a rank waits for the others (rendezvous, collectives) before the "
                 "run fails")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
}

std::optional<DistributedRun> join_launch(const DistributedOptions& options, const CLI::App& cmd,
                                          NetworkFlowModel& model) {
  const std::optional<LaunchEnvironment> env = launch_environment_from_env();
  reject_unused_flags(cmd, {"--shard-block", "--dist-timeout"}, env.has_value(),
                      "distributed launches under torchrun or mpirun");
  if (!env) return std::nullopt;
  if (cmd.count("--max-batch") > 0)
    throw std::invalid_argument("--max-batch: a distributed run chunks the network by --shard-block");
  DistributedRun run;
  run.block = options.shard_block;
  const auto timeout = std::chrono::milliseconds(static_cast<int64_t>(std::ceil(options.timeout_s * 1000.0)));
  run.comm = connect_for_device(*env, model.device(), timeout);
  return run;
}

}  // namespace glass::cli
