#pragma once
// What every sampling subcommand writes: samples as CSV and .npy, a PNG scatter for 2-D data
// (over exact reference draws when the model is a mixture), and mixture-fit figures.
#include <nlohmann/json.hpp>

#include "glass/models/classifier.h"
#include "run_options.h"

namespace glass::cli {

// `reference` (optional, [N, 2]) is drawn in grey under the samples.
nlohmann::json write_samples(const RunOptions& run, const torch::Tensor& samples, const torch::Tensor& reference);

// Classifier-FID against the Fashion-MNIST test set and predicted-class counts of image samples.
nlohmann::json fashion_mnist_quality(const torch::Tensor& images, const std::string& classifier_path);

// The same, for several sample sets: loads the classifier and the test set's features once.
class FashionMnistScorer {
 public:
  explicit FashionMnistScorer(const std::string& classifier_path);
  // With target_class >= 0 it adds the FID to that class's test images and the share of samples
  // the classifier assigns to it.
  nlohmann::json score(const torch::Tensor& images, int64_t target_class = -1);

 private:
  std::string path_;
  Classifier classifier_;
  torch::Tensor test_features_, test_labels_;
};

// A tensor's values as float64, flattened, for JSON summaries.
std::vector<double> to_doubles(const torch::Tensor& t);

// A file of the models shipped with glass (GLASS_MODELS_DIR overrides the built-in folder).
std::string default_model_path(const std::string& relative);

}  // namespace glass::cli
