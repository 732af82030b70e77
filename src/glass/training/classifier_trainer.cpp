#include "glass/training/classifier_trainer.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>

#include "glass/io/atomic_file.h"
#include "glass/models/native_net.h"
#include "glass/util/progress_bar.h"
#include "glass/util/random.h"

namespace glass {

namespace fs = std::filesystem;

double classifier_accuracy(Classifier& model, const LabelledImages& data) {
  torch::NoGradGuard no_grad;
  model->eval();
  int64_t correct = 0;
  const int64_t n = data.images.size(0);
  for (int64_t i = 0; i < n; i += 1000) {
    const int64_t m = std::min<int64_t>(1000, n - i);
    const torch::Tensor pred = model->forward(data.images.narrow(0, i, m)).argmax(1);
    correct += (pred == data.labels.narrow(0, i, m)).sum().item<int64_t>();
  }
  return static_cast<double>(correct) / static_cast<double>(n);
}

ClassifierTrainResult train_classifier(const LabelledImages& train, const LabelledImages& test,
                                       const ClassifierTrainOptions& o, const std::string& out_dir) {
  torch::manual_seed(o.seed);
  Classifier model;
  torch::optim::Adam optimizer(model->parameters(), torch::optim::AdamOptions(o.learning_rate));
  fs::create_directories(out_dir);
  std::ofstream log(fs::path(out_dir) / "train.log", std::ios::app);
  const int64_t n = train.images.size(0), per_epoch = n / o.batch;
  ProgressBar bar("classifier", o.epochs * per_epoch, o.progress);
  const auto start = std::chrono::steady_clock::now();
  double running = 0.0;
  for (int64_t epoch = 0; epoch < o.epochs; ++epoch) {
    model->train();
    at::Generator gen = make_generator(o.seed * 7919ULL + static_cast<uint64_t>(epoch));
    const torch::Tensor order = at::randperm(n, gen, torch::kInt64);
    double epoch_loss = 0.0;
    for (int64_t b = 0; b < per_epoch; ++b) {
      const torch::Tensor idx = order.narrow(0, b * o.batch, o.batch);
      const torch::Tensor loss = torch::cross_entropy_loss(model->forward(train.images.index_select(0, idx)),
                                                           train.labels.index_select(0, idx));
      optimizer.zero_grad();
      loss.backward();
      optimizer.step();
      epoch_loss += loss.item<double>();
      char note[48];
      std::snprintf(note, sizeof note, "loss %.3f", loss.item<double>());
      bar.update(epoch * per_epoch + b + 1, note);
    }
    running = epoch_loss / per_epoch;
    const double acc = classifier_accuracy(model, test);
    log << "epoch " << epoch + 1 << " loss " << running << " test_accuracy " << acc << " elapsed_s "
        << std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() << std::endl;
  }
  bar.finish();
  const double acc = classifier_accuracy(model, test);
  save_weights(*model, (fs::path(out_dir) / "model.pt").string());
  write_text_atomically((fs::path(out_dir) / "model.json").string(), nlohmann::json{{"arch", "classifier"},
                                                                                    {"classes", 10},
                                                                                    {"data", "fashion-mnist"},
                                                                                    {"test_accuracy", acc},
                                                                                    {"feature_dim", 128}}
                                                                             .dump(2) +
                                                                         "\n");
  return {acc, running};
}

Classifier load_classifier(const std::string& path) {
  fs::path weights(path);
  if (fs::is_directory(weights)) weights /= "model.pt";
  if (weights.extension() == ".json") weights.replace_extension(".pt");
  if (!fs::exists(weights)) throw std::invalid_argument("classifier weights '" + weights.string() + "' do not exist");
  Classifier model;
  load_weights(*model, weights.string());
  model->eval();
  return model;
}

}  // namespace glass
