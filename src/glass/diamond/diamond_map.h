#pragma once
// A Diamond Map: one network call jumps the GLASS inner flow of `model` from inner time s to s'
// (spec diamond-maps 1, 3). From s = 0 (fresh inner noise) to s' = 1 it draws z ~ p(z | x_t); to the
// early-stop time s* it gives a transition t -> t' that is exactly DDPM's when the map is exact.
// Each call counts on the model it was distilled from, as one network call.
#include <string>
#include <vector>

#include "glass/diamond/diamond_network.h"
#include "glass/models/flow_model.h"

namespace glass {

class DiamondMap {
 public:
  // `model` (the teacher: its schedule, its cost) must outlive the map.
  DiamondMap(DiamondNet net, DiamondNetConfig config, FlowModel& model, std::string description = "");

  // X(xbar; s -> s' | x_t, t) per particle (float64 t, s, s' with 0 <= s <= s' <= 1, s < 1). One
  // call; differentiable in xbar and x_t when autograd is on.
  torch::Tensor jump(const torch::Tensor& xbar, const torch::Tensor& x_t, const std::vector<double>& t,
                     const std::vector<double>& s, const std::vector<double>& s_next);
  // z ~ p(z | x_t) (t < 1 per particle) in `calls` jumps along s = 0, 1/calls, ..., 1: one is
  // the map's use; more spend calls on the map's own error, as an inner ODE solver would.
  torch::Tensor posterior_sample(const torch::Tensor& x_t, const torch::Tensor& t, at::Generator& gen, int calls = 1);
  // x_t' ~ p(x_t' | x_t) in one call (t < t' <= 1 per particle; t' = 1 is a posterior sample).
  torch::Tensor transition(const torch::Tensor& x_t, const torch::Tensor& t, const torch::Tensor& t_next,
                           at::Generator& gen);

  // Batch-invariant calls (distributed runs): the network sees chunks of exactly `rows` rows, the
  // last one padded, as NetworkFlowModel::set_fixed_chunks; still one call. 0: the whole batch.
  void set_fixed_chunks(int64_t rows);

  FlowModel& model() const { return model_; }
  const DiamondNetConfig& config() const { return config_; }
  torch::nn::Module& module() { return *net_.module; }
  std::string describe() const { return description_; }

 private:
  DiamondNet net_;
  DiamondNetConfig config_;
  FlowModel& model_;
  std::string description_;
  int64_t chunk_rows_ = 0;

  torch::Tensor call_network(const torch::Tensor& xbar, const torch::Tensor& x_t, const std::vector<double>& t,
                             const std::vector<double>& s, const std::vector<double>& ds) const;
};

// A map saved by `glass distill`: DIR/diamond.json (the network) and DIR/diamond.pt (weights).
DiamondMap load_diamond_map(const std::string& dir, FlowModel& model);

}  // namespace glass
