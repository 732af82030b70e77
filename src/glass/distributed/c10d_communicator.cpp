#include "glass/distributed/c10d_communicator.h"

#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include <stdexcept>
#include <string>

#include "glass/util/parse.h"

namespace glass {

C10dCommunicator::C10dCommunicator(const LaunchEnvironment& env, torch::Device device,
                                   std::chrono::milliseconds timeout, const BackendFactory& make_backend)
    : rank_(env.rank), world_(env.world_size), device_(device) {
  guarded("rendezvous at " + env.master_addr + ":" + std::to_string(env.master_port), [&] {
    c10d::TCPStoreOptions so;
    so.port = static_cast<std::uint16_t>(env.master_port);
    so.isServer = !env.agent_store && env.rank == 0;
    so.numWorkers = env.agent_store ? std::nullopt : std::optional<std::size_t>(env.world_size);
    so.waitWorkers = !env.agent_store;
    so.timeout = timeout;
    so.multiTenant = true;
    c10::intrusive_ptr<c10d::Store> store = c10::make_intrusive<c10d::TCPStore>(env.master_addr, so);
    if (!env.store_prefix.empty()) store = c10::make_intrusive<c10d::PrefixStore>(env.store_prefix, store);
    backend_ = make_backend(store);
  });
}

torch::Tensor C10dCommunicator::all_gather_rows(const torch::Tensor& local_in, const std::vector<int64_t>& counts) {
  const torch::Tensor local = local_in.to(device_);
  if (static_cast<int>(counts.size()) != world_ || counts[static_cast<size_t>(rank_)] != local.size(0))
    throw std::invalid_argument("all-gather: rank " + std::to_string(rank_) + " holds " +
                                std::to_string(local.size(0)) + " rows, not its count");
  // The backends gather equal shapes: pad every contribution to the largest, then drop the padding.
  int64_t most = 0;
  for (int64_t c : counts) most = std::max(most, c);
  std::vector<int64_t> shape = local.sizes().vec();
  shape[0] = most;
  torch::Tensor padded = torch::zeros(shape, local.options());
  padded.narrow(0, 0, local.size(0)).copy_(local);
  std::vector<std::vector<torch::Tensor>> out(1);
  for (int r = 0; r < world_; ++r) out[0].push_back(torch::empty_like(padded));
  std::vector<torch::Tensor> in{padded};
  guarded("all-gather", [&] { backend_->allgather(out, in)->wait(); });
  note(local.numel() * local.element_size() * (world_ - 1));
  std::vector<torch::Tensor> parts;
  for (int r = 0; r < world_; ++r)
    parts.push_back(out[0][static_cast<size_t>(r)].narrow(0, 0, counts[static_cast<size_t>(r)]));
  return torch::cat(parts);
}

torch::Tensor C10dCommunicator::all_to_all_rows(const torch::Tensor& send, const std::vector<int64_t>& send_counts,
                                                const std::vector<int64_t>& recv_counts) {
  int64_t out_rows = 0;
  for (int64_t c : recv_counts) out_rows += c;
  std::vector<int64_t> shape = send.sizes().vec();
  shape[0] = out_rows;
  torch::Tensor out = torch::empty(shape, send.options().device(device_));
  torch::Tensor in = send.to(device_).contiguous();
  std::vector<int64_t> sc = send_counts, rc = recv_counts;
  guarded("all-to-all", [&] { backend_->alltoall_base(out, in, rc, sc)->wait(); });
  note(in.numel() * in.element_size());
  return out;
}

void C10dCommunicator::barrier() {
  guarded("barrier", [&] { backend_->barrier()->wait(); });
  note(0);
}

template <class F>
void C10dCommunicator::guarded(const std::string& what, F&& f) {
  try {
    f();
  } catch (const std::exception& e) {
    throw std::runtime_error(
        "distributed: rank " + std::to_string(rank_) + " of " + std::to_string(world_) + ": " + what +
        " failed (a rank died, hung past the timeout or could not connect): " + one_line(e.what()));
  }
}

void C10dCommunicator::note(int64_t bytes) {
  stats_.collectives += 1;
  stats_.bytes_sent += bytes;
}

}  // namespace glass
