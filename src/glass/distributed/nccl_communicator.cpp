#include "glass/distributed/nccl_communicator.h"

#include <stdexcept>

#ifdef GLASS_WITH_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>

#include "glass/distributed/c10d_communicator.h"
#endif

namespace glass {

#ifdef GLASS_WITH_NCCL

bool nccl_available() { return true; }

CommunicatorPtr connect_nccl(const LaunchEnvironment& env, torch::Device device, std::chrono::milliseconds timeout) {
  if (!device.is_cuda()) throw std::invalid_argument("distributed: NCCL needs CUDA tensors, not " + device.str());
  return std::make_shared<C10dCommunicator>(env, device, timeout, [&](const c10::intrusive_ptr<c10d::Store>& store) {
    auto options = c10d::ProcessGroupNCCL::Options::create();
    options->timeout = timeout;
    return c10::make_intrusive<c10d::ProcessGroupNCCL>(store, env.rank, env.world_size, options);
  });
}

#else

bool nccl_available() { return false; }

CommunicatorPtr connect_nccl(const LaunchEnvironment&, torch::Device, std::chrono::milliseconds) {
  throw std::runtime_error("distributed: this build of glass has no NCCL backend (build against a CUDA torch)");
}

#endif

}  // namespace glass
