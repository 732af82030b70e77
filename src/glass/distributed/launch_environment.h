#pragma once
// Where this process sits in a distributed launch, read the way torch.distributed's env://
// rendezvous reads it: RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT (torchrun sets them all, and
// TORCHELASTIC_USE_AGENT_STORE when its agent already hosts the store).
#include <optional>
#include <string>

namespace glass {

struct LaunchEnvironment {
  int rank = 0;
  int world_size = 1;
  std::string master_addr = "127.0.0.1";
  int master_port = 29500;
  bool agent_store = false;  // torchrun's agent hosts the TCP store: every rank is a client
  std::string store_prefix;  // torchrun: "/worker/attempt_<restart count>"
};

// nullopt when WORLD_SIZE is unset (a plain, single-process run). Throws a one-line error naming
// the variable when one is missing or malformed.
std::optional<LaunchEnvironment> launch_environment_from_env();

}  // namespace glass
