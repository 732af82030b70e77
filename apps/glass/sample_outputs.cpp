#include "sample_outputs.h"

#include <cmath>
#include <cstdlib>
#include <filesystem>

#include "glass/io/png_image.h"
#include "glass/io/tensor_files.h"
#include "glass/stats/image_quality.h"
#include "glass/training/classifier_trainer.h"

namespace glass::cli {

nlohmann::json write_samples(const RunOptions& run, const torch::Tensor& samples, const torch::Tensor& reference) {
  nlohmann::json files;
  write_csv(run.path("samples.csv"), samples);
  write_npy(run.path("samples.npy"), samples);
  files["csv"] = run.path("samples.csv");
  files["npy"] = run.path("samples.npy");
  if (samples.dim() == 2 && samples.size(1) == 2) {
    std::vector<ScatterLayer> layers;
    if (reference.defined()) layers.push_back({reference, {150, 150, 150}, 0.35});
    layers.push_back({samples, {30, 90, 200}, 0.6});
    write_png(run.path("samples.png"), scatter_plot(layers));
    files["png"] = run.path("samples.png");
  } else if (samples.dim() == 4 && (samples.size(1) == 1 || samples.size(1) == 3)) {
    const int columns =
        static_cast<int>(std::ceil(std::sqrt(static_cast<double>(std::min<int64_t>(samples.size(0), 256)))));
    write_png(run.path("samples.png"),
              image_grid(samples.narrow(0, 0, std::min<int64_t>(samples.size(0), 256)), columns));
    files["png"] = run.path("samples.png");
  }
  return files;
}

nlohmann::json fashion_mnist_quality(const torch::Tensor& images, const std::string& classifier_path) {
  return FashionMnistScorer(classifier_path).score(images);
}

FashionMnistScorer::FashionMnistScorer(const std::string& classifier_path)
    : path_(classifier_path), classifier_(load_classifier(classifier_path)) {
  const LabelledImages test = load_fashion_mnist("test");
  test_features_ = classifier_features(classifier_, test.images);
  test_labels_ = test.labels;
}

nlohmann::json FashionMnistScorer::score(const torch::Tensor& images, int64_t target_class) {
  const ImageQuality q = assess_images(classifier_, images, test_features_);
  // One image has no covariance: no classifier-FID, the class counts still.
  nlohmann::json out{{"class_counts", q.class_counts}, {"classes_present", q.classes_present}, {"classifier", path_}};
  if (q.fid) out["classifier_fid_vs_test"] = *q.fid;
  if (target_class >= 0 && target_class < static_cast<int64_t>(q.class_counts.size())) {
    const torch::Tensor of_class = test_features_.index({test_labels_ == target_class});
    out["target_class"] = target_class;
    if (q.fid) out["classifier_fid_vs_target_class"] = *assess_images(classifier_, images, of_class).fid;
    out["target_class_fraction"] =
        static_cast<double>(q.class_counts[static_cast<size_t>(target_class)]) / static_cast<double>(images.size(0));
  }
  return out;
}

std::vector<double> to_doubles(const torch::Tensor& t) {
  const torch::Tensor c = t.detach().to(torch::kCPU, torch::kFloat64).contiguous().reshape({-1});
  return std::vector<double>(c.data_ptr<double>(), c.data_ptr<double>() + c.numel());
}

std::string default_model_path(const std::string& relative) {
  const char* env = std::getenv("GLASS_MODELS_DIR");
  return (std::filesystem::path(env && *env ? env : GLASS_MODELS_DIR) / relative).string();
}

}  // namespace glass::cli
