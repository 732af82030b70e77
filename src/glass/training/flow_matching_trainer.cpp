#include "glass/training/flow_matching_trainer.h"

#include <nlohmann/json.hpp>

#include <filesystem>

#include "glass/io/atomic_file.h"
#include "glass/models/model_file.h"
#include "glass/training/training_loop.h"

namespace glass {

namespace fs = std::filesystem;

void TrainOptions::validate() const {
  if (steps < 1 || batch < 1 || !(learning_rate > 0) || !(ema_decay >= 0 && ema_decay < 1))
    throw std::invalid_argument("train: need steps >= 1, batch >= 1, learning rate > 0, 0 <= ema < 1");
  if (!(label_dropout >= 0 && label_dropout < 1)) throw std::invalid_argument("train: need 0 <= label dropout < 1");
}

TrainResult train_flow_matching(const NativeNetConfig& config, const DataSampler& data, const TrainOptions& o,
                                const std::string& out_dir) {
  if (config.classes > 0) throw std::invalid_argument("train: a class-conditional network needs labelled data");
  return train_flow_matching(
      config, [&data](int64_t batch, at::Generator& gen) { return LabelledBatch{data(batch, gen), {}}; }, o, out_dir);
}

TrainResult train_flow_matching(const NativeNetConfig& config, const LabelledDataSampler& data, const TrainOptions& o,
                                const std::string& out_dir) {
  o.validate();
  torch::manual_seed(o.seed);  // weight initialisation
  NativeNet net = make_native_net(config);
  if (!o.init_from.empty() && !o.resume) {
    const NativeModelFile init = load_native_model_file(o.init_from);
    copy_weights_from(*net.module, *init.net.module, "'" + o.init_from + "'");
  }
  fs::create_directories(out_dir);
  write_text_atomically((fs::path(out_dir) / "model.json").string(), config.to_json().dump(2) + "\n");
  TrainingLoopSpec spec{"train", "model.pt", config.to_json().dump(), {}};
  if (config.classes > 0) spec.description += ", label dropout " + std::to_string(o.label_dropout);
  if (!o.init_from.empty()) spec.description += ", initialised from " + o.init_from;

  // Flow matching: x_t = t z + (1 - t) eps on the straight path, the network predicts z - eps.
  const TrainingLoopResult r = run_training_loop(*net.module, o, out_dir, spec, [&](int64_t, at::Generator& gen) {
    const LabelledBatch b = data(o.batch, gen);
    const torch::Tensor& z = b.x;
    const torch::Tensor eps = at::randn(z.sizes(), gen, z.options());
    const torch::Tensor t = at::rand({o.batch}, gen, z.options());
    std::vector<int64_t> bshape(static_cast<size_t>(z.dim()), 1);
    bshape[0] = o.batch;
    const torch::Tensor tb = t.reshape(bshape);
    const torch::Tensor xt = tb * z + (1 - tb) * eps;
    torch::Tensor prediction;
    if (config.classes > 0) {
      if (!b.labels.defined()) throw std::invalid_argument("train: a class-conditional network needs labelled data");
      const torch::Tensor dropped = at::rand({o.batch}, gen) < o.label_dropout;
      prediction = net.forward_labelled(xt, t, torch::where(dropped, config.classes, b.labels));
    } else {
      prediction = net.forward(xt, t);
    }
    const torch::Tensor loss = torch::mse_loss(prediction, z - eps);
    return StepLoss{loss, {{"loss", loss.item<double>()}}};
  });
  return {r.steps_done, r.last_parts.empty() ? 0.0 : r.last_parts[0]};
}

}  // namespace glass
