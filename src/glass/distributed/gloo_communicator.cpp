#include "glass/distributed/gloo_communicator.h"

#include <stdexcept>

#ifdef GLASS_WITH_GLOO
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>

#include "glass/distributed/c10d_communicator.h"
#endif

namespace glass {

#ifdef GLASS_WITH_GLOO

bool gloo_available() { return true; }

CommunicatorPtr connect_gloo(const LaunchEnvironment& env, std::chrono::milliseconds timeout) {
  return std::make_shared<C10dCommunicator>(
      env, torch::kCPU, timeout, [&](const c10::intrusive_ptr<c10d::Store>& store) {
        auto options = c10d::ProcessGroupGloo::Options::create(timeout);
        const bool loopback = env.master_addr == "localhost" || env.master_addr.rfind("127.", 0) == 0;
        options->devices.push_back(loopback ? c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1")
                                            : c10d::ProcessGroupGloo::createDefaultDevice());
        return c10::make_intrusive<c10d::ProcessGroupGloo>(store, env.rank, env.world_size, options);
      });
}

#else

bool gloo_available() { return false; }

CommunicatorPtr connect_gloo(const LaunchEnvironment&, std::chrono::milliseconds) {
  throw std::runtime_error("distributed: this build of glass has no Gloo backend (install libgloo-dev and rebuild)");
}

#endif

}  // namespace glass
