#include "glass/distributed/gloo_communicator.h"

#include <stdexcept>
#include <string>

#ifdef GLASS_WITH_GLOO
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#endif

#include "glass/util/parse.h"

namespace glass {

#ifdef GLASS_WITH_GLOO

namespace {

class GlooCommunicator final : public Communicator {
 public:
  GlooCommunicator(const LaunchEnvironment& env, std::chrono::milliseconds timeout)
      : rank_(env.rank), world_(env.world_size) {
    guarded("rendezvous at " + env.master_addr + ":" + std::to_string(env.master_port), [&] {
      c10d::TCPStoreOptions so;
      so.port = static_cast<std::uint16_t>(env.master_port);
      so.isServer = !env.agent_store && env.rank == 0;
      so.numWorkers = env.agent_store ? c10::nullopt : c10::optional<std::size_t>(env.world_size);
      so.waitWorkers = !env.agent_store;
      so.timeout = timeout;
      so.multiTenant = true;
      c10::intrusive_ptr<c10d::Store> store = c10::make_intrusive<c10d::TCPStore>(env.master_addr, so);
      if (!env.store_prefix.empty()) store = c10::make_intrusive<c10d::PrefixStore>(env.store_prefix, store);
      auto options = c10d::ProcessGroupGloo::Options::create(timeout);
      const bool loopback = env.master_addr == "localhost" || env.master_addr.rfind("127.", 0) == 0;
      options->devices.push_back(loopback ? c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1")
                                          : c10d::ProcessGroupGloo::createDefaultDevice());
      group_ = c10::make_intrusive<c10d::ProcessGroupGloo>(store, env.rank, env.world_size, options);
    });
  }

  int rank() const override { return rank_; }
  int world_size() const override { return world_; }

  torch::Tensor all_gather_rows(const torch::Tensor& local, const std::vector<int64_t>& counts) override {
    if (static_cast<int>(counts.size()) != world_ || counts[static_cast<size_t>(rank_)] != local.size(0))
      throw std::invalid_argument("all-gather: rank " + std::to_string(rank_) + " holds " +
                                  std::to_string(local.size(0)) + " rows, not its count");
    // Gloo gathers equal shapes: pad every contribution to the largest, then drop the padding.
    int64_t most = 0;
    for (int64_t c : counts) most = std::max(most, c);
    std::vector<int64_t> shape = local.sizes().vec();
    shape[0] = most;
    torch::Tensor padded = torch::zeros(shape, local.options().device(torch::kCPU));
    padded.narrow(0, 0, local.size(0)).copy_(local);
    std::vector<std::vector<torch::Tensor>> out(1);
    for (int r = 0; r < world_; ++r) out[0].push_back(torch::empty_like(padded));
    std::vector<torch::Tensor> in{padded};
    guarded("all-gather", [&] { group_->allgather(out, in)->wait(); });
    note(local.numel() * local.element_size() * (world_ - 1));
    std::vector<torch::Tensor> parts;
    for (int r = 0; r < world_; ++r)
      parts.push_back(out[0][static_cast<size_t>(r)].narrow(0, 0, counts[static_cast<size_t>(r)]));
    return torch::cat(parts);
  }

  torch::Tensor all_to_all_rows(const torch::Tensor& send, const std::vector<int64_t>& send_counts,
                                const std::vector<int64_t>& recv_counts) override {
    int64_t out_rows = 0;
    for (int64_t c : recv_counts) out_rows += c;
    std::vector<int64_t> shape = send.sizes().vec();
    shape[0] = out_rows;
    torch::Tensor out = torch::empty(shape, send.options().device(torch::kCPU));
    torch::Tensor in = send.to(torch::kCPU).contiguous();
    std::vector<int64_t> sc = send_counts, rc = recv_counts;
    guarded("all-to-all", [&] { group_->alltoall_base(out, in, rc, sc)->wait(); });
    note(in.numel() * in.element_size());
    return out;
  }

  void barrier() override {
    guarded("barrier", [&] { group_->barrier()->wait(); });
    note(0);
  }

 private:
  template <class F>
  void guarded(const std::string& what, F&& f) {
    try {
      f();
    } catch (const std::exception& e) {
      throw std::runtime_error(
          "distributed: rank " + std::to_string(rank_) + " of " + std::to_string(world_) + ": " + what +
          " failed (a rank died, hung past the timeout or could not connect): " + one_line(e.what()));
    }
  }
  void note(int64_t bytes) {
    stats_.collectives += 1;
    stats_.bytes_sent += bytes;
  }

  int rank_, world_;
  c10::intrusive_ptr<c10d::ProcessGroupGloo> group_;
};

}  // namespace

bool gloo_available() { return true; }

CommunicatorPtr connect_gloo(const LaunchEnvironment& env, std::chrono::milliseconds timeout) {
  return std::make_shared<GlooCommunicator>(env, timeout);
}

#else

bool gloo_available() { return false; }

CommunicatorPtr connect_gloo(const LaunchEnvironment&, std::chrono::milliseconds) {
  throw std::runtime_error("distributed: this build of glass has no Gloo backend (install libgloo-dev and rebuild)");
}

#endif

}  // namespace glass
