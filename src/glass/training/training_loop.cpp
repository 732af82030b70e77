#include "glass/training/training_loop.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "glass/training/checkpoint.h"
#include "glass/training/ema.h"
#include "glass/util/progress_bar.h"
#include "glass/util/random.h"

namespace glass {

TrainingLoopResult run_training_loop(torch::nn::Module& module, const TrainOptions& o, const std::string& out_dir,
                                     const TrainingLoopSpec& spec, const StepLossFn& step_loss) {
  Ema ema(module, o.ema_decay);
  torch::optim::Adam optimizer(module.parameters(), torch::optim::AdamOptions(o.learning_rate));
  const std::filesystem::path dir(out_dir);
  const TrainingCheckpoint checkpoint(out_dir);
  int64_t step = o.resume ? checkpoint.resume(module, ema, optimizer) : 0;
  std::ofstream log(dir / "train.log", std::ios::app);
  log << "# " << (step > 0 ? "resumed at step " + std::to_string(step) : std::string("started")) << ", "
      << spec.description << ", batch " << o.batch << ", lr " << o.learning_rate << ", ema " << o.ema_decay
      << ", threads " << torch::get_num_threads() << "\n";

  module.train();
  ProgressBar bar(spec.name, o.steps, o.progress);
  const auto start = std::chrono::steady_clock::now();
  const int64_t first = step;
  TrainingLoopResult result;
  std::vector<double> sums;
  int64_t interval_n = 0;
  while (step < o.steps) {
    at::Generator gen = make_generator(o.seed * 1000003ULL + static_cast<uint64_t>(step));
    const StepLoss l = step_loss(step, gen);
    optimizer.zero_grad();
    l.loss.backward();
    torch::nn::utils::clip_grad_norm_(module.parameters(), 1.0);
    const double warm =
        std::min(1.0, static_cast<double>(step + 1) / static_cast<double>(std::max<int64_t>(1, o.warmup)));
    const double lr = o.learning_rate * warm * (spec.lr_factor ? spec.lr_factor(step) : 1.0);
    for (auto& group : optimizer.param_groups()) static_cast<torch::optim::AdamOptions&>(group.options()).lr(lr);
    optimizer.step();
    ++step;
    ema.update(module, step);

    sums.resize(l.parts.size(), 0.0);
    std::string note;
    for (size_t i = 0; i < l.parts.size(); ++i) {
      const auto& [name, value] = l.parts[i];
      if (!std::isfinite(value))
        throw std::runtime_error(spec.name + ": the " + name + " loss became " + std::to_string(value) + " at step " +
                                 std::to_string(step));
      sums[i] += value;
      char text[64];
      std::snprintf(text, sizeof text, "%s%s %.4f", i ? " " : "", name.c_str(), value);
      note += text;
    }
    ++interval_n;
    bar.update(step, note);
    if (step % o.log_every == 0 || step == o.steps) {
      result.last_parts.assign(sums.size(), 0.0);
      log << "step " << step;
      for (size_t i = 0; i < sums.size(); ++i) {
        result.last_parts[i] = sums[i] / static_cast<double>(interval_n);
        log << " " << l.parts[i].first << " " << result.last_parts[i];
      }
      const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      log << " lr " << lr << " elapsed_s " << secs << " steps_per_s "
          << static_cast<double>(step - first) / std::max(secs, 1e-9) << std::endl;
      std::fill(sums.begin(), sums.end(), 0.0);
      interval_n = 0;
    }
    if (step % o.checkpoint_every == 0 || step == o.steps) {
      checkpoint.save(module, ema, optimizer, step);
      ema.save_as_weights(module, (dir / spec.weights_file).string());
    }
  }
  bar.finish();
  result.steps_done = step;
  return result;
}

}  // namespace glass
