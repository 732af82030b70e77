#pragma once
// Flow-matching training on the CondOT path (x_t = t z + (1 - t) eps, velocity target z - eps),
// with Adam, an EMA of the weights, and resumable checkpoints in one output folder:
//   model.pt + model.json   EMA weights and the sidecar a sampler loads
//   checkpoint/             raw weights, EMA, optimiser state and step, for --resume
//   train.log               one line per log interval
#include <functional>
#include <string>

#include "glass/models/native_net.h"

namespace glass {

struct TrainOptions {
  int64_t steps = 10000;
  int64_t batch = 128;
  double learning_rate = 1e-3;
  int64_t warmup = 200;
  double ema_decay = 0.999;
  int64_t log_every = 100;
  int64_t checkpoint_every = 500;
  uint64_t seed = 0;
  bool resume = false;
  bool progress = true;
  // Class-conditional networks (config.classes > 0): the share of a batch whose labels are
  // replaced by the null label, so that one network also learns the unconditional model that
  // classifier-free guidance needs.
  double label_dropout = 0.1;
  // A native model file (model.json) whose weights start the run (a subset of the network's
  // parameters: an unconditional U-Net for a conditional one); empty: random initialisation.
  std::string init_from;

  void validate() const;
};

// Draws a batch of data samples; the generator is seeded per step, so a resumed run sees the
// same batches as an uninterrupted one.
using DataSampler = std::function<torch::Tensor(int64_t batch, at::Generator& gen)>;
// The same with each sample's class label (int64 [batch]), for class-conditional networks.
struct LabelledBatch {
  torch::Tensor x, labels;
};
using LabelledDataSampler = std::function<LabelledBatch(int64_t batch, at::Generator& gen)>;

struct TrainResult {
  int64_t steps_done = 0;
  double final_loss = 0.0;  // mean over the last log interval
};

TrainResult train_flow_matching(const NativeNetConfig& config, const DataSampler& data, const TrainOptions& options,
                                const std::string& out_dir);
// For a class-conditional network (config.classes > 0), with label dropout.
TrainResult train_flow_matching(const NativeNetConfig& config, const LabelledDataSampler& data,
                                const TrainOptions& options, const std::string& out_dir);

}  // namespace glass
