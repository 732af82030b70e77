#pragma once
// Which engine moves a sharded population's rows: chosen by where the particles live.
#include <chrono>

#include "glass/distributed/communicator.h"
#include "glass/distributed/launch_environment.h"

namespace glass {

// The world of one for a single process; NCCL for particles on a GPU (device: this rank's, e.g.
// cuda:LOCAL_RANK); Gloo for particles on the CPU.
CommunicatorPtr connect_for_device(const LaunchEnvironment& env, torch::Device device,
                                   std::chrono::milliseconds timeout);

}  // namespace glass
