// glass distill: a Diamond Map (one-call stochastic posterior samples and transitions) distilled
// from a flow model; the model inside the GLASS inner velocity is the teacher.
#include <nlohmann/json.hpp>

#include <chrono>
#include <iostream>
#include <unistd.h>

#include "commands.h"
#include "glass/data/toy_datasets.h"
#include "glass/diamond/diamond_trainer.h"
#include "glass/util/random.h"
#include "model_options.h"
#include "run_options.h"

namespace glass::cli {

namespace {

struct DistillCommandOptions {
  ModelOptions model;
  std::string data;  // empty: the mixture's own samples
  std::string out = "glass-diamond";
  int64_t width = 256;
  int64_t depth = 4;
  int threads = 0;
  bool quiet = false;
  DistillOptions distill;
};

void run_distill(DistillCommandOptions o) {
  set_threads(o.threads);
  LoadedModel m = load_model(o.model);
  DataSampler sampler;
  if (!o.data.empty()) {
    const std::string name = o.data;
    sampler = [name](int64_t batch, at::Generator& gen) { return sample_toy(name, batch, gen); };
  } else if (m.mixture) {
    const GaussianMixture mixture = *m.mixture;
    sampler = [mixture](int64_t batch, at::Generator& gen) { return mixture.sample(batch, gen).to(torch::kFloat32); };
  } else {
    throw std::invalid_argument(
        "distill: give --data (moons, rings, checkerboard) for a model file; a mixture "
        "brings its own samples");
  }
  at::Generator probe = make_generator(0);
  const std::vector<int64_t> data_shape = sampler(1, probe).sizes().slice(1).vec();
  if (data_shape != m.sample_shape)
    throw std::invalid_argument("distill: data of shape " + c10::str(at::IntArrayRef(data_shape)) + " for a model of " +
                                c10::str(at::IntArrayRef(m.sample_shape)));
  DiamondNetConfig config;
  config.sample_shape = m.sample_shape;
  config.width = o.width;
  config.depth = o.depth;
  if (config.sample_shape.size() != 1)
    throw std::invalid_argument("distill: the student is an MLP for samples of shape [d]; this model's are " +
                                c10::str(at::IntArrayRef(m.sample_shape)));
  o.distill.training.progress = !o.quiet && ::isatty(2);
  const auto start = std::chrono::steady_clock::now();
  const DistillResult r = distill_diamond(config, *m.model, sampler, o.distill, o.out);
  const nlohmann::json summary{
      {"command", "distill"},
      {"teacher", m.source},
      {"network", config.to_json()},
      {"steps", r.steps_done},
      {"diagonal_loss", r.diagonal_loss},
      {"self_distill_loss", r.self_distill_loss},
      {"teacher_calls", m.model->cost().calls},
      {"out", o.out},
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
  cmd->add_option("--data", o->data, "training data for a model file: a 2-D toy set (moons, rings, checkerboard)")
      ->check(CLI::IsMember({"checkerboard", "moons", "rings"}));
  cmd->add_option("-o,--out", o->out, "output folder (diamond.pt, diamond.json, checkpoint/, train.log)")
      ->capture_default_str();
  cmd->add_option("--width", o->width, "student MLP width")->check(CLI::PositiveNumber)->capture_default_str();
  cmd->add_option("--depth", o->depth, "student MLP hidden layers")->check(CLI::PositiveNumber)->capture_default_str();
  cmd->add_option("--steps", o->distill.training.steps, "optimiser steps in total")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--batch", o->distill.training.batch, "batch size")->check(CLI::Range(2, 1 << 20))->capture_default_str();
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
