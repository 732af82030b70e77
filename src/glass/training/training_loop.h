#pragma once
// The loop every trainer shares (flow matching, Diamond distillation): Adam with a linear warm-up
// (and the trainer's own decay), gradient clipping, an EMA of the weights, resumable checkpoints,
// train.log lines and a progress bar. The trainer supplies each step's loss.
#include <torch/torch.h>

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "glass/training/flow_matching_trainer.h"

namespace glass {

// One step's loss and the parts of it that train.log and the progress bar show.
struct StepLoss {
  torch::Tensor loss;                                 // what the step minimises
  std::vector<std::pair<std::string, double>> parts;  // ("loss", l), or ("diagonal", d), ("self", s)
};
// The loss of step `step` from its own generator (seeded per step, so a resumed run sees the same
// batches as an uninterrupted one).
using StepLossFn = std::function<StepLoss(int64_t step, at::Generator& gen)>;

struct TrainingLoopSpec {
  std::string name;          // train, distill: the progress bar's and the errors' subject
  std::string weights_file;  // OUT_DIR/<this> gets the EMA weights at every checkpoint
  std::string description;   // train.log's first line names the run with it
  // Multiplies the learning rate after the warm-up (a decay); empty: constant.
  std::function<double(int64_t step)> lr_factor;
};

struct TrainingLoopResult {
  int64_t steps_done = 0;
  std::vector<double> last_parts;  // each part's mean over the last log interval, in StepLoss order
};

// Trains `module` from options.steps (resuming from OUT_DIR/checkpoint when options.resume).
TrainingLoopResult run_training_loop(torch::nn::Module& module, const TrainOptions& options, const std::string& out_dir,
                                     const TrainingLoopSpec& spec, const StepLossFn& step_loss);

}  // namespace glass
