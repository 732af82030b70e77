#include "glass/training/flow_matching_trainer.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>

#include "glass/io/atomic_file.h"
#include "glass/models/model_file.h"
#include "glass/training/checkpoint.h"
#include "glass/training/ema.h"
#include "glass/util/progress_bar.h"
#include "glass/util/random.h"

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
  Ema ema(*net.module, o.ema_decay);
  torch::optim::Adam optimizer(net.module->parameters(), torch::optim::AdamOptions(o.learning_rate));
  const fs::path dir(out_dir);
  const TrainingCheckpoint checkpoint(out_dir);
  int64_t step = o.resume ? checkpoint.resume(*net.module, ema, optimizer) : 0;
  write_text_atomically((dir / "model.json").string(), config.to_json().dump(2) + "\n");
  std::ofstream log(dir / "train.log", std::ios::app);
  log << "# " << (step > 0 ? "resumed at step " + std::to_string(step) : std::string("started")) << ", "
      << config.to_json().dump() << ", batch " << o.batch << ", lr " << o.learning_rate << ", ema " << o.ema_decay
      << ", threads " << torch::get_num_threads()
      << (config.classes > 0 ? ", label dropout " + std::to_string(o.label_dropout) : std::string())
      << (o.init_from.empty() ? std::string() : ", initialised from " + o.init_from) << "\n";

  const auto save_checkpoint = [&] {
    checkpoint.save(*net.module, ema, optimizer, step);
    ema.save_as_weights(*net.module, (dir / "model.pt").string());
  };

  net.module->train();
  ProgressBar bar("train", o.steps, o.progress);
  const auto start = std::chrono::steady_clock::now();
  const int64_t first = step;
  double interval_loss = 0.0, last_loss = 0.0;
  int64_t interval_n = 0;
  while (step < o.steps) {
    at::Generator gen = make_generator(o.seed * 1000003ULL + static_cast<uint64_t>(step));
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
    optimizer.zero_grad();
    loss.backward();
    torch::nn::utils::clip_grad_norm_(net.module->parameters(), 1.0);
    const double lr = o.learning_rate * std::min(1.0, static_cast<double>(step + 1) / std::max<int64_t>(1, o.warmup));
    for (auto& group : optimizer.param_groups()) static_cast<torch::optim::AdamOptions&>(group.options()).lr(lr);
    optimizer.step();
    ++step;
    ema.update(*net.module, step);

    const double l = loss.item<double>();
    if (!std::isfinite(l))
      throw std::runtime_error("train: the loss became " + std::to_string(l) + " at step " + std::to_string(step));
    interval_loss += l;
    ++interval_n;
    char note[64];
    std::snprintf(note, sizeof note, "loss %.4f", l);
    bar.update(step, note);
    if (step % o.log_every == 0 || step == o.steps) {
      last_loss = interval_loss / interval_n;
      const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      log << "step " << step << " loss " << last_loss << " lr " << lr << " elapsed_s " << secs << " steps_per_s "
          << (step - first) / std::max(secs, 1e-9) << std::endl;
      interval_loss = 0.0;
      interval_n = 0;
    }
    if (step % o.checkpoint_every == 0 || step == o.steps) save_checkpoint();
  }
  bar.finish();
  return {step, last_loss};
}

}  // namespace glass
