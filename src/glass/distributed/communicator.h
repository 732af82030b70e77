#pragma once
// What a sharded run needs from a distributed engine: a rank in a fixed world, rows gathered from
// every rank, rows sent between ranks, a barrier, and a count of the bytes it moved. Tensors come
// out on the communicator's device(), in rank order (callers hand them over there, saving a copy).
// The multi-process implementations are c10d's backends (c10d_communicator.h), the engines PyTorch
// users launch with torchrun: Gloo for CPU particles, NCCL for GPU ones (engine_choice.h);
// SingleProcess is the world of one, so that a sharded algorithm is also the single-process one.
#include <torch/torch.h>

#include <memory>
#include <vector>

namespace glass {

struct CommunicationStats {
  int64_t collectives = 0;  // collective calls made by this rank
  int64_t bytes_sent = 0;   // payload this rank sent to other ranks (not counting padding)
};

class Communicator {
 public:
  virtual ~Communicator() = default;
  virtual int rank() const = 0;
  virtual int world_size() const = 0;
  // Where the collectives run: the CPU (Gloo, the world of one) or this rank's GPU (NCCL).
  virtual torch::Device device() const { return torch::kCPU; }

  // Every rank's `local` concatenated in rank order; rank r contributes counts[r] rows (every rank
  // passes the same counts, the same dtype and the same trailing shape).
  virtual torch::Tensor all_gather_rows(const torch::Tensor& local, const std::vector<int64_t>& counts) = 0;
  // `send` holds send_counts[r] rows for each rank r, in rank order; returns the rows every rank
  // sent here, recv_counts[r] from rank r, in rank order. Rows to oneself are not sent.
  virtual torch::Tensor all_to_all_rows(const torch::Tensor& send, const std::vector<int64_t>& send_counts,
                                        const std::vector<int64_t>& recv_counts) = 0;
  virtual void barrier() = 0;

  const CommunicationStats& stats() const { return stats_; }

 protected:
  CommunicationStats stats_;
};

using CommunicatorPtr = std::shared_ptr<Communicator>;

// The world of one process: gathers return their input, nothing moves.
class SingleProcess final : public Communicator {
 public:
  int rank() const override { return 0; }
  int world_size() const override { return 1; }
  torch::Tensor all_gather_rows(const torch::Tensor& local, const std::vector<int64_t>& counts) override;
  torch::Tensor all_to_all_rows(const torch::Tensor& send, const std::vector<int64_t>& send_counts,
                                const std::vector<int64_t>& recv_counts) override;
  void barrier() override {}
};

}  // namespace glass
