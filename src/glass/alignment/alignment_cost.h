#pragma once
// What an alignment run spent, so that methods can be compared at equal compute.
#include <cstdint>

#include "glass/models/flow_model.h"
#include "glass/rewards/reward.h"

namespace glass {

struct AlignmentCost {
  int64_t network_calls = 0;   // batched network evaluations
  int64_t network_rows = 0;    // single-sample network evaluations (the compute)
  int64_t gradient_calls = 0;  // backward passes through the network
  int64_t reward_calls = 0, reward_rows = 0;
  int64_t outputs = 0;  // final samples delivered
  double nfe_per_output() const { return outputs ? static_cast<double>(network_rows) / outputs : 0.0; }
};

// Reads the counters of a model and a reward at construction; cost() is the spend since then.
class CostMeter {
 public:
  CostMeter(const FlowModel& model, const Reward& reward)
      : model_(model), reward_(reward), model_start_(model.cost()), reward_start_(reward.cost()) {}
  AlignmentCost cost(int64_t outputs) const {
    return {model_.cost().calls - model_start_.calls,
            model_.cost().rows - model_start_.rows,
            model_.cost().gradient_calls - model_start_.gradient_calls,
            reward_.cost().calls - reward_start_.calls,
            reward_.cost().rows - reward_start_.rows,
            outputs};
  }

 private:
  const FlowModel& model_;
  const Reward& reward_;
  NetworkCost model_start_;
  RewardCost reward_start_;
};

}  // namespace glass
