// glass distill: a Diamond Map (one-call stochastic posterior samples and transitions) distilled
// from a flow model; the model inside the GLASS inner velocity is the teacher.
#include <nlohmann/json.hpp>

#include <chrono>
#include <iostream>
#include <unistd.h>

#include "commands.h"
#include "glass/diamond/diamond_trainer.h"
#include "glass/diamond/diamond_unet.h"
#include "glass/models/model_file.h"
#include "glass/util/random.h"
#include "model_options.h"
#include "run_options.h"
#include "training_data.h"

namespace glass::cli {

namespace {

struct DistillCommandOptions {
  ModelOptions model;
  std::string data;  // empty: the mixture's own samples
  std::string data_dir = kFashionMnistDir;
  std::string out = "glass-diamond";
  int64_t width = 0;  // 0: 256 for the MLP, the flow network's for the U-Net
  int64_t depth = 4;
  std::string init;  // empty: the teacher's file when it is a native U-Net
  bool from_scratch = false;
  std::string self_distillation = "tangent";
  int threads = 0;
  bool quiet = false;
  DistillOptions distill;
};

void run_distill(DistillCommandOptions o) {
  set_threads(o.threads);
  if (!o.init.empty() && o.from_scratch)
    throw std::invalid_argument("distill: --init and --from-scratch contradict each other");
  o.distill.self_distillation = parse_named(self_distillation_names(), o.self_distillation, "self-distillation loss");
  LoadedModel m = load_model(o.model);
  DataSampler sampler;
  if (!o.data.empty()) {
    sampler = training_data(o.data, o.data_dir);
  } else if (m.mixture) {
    const GaussianMixture mixture = *m.mixture;
    sampler = [mixture](int64_t batch, at::Generator& gen) { return mixture.sample(batch, gen).to(torch::kFloat32); };
  } else {
    throw std::invalid_argument(
        "distill: give --data (fashion-mnist, moons, rings, checkerboard) for a model file; a mixture "
        "brings its own samples");
  }
  at::Generator probe = make_generator(0);
  const std::vector<int64_t> data_shape = sampler(1, probe).sizes().slice(1).vec();
  if (data_shape != m.sample_shape)
    throw std::invalid_argument("distill: data of shape " + c10::str(at::IntArrayRef(data_shape)) + " for a model of " +
                                c10::str(at::IntArrayRef(m.sample_shape)));
  DiamondNetConfig config;
  config.sample_shape = m.sample_shape;
  config.depth = o.depth;
  if (m.sample_shape.size() == 1) {
    config.arch = "mlp";
    config.width = o.width > 0 ? o.width : 256;
    if (!o.init.empty())
      throw std::invalid_argument("distill: --init starts a U-Net student; this model's samples are vectors");
  } else if (m.sample_shape.size() == 3) {
    config.arch = "unet";
    config.width = o.width > 0 ? o.width : 32;
  } else {
    throw std::invalid_argument(
        "distill: students exist for vectors [d] (MLP) and images [C, H, W] (U-Net); this "
        "model's samples are " +
        c10::str(at::IntArrayRef(m.sample_shape)));
  }
  // An image student starts from a flow U-Net: by default the teacher's own network.
  std::string init_from;
  if (config.arch == "unet" && !o.from_scratch) {
    init_from = o.init.empty() ? m.source : o.init;
    const NativeModelFile flow = [&] {
      try {
        return load_native_model_file(init_from);
      } catch (const std::invalid_argument& e) {
        throw std::invalid_argument(
            "distill: the U-Net student starts from a native flow U-Net (--init, or "
            "--from-scratch): " +
            std::string(e.what()));
      }
    }();
    config.prediction = flow.config.prediction;
    if (o.width == 0) config.width = flow.config.width;
    auto weights = std::make_shared<NativeModelFile>(flow);
    o.distill.initialise = [weights, config](torch::nn::Module& student) {
      initialise_from_flow_unet(student, config, *weights);
    };
  }
  o.distill.training.progress = !o.quiet && ::isatty(2);
  const auto start = std::chrono::steady_clock::now();
  const DistillResult r = distill_diamond(config, *m.model, sampler, o.distill, o.out);
  const nlohmann::json summary{
      {"command", "distill"},
      {"teacher", m.source},
      {"network", config.to_json()},
      {"initialised_from", init_from.empty() ? nlohmann::json(nullptr) : nlohmann::json(init_from)},
      {"steps", r.steps_done},
      {"diagonal_loss", r.diagonal_loss},
      {"self_distill_loss", r.self_distill_loss},
      {"teacher_calls", m.model->cost().calls},
      {"out", o.out},
      {"self_distillation", o.self_distillation},
      {"seed", o.distill.training.seed},
      {"threads", torch::get_num_threads()},
      {"wall_seconds", std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count()}};
  std::cout << summary.dump(2) << std::endl;
}

}  // namespace

void add_distill_command(CLI::App& app) {
  auto o = std::make_shared<DistillCommandOptions>();
  CLI::App* cmd = app.add_subcommand("distill", "distill a Diamond Map (one-call posterior samples) from a flow model");
  o->model.add_to(*cmd);
  cmd->add_option("--data", o->data,
                  "training data for a model file: fashion-mnist or a 2-D toy set (moons, rings, "
                  "checkerboard)")
      ->check(CLI::IsMember({"fashion-mnist", "checkerboard", "moons", "rings"}));
  cmd->add_option("--data-dir", o->data_dir, "folder with the Fashion-MNIST IDX files")->capture_default_str();
  cmd->add_option("-o,--out", o->out, "output folder (diamond.pt, diamond.json, checkpoint/, train.log)")
      ->capture_default_str();
  cmd->add_option("--width", o->width, "student MLP width or U-Net base channels (0: 256, or the flow U-Net's)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--init", o->init,
                  "native flow U-Net model file the image student starts from (default: the teacher)");
  cmd->add_flag("--from-scratch", o->from_scratch, "start the image student from random weights");
  cmd->add_option("--depth", o->depth, "student MLP hidden layers")->check(CLI::PositiveNumber)->capture_default_str();
  cmd->add_option("--steps", o->distill.training.steps, "optimiser steps in total")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--batch", o->distill.training.batch, "batch size")
      ->check(CLI::Range(2, 1 << 20))
      ->capture_default_str();
  cmd->add_option("--lr", o->distill.training.learning_rate, "Adam learning rate")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--warmup", o->distill.training.warmup, "linear learning-rate warm-up steps")->capture_default_str();
  cmd->add_option("--ema", o->distill.training.ema_decay, "EMA decay of the saved weights")
      ->check(CLI::Range(0.0, 0.99999))
      ->capture_default_str();
  cmd->add_option("--self-share", o->distill.self_distill_share, "share of each batch on the self-distillation loss")
      ->check(CLI::Range(0.0, 0.99))
      ->capture_default_str();
  cmd->add_option("--from-noise-share", o->distill.from_noise_share,
                  "share of the self-distillation pairs that start at s = 0, where the map is used")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  cmd->add_option("--self-distillation", o->self_distillation,
                  "tangent: (1-s') dY/ds' against the teacher, by a central difference with the gradient through "
                  "it; tangent-forward: the same loss with dY/ds' by forward-mode AD; tangent-stopped: the central "
                  "difference without the gradient (one backward pass); semigroup: one jump against two half "
                  "jumps (no teacher call)")
      ->check(CLI::IsMember(offered_names(self_distillation_names())))
      ->capture_default_str();
  cmd->add_option("--log-every", o->distill.training.log_every, "steps per train.log line")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--checkpoint-every", o->distill.training.checkpoint_every, "steps per checkpoint")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_flag("--resume", o->distill.training.resume,
                "continue from the checkpoint in --out (with the same --steps: the same weights as one run)");
  cmd->add_option("-s,--seed", o->distill.training.seed, "random seed")->capture_default_str();
  cmd->add_option("-t,--threads", o->threads, "CPU threads (0: all cores)")->check(CLI::NonNegativeNumber);
  cmd->add_flag("-q,--quiet", o->quiet, "no progress bar");
  cmd->callback([o] { run_distill(*o); });
}

}  // namespace glass::cli
