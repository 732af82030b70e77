#pragma once
// Best-of-N: for each of G outputs, draw N candidates with any sampler and keep the one with the
// highest reward (or, by `select`, draw one with weights exp(lambda r), or keep them all). Its cost
// is N full chains per output; it needs no stochastic kernel.
#include "glass/alignment/alignment_cost.h"
#include "glass/alignment/smc.h"
#include "glass/transitions/transition.h"

namespace glass {

// What each group of candidates returns (selection.h): the importance weights are exp(lambda r).
struct BestOfNSelection {
  Selection select = Selection::Argmax;
  double lambda = 1.0;
};

struct BestOfNResult {
  torch::Tensor samples;         // [G, ...] (select all: [G*N, ...]; sharded runs: on rank 0 only)
  torch::Tensor sample_rewards;  // float64, one per sample
  torch::Tensor sample_weights;  // float64, one per sample: its weight in its group (1 unless select all)
  torch::Tensor rewards;         // float64 [G, N]: every candidate's reward
  AlignmentCost cost;
};

BestOfNResult best_of_n(FlowModel& model, TransitionKernel& kernel, Reward& reward, const std::vector<double>& grid,
                        int64_t groups, int64_t candidates, at::IntArrayRef sample_shape, at::Generator& gen,
                        const AlignmentCallback& on_step = {}, const BestOfNSelection& choose = {});

// The same with the G * N candidates split across ranks (see run_smc_sharded): samples on rank 0,
// every candidate's reward on every rank.
BestOfNResult best_of_n_sharded(FlowModel& model, TransitionKernel& kernel, Reward& reward,
                                const std::vector<double>& grid, int64_t groups, int64_t candidates,
                                at::IntArrayRef sample_shape, const Sharding& sharding,
                                const AlignmentCallback& on_step = {}, const BestOfNSelection& choose = {});

}  // namespace glass
