#pragma once
// The model boundary. A network in its own ecosystem's convention (ModelSpec: what it predicts, how
// it reads time) becomes a FlowModel in library time: this class converts the time going in and the
// prediction coming out, checks what the network returns, and counts every call.
#include <memory>
#include <vector>

#include "glass/models/flow_model.h"
#include "glass/models/network.h"

namespace glass {

class DdpmTableSchedule;

class NetworkFlowModel final : public FlowModel {
 public:
  NetworkFlowModel(NetworkPtr network, SchedulePtr schedule, ModelSpec spec);

  torch::Tensor denoise(const torch::Tensor& x, const torch::Tensor& t) override;
  torch::Tensor velocity(const torch::Tensor& x, const torch::Tensor& t) override;

  const SchedulePtr& schedule_ptr() const override { return schedule_; }
  const ModelSpec& spec() const override { return spec_; }
  torch::Device device() const override { return placement_.device; }
  double effective_time(double t) const override;

  const NetworkCost& cost() const override { return cost_; }
  void reset_cost() override { cost_ = {}; }
  void count_backward_pass() override { cost_.gradient_calls += 1; }
  void count_stand_in_call(int64_t rows) override {
    cost_.calls += 1;
    cost_.rows += rows;
  }
  std::string describe() const override;
  int64_t rows_per_particle() const override { return network_->rows_per_particle(); }

  // The network's device and dtype; the particles stay in their own (float32) dtype, on that device.
  void place(const Placement& placement);
  const Placement& placement() const { return placement_; }

  // At most this many rows go through the network at once (0: no limit): a call on more particles
  // is split into chunks, so memory for activations stays bounded. Still one call in the NFE count.
  // Per-particle conditioning tensors (batch > 1) cannot be chunked; batch-1 ones are broadcast.
  void set_max_batch(int64_t rows);
  int64_t max_batch() const { return max_batch_; }
  // Batch-invariant calls: every chunk is exactly `rows` rows (the max batch), the last one padded
  // (pad_rows); 0: off. Convolution and matrix-multiply kernels pick their blocking by batch size, so
  // a row's output can change in the last bits with the rows beside it; fixed chunks, aligned to
  // `rows`-row blocks of the population, make it depend on that block alone (distributed runs, bit
  // for bit). The same meaning as DiamondMap::set_fixed_chunks; make_batch_invariant sets both.
  void set_fixed_chunks(int64_t rows);

 private:
  // Calls the network at the effective times; returns its prediction with a velocity already turned
  // into dx/dt of library time (the only conversion that does not need the schedule).
  torch::Tensor call_network(const torch::Tensor& x, const std::vector<double>& t_eff);
  std::vector<double> effective_times(const torch::Tensor& t, int64_t n);

  NetworkPtr network_;
  SchedulePtr schedule_;
  ModelSpec spec_;
  const DdpmTableSchedule* ddpm_table_ = nullptr;  // set for the DDPM-step convention
  NetworkCost cost_;
  Placement placement_;
  int64_t max_batch_ = 0;
  bool fixed_chunks_ = false;
};

}  // namespace glass
