#pragma once
// A resumable training run's state in DIR/checkpoint: weights, EMA, optimizer and the step. Every
// file is written under a temporary name and renamed, so an interrupted run never leaves a
// half-written checkpoint behind, and a resumed run continues with the same weights.
#include <torch/torch.h>

#include <string>

#include "glass/training/ema.h"

namespace glass {

class TrainingCheckpoint {
 public:
  explicit TrainingCheckpoint(const std::string& out_dir);
  // Loads a saved state into the three and returns its step; 0 (nothing loaded) when none exists.
  int64_t resume(torch::nn::Module& module, Ema& ema, torch::optim::Optimizer& optimizer) const;
  void save(torch::nn::Module& module, const Ema& ema, torch::optim::Optimizer& optimizer, int64_t step) const;

 private:
  std::string dir_;
};

}  // namespace glass
