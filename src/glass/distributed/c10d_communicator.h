#pragma once
// The Communicator over a c10d backend (torch.distributed's C++ core): a TCP store for the
// rendezvous, then the backend's collectives on tensors on the communicator's device (the CPU for
// Gloo, this rank's GPU for NCCL). Gloo (gloo_communicator.h) and NCCL (nccl_communicator.h) differ
// only in the backend they create on the store. Every collective waits at most the backend's
// timeout; a peer that died or hangs is a one-line std::runtime_error naming the operation and this
// rank, never a hang or a crash.
#include <torch/csrc/distributed/c10d/Backend.hpp>
#include <torch/csrc/distributed/c10d/Store.hpp>

#include <chrono>
#include <functional>

#include "glass/distributed/communicator.h"
#include "glass/distributed/launch_environment.h"

namespace glass {

using BackendFactory = std::function<c10::intrusive_ptr<c10d::Backend>(const c10::intrusive_ptr<c10d::Store>&)>;

class C10dCommunicator final : public Communicator {
 public:
  // Joins the store and calls make_backend on it, both inside the guarded rendezvous.
  C10dCommunicator(const LaunchEnvironment& env, torch::Device device, std::chrono::milliseconds timeout,
                   const BackendFactory& make_backend);

  int rank() const override { return rank_; }
  int world_size() const override { return world_; }
  torch::Device device() const override { return device_; }
  torch::Tensor all_gather_rows(const torch::Tensor& local, const std::vector<int64_t>& counts) override;
  torch::Tensor all_to_all_rows(const torch::Tensor& send, const std::vector<int64_t>& send_counts,
                                const std::vector<int64_t>& recv_counts) override;
  void barrier() override;

 private:
  template <class F>
  void guarded(const std::string& what, F&& f);
  void note(int64_t bytes);

  int rank_, world_;
  torch::Device device_;
  c10::intrusive_ptr<c10d::Backend> backend_;
};

}  // namespace glass
