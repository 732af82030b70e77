// glass train: flow-matching training of a native network (U-Net on Fashion-MNIST, MLP on 2-D toys).
#include <nlohmann/json.hpp>

#include <chrono>
#include <iostream>
#include <unistd.h>

#include "commands.h"
#include "glass/data/idx_reader.h"
#include "glass/training/classifier_trainer.h"
#include "glass/training/flow_matching_trainer.h"
#include "run_options.h"
#include "training_data.h"

namespace glass::cli {

namespace {

struct TrainCommandOptions {
  std::string task = "flow";
  int64_t epochs = 4;
  std::string data = "fashion-mnist";
  std::string data_dir = kFashionMnistDir;
  std::string out = "glass-train";
  int64_t width = 0;  // 0: 32 for the U-Net, 256 for the MLP
  int64_t depth = 3;
  int threads = 0;
  bool quiet = false;
  bool conditional = false;  // fashion-mnist: a class-conditional U-Net (10 classes and the null label)
  TrainOptions train;
};

void run_classifier(const TrainCommandOptions& o) {
  if (o.data != "fashion-mnist") throw std::invalid_argument("the classifier trains on fashion-mnist only");
  const LabelledImages train = load_fashion_mnist("train", o.data_dir), test = load_fashion_mnist("test", o.data_dir);
  const auto start = std::chrono::steady_clock::now();
  ClassifierTrainOptions co{o.epochs, o.train.batch, o.train.learning_rate, o.train.seed, !o.quiet && ::isatty(2)};
  const ClassifierTrainResult r = train_classifier(train, test, co, o.out);
  std::cout << nlohmann::json{{"command", "train"},
                              {"task", "classifier"},
                              {"epochs", o.epochs},
                              {"test_accuracy", r.test_accuracy},
                              {"final_loss", r.final_loss},
                              {"out", o.out},
                              {"seed", o.train.seed},
                              {"threads", torch::get_num_threads()},
                              {"wall_seconds",
                               std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count()}}
                   .dump(2)
            << std::endl;
}

void run_train(TrainCommandOptions o) {
  set_threads(o.threads);
  if (o.task == "classifier") return run_classifier(o);
  NativeNetConfig config;
  config.data = o.data;
  if (o.conditional && o.data != "fashion-mnist")
    throw std::invalid_argument("--conditional trains on fashion-mnist's labels only");
  if (o.data == "fashion-mnist") {
    config.arch = "unet";
    config.sample_shape = {1, 28, 28};
    config.width = o.width > 0 ? o.width : 32;
    if (o.conditional) config.classes = 10;
  } else {
    config.arch = "mlp";
    config.sample_shape = {2};
    config.width = o.width > 0 ? o.width : 256;
    config.depth = o.depth;
  }
  o.train.progress = !o.quiet && ::isatty(2);
  const auto start = std::chrono::steady_clock::now();
  const TrainResult r = o.conditional ? train_flow_matching(config, labelled_training_data(o.data_dir), o.train, o.out)
                                      : train_flow_matching(config, training_data(o.data, o.data_dir), o.train, o.out);
  const nlohmann::json summary{
      {"command", "train"},
      {"data", o.data},
      {"model", config.to_json()},
      {"steps", r.steps_done},
      {"final_loss", r.final_loss},
      {"label_dropout", config.classes > 0 ? nlohmann::json(o.train.label_dropout) : nlohmann::json()},
      {"init", o.train.init_from},
      {"out", o.out},
      {"seed", o.train.seed},
      {"threads", torch::get_num_threads()},
      {"wall_seconds", std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count()}};
  std::cout << summary.dump(2) << std::endl;
}

}  // namespace

void add_train_command(CLI::App& app) {
  auto o = std::make_shared<TrainCommandOptions>();
  CLI::App* cmd = app.add_subcommand("train", "train a flow model (CondOT flow matching, velocity target)");
  cmd->add_option("--task", o->task, "flow (a generative model) or classifier (the Fashion-MNIST reward/FID network)")
      ->check(CLI::IsMember({"flow", "classifier"}))
      ->capture_default_str();
  cmd->add_option("--epochs", o->epochs, "classifier: passes over the training set")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--data", o->data, "fashion-mnist (U-Net) or a 2-D toy set: checkerboard, moons, rings (MLP)")
      ->check(CLI::IsMember({"fashion-mnist", "checkerboard", "moons", "rings"}))
      ->capture_default_str();
  cmd->add_option("--data-dir", o->data_dir, "folder with the Fashion-MNIST IDX files")->capture_default_str();
  cmd->add_option("-o,--out", o->out, "output folder (model.pt, model.json, checkpoint/, train.log)")
      ->capture_default_str();
  cmd->add_option("--width", o->width, "U-Net base channels or MLP width (0: default)")->check(CLI::NonNegativeNumber);
  cmd->add_option("--depth", o->depth, "MLP hidden layers")->check(CLI::PositiveNumber)->capture_default_str();
  cmd->add_option("--steps", o->train.steps, "optimiser steps in total")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--batch", o->train.batch, "batch size")->check(CLI::PositiveNumber)->capture_default_str();
  cmd->add_option("--lr", o->train.learning_rate, "Adam learning rate")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--warmup", o->train.warmup, "linear learning-rate warm-up steps")->capture_default_str();
  cmd->add_option("--ema", o->train.ema_decay, "EMA decay of the saved weights")
      ->check(CLI::Range(0.0, 0.99999))
      ->capture_default_str();
  cmd->add_option("--log-every", o->train.log_every, "steps per train.log line")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--checkpoint-every", o->train.checkpoint_every, "steps per checkpoint")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_flag("--resume", o->train.resume, "continue from the checkpoint in --out");
  cmd->add_flag("--conditional", o->conditional,
                "fashion-mnist: a class-conditional U-Net (labels 0-9, null label 10) for --class and --cfg");
  cmd->add_option("--label-dropout", o->train.label_dropout,
                  "--conditional: share of labels replaced by the null label (the unconditional model CFG needs)")
      ->check(CLI::Range(0.0, 0.99))
      ->capture_default_str();
  cmd->add_option("--init", o->train.init_from,
                  "start from this native model's weights (model.json; an unconditional U-Net for --conditional)")
      ->check(CLI::ExistingFile);
  cmd->add_option("-s,--seed", o->train.seed, "random seed")->capture_default_str();
  cmd->add_option("-t,--threads", o->threads, "CPU threads (0: all cores)")->check(CLI::NonNegativeNumber);
  cmd->add_flag("-q,--quiet", o->quiet, "no progress bar");
  cmd->callback([o, cmd] {
    // A flag that would change nothing is an error, not silently ignored.
    if (!o->conditional && cmd->count("--label-dropout") > 0)
      throw std::invalid_argument("--label-dropout has no effect without --conditional");
    run_train(*o);
  });
}

}  // namespace glass::cli
