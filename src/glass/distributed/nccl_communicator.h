#pragma once
// The Communicator on c10d's NCCL backend, for populations on GPUs: collectives between the ranks'
// GPUs over NVLink or InfiniBand, on tensors on `device` (this rank's GPU). Compiled where LibTorch
// was built with NCCL (the CUDA wheels); elsewhere connect_nccl says so in one line.
#include <chrono>

#include "glass/distributed/communicator.h"
#include "glass/distributed/launch_environment.h"

namespace glass {

bool nccl_available();

CommunicatorPtr connect_nccl(const LaunchEnvironment& env, torch::Device device, std::chrono::milliseconds timeout);

}  // namespace glass
