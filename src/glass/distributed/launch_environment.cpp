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

int integer_env(const char* name, int lo, int hi) {
  const std::optional<std::string> v = env(name);
  if (!v)
    throw std::invalid_argument(std::string("distributed launch: ") + name + " is not set (launch with torchrun)");
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
  if (!env("WORLD_SIZE")) return std::nullopt;
  LaunchEnvironment e;
  e.world_size = integer_env("WORLD_SIZE", 1, 1 << 20);
  e.rank = integer_env("RANK", 0, e.world_size - 1);
  if (e.world_size > 1) {
    const std::optional<std::string> addr = env("MASTER_ADDR");
    if (!addr) throw std::invalid_argument("distributed launch: MASTER_ADDR is not set (launch with torchrun)");
    e.master_addr = *addr;
    e.master_port = integer_env("MASTER_PORT", 1, 65535);
  }
  e.agent_store = env("TORCHELASTIC_USE_AGENT_STORE").value_or("") == "True";
  if (e.agent_store) e.store_prefix = "/worker/attempt_" + env("TORCHELASTIC_RESTART_COUNT").value_or("0");
  return e;
}

}  // namespace glass
