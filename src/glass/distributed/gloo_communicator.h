#pragma once
// The Communicator on c10d's Gloo backend (compiled into LibTorch): collectives over TCP on CPU
// tensors (c10d_communicator.h: the rendezvous, the timeout, the one-line errors).
#include <chrono>

#include "glass/distributed/communicator.h"
#include "glass/distributed/launch_environment.h"

namespace glass {

// False when this build has no Gloo (CMake found no libgloo-dev): connect_gloo then throws.
bool gloo_available();

CommunicatorPtr connect_gloo(const LaunchEnvironment& env, std::chrono::milliseconds timeout);

}  // namespace glass
