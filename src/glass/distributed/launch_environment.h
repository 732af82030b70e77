#pragma once
// Where this process sits in a distributed launch, read the way torch.distributed's env://
// rendezvous reads it: RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT (torchrun sets them all, and
// TORCHELASTIC_USE_AGENT_STORE when its agent already hosts the store). Under mpirun the rank and
// world come from OMPI_COMM_WORLD_RANK/SIZE (Open MPI) or PMI_RANK/SIZE (MPICH), and MASTER_ADDR
// and MASTER_PORT are passed through with -x; the collectives are still c10d's Gloo.
#include <optional>
#include <string>

namespace glass {

struct LaunchEnvironment {
  int rank = 0;
  int world_size = 1;
  // This process's index on its machine (LOCAL_RANK, OMPI_COMM_WORLD_LOCAL_RANK, MPI_LOCALRANKID):
  // its GPU, when --device cuda names no index. nullopt when the launcher does not say.
  std::optional<int> local_rank;
  std::string master_addr = "127.0.0.1";
  int master_port = 29500;
  bool agent_store = false;  // torchrun's agent hosts the TCP store: every rank is a client
  std::string store_prefix;  // torchrun: "/worker/attempt_<restart count>"
};

// nullopt when neither WORLD_SIZE nor an MPI launcher's size is set (a plain, single-process run). Throws a one-line
// error naming the variable when one is missing or malformed.
std::optional<LaunchEnvironment> launch_environment_from_env();

}  // namespace glass
