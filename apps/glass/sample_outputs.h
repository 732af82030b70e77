#pragma once
// What every sampling subcommand writes: samples as CSV and .npy, a PNG scatter for 2-D data
// (over exact reference draws when the model is a mixture), and mixture-fit figures.
#include <nlohmann/json.hpp>

#include "model_options.h"
#include "run_options.h"

namespace glass::cli {

// `reference` (optional, [N, 2]) is drawn in grey under the samples.
nlohmann::json write_samples(const RunOptions& run, const torch::Tensor& samples, const torch::Tensor& reference);

// Classifier-FID against the Fashion-MNIST test set and predicted-class counts of image samples.
nlohmann::json fashion_mnist_quality(const torch::Tensor& images, const std::string& classifier_path);

// A file of the models shipped with glass (GLASS_MODELS_DIR overrides the built-in folder).
std::string default_model_path(const std::string& relative);

}  // namespace glass::cli
