#include "glass/distributed/engine_choice.h"

#include "glass/distributed/gloo_communicator.h"
#include "glass/distributed/nccl_communicator.h"

namespace glass {

CommunicatorPtr connect_for_device(const LaunchEnvironment& env, torch::Device device,
                                   std::chrono::milliseconds timeout) {
  if (env.world_size == 1) return std::make_shared<SingleProcess>();
  return device.is_cuda() ? connect_nccl(env, device, timeout) : connect_gloo(env, timeout);
}

}  // namespace glass
