#include "glass/distributed/launch_environment.h"

#include <cstdlib>
#include <stdexcept>

namespace glass {

namespace {

std::optional<std::string> env(const char* name) {
  const char* v = std::getenv(name);
  if (!v || !*v) return std::nullopt;
  return std::string(v);
}

int integer_env(const char* name, int lo, int hi, const char* hint) {
  const std::optional<std::string> v = env(name);
  if (!v) throw std::invalid_argument(std::string("distributed launch: ") + name + " is not set (" + hint + ")");
  size_t used = 0;
  long value = 0;
  try {
    value = std::stol(*v, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != v->size() || value < lo || value > hi)
    throw std::invalid_argument(std::string("distributed launch: ") + name + "='" + *v + "' is not an integer in [" +
                                std::to_string(lo) + ", " + std::to_string(hi) + "]");
  return static_cast<int>(value);
}

}  // namespace

std::optional<LaunchEnvironment> launch_environment_from_env() {
  // torchrun's variables first; else Open MPI's mpirun (OMPI_COMM_WORLD_*) or an MPICH/Hydra one
  // (PMI_*), which say who is who but not where rank 0 listens: MASTER_ADDR/PORT come with -x.
  const char* size_var = "WORLD_SIZE";
  const char* rank_var = "RANK";
  const char* hint = "launch with torchrun";
  if (!env("WORLD_SIZE")) {
    if (env("OMPI_COMM_WORLD_SIZE")) {
      size_var = "OMPI_COMM_WORLD_SIZE";
      rank_var = "OMPI_COMM_WORLD_RANK";
    } else if (env("PMI_SIZE")) {
      size_var = "PMI_SIZE";
      rank_var = "PMI_RANK";
    } else {
      return std::nullopt;
    }
    hint = "under mpirun, pass -x MASTER_ADDR=<rank 0's host> -x MASTER_PORT=<free port>";
  }
  LaunchEnvironment e;
  e.world_size = integer_env(size_var, 1, 1 << 20, hint);
  e.rank = integer_env(rank_var, 0, e.world_size - 1, hint);
  if (e.world_size > 1) {
    const std::optional<std::string> addr = env("MASTER_ADDR");
    if (!addr) throw std::invalid_argument(std::string("distributed launch: MASTER_ADDR is not set (") + hint + ")");
    e.master_addr = *addr;
    e.master_port = integer_env("MASTER_PORT", 1, 65535, hint);
  }
  for (const char* name : {"LOCAL_RANK", "OMPI_COMM_WORLD_LOCAL_RANK", "MPI_LOCALRANKID"})
    if (env(name)) {
      e.local_rank = integer_env(name, 0, 1 << 16, hint);
      break;
    }
  e.agent_store = env("TORCHELASTIC_USE_AGENT_STORE").value_or("") == "True";
  if (e.agent_store) e.store_prefix = "/worker/attempt_" + env("TORCHELASTIC_RESTART_COUNT").value_or("0");
  return e;
}

}  // namespace glass
