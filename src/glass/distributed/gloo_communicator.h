#pragma once
// The Communicator on c10d's Gloo backend (torch.distributed's C++ core, compiled into Debian's
// LibTorch): a TCP store for the rendezvous, then collectives over TCP. Every collective waits at
// most `timeout`; a peer that died or hangs turns into a one-line std::runtime_error naming the
// operation and this rank, never a hang or a crash.
#include <chrono>

#include "glass/distributed/communicator.h"
#include "glass/distributed/launch_environment.h"

namespace glass {

// False when this build has no Gloo (CMake found no libgloo-dev): connect_gloo then throws.
bool gloo_available();

CommunicatorPtr connect_gloo(const LaunchEnvironment& env, std::chrono::milliseconds timeout);

}  // namespace glass
