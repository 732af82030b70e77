#include "experiments/experiment_stats.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "glass/stats/frechet_distance.h"
#include "glass/stats/image_quality.h"
#include "glass/training/classifier_trainer.h"
#include "glass/util/random.h"

namespace glass::cli {

Estimate mean_interval(const torch::Tensor& values) {
  const torch::Tensor v = values.to(torch::kFloat64).reshape({-1});
  const double mean = v.mean().item<double>();
  const double se = v.numel() > 1 ? v.std().item<double>() / std::sqrt(static_cast<double>(v.numel())) : 0.0;
  return {mean, mean - 1.96 * se, mean + 1.96 * se};
}

Estimate proportion_interval(int64_t successes, int64_t n) {
  if (n <= 0) return {NAN, NAN, NAN};
  const double z = 1.96, p = static_cast<double>(successes) / n, nn = static_cast<double>(n);
  const double centre = (p + z * z / (2 * nn)) / (1 + z * z / nn);
  const double half = z / (1 + z * z / nn) * std::sqrt(p * (1 - p) / nn + z * z / (4 * nn * nn));
  return {p, centre - half, centre + half};
}

Estimate pearson_interval(const torch::Tensor& a, const torch::Tensor& b) {
  const torch::Tensor x = a.to(torch::kFloat64).reshape({-1}), y = b.to(torch::kFloat64).reshape({-1});
  const torch::Tensor xc = x - x.mean(), yc = y - y.mean();
  const double r = ((xc * yc).sum() / (xc.norm() * yc.norm())).item<double>();
  const double n = static_cast<double>(x.numel());
  if (n < 4 || !std::isfinite(r)) return {r, NAN, NAN};
  // Clamped off +-1 so atanh stays finite; the bounds then still enclose r itself.
  const double z = std::atanh(std::clamp(r, -1 + 1e-15, 1 - 1e-15)), half = 1.96 / std::sqrt(n - 3);
  return {r, std::min(r, std::tanh(z - half)), std::max(r, std::tanh(z + half))};
}

ImageScorer::ImageScorer(const std::string& classifier_path)
    : classifier_(load_classifier(classifier_path)), test_(load_fashion_mnist("test")) {
  test_features_ = classifier_features(classifier_, test_.images);
  test_moments_ = moments(test_features_);
}

torch::Tensor ImageScorer::features(const torch::Tensor& images) {
  return classifier_features(classifier_, images.clamp(-1, 1));
}

torch::Tensor ImageScorer::predicted_classes(const torch::Tensor& images) {
  torch::NoGradGuard no_grad;
  classifier_->eval();
  return classifier_->forward(images.clamp(-1, 1).to(torch::kFloat32)).argmax(1);
}

Estimate ImageScorer::fid(const torch::Tensor& sample_features, const Moments& reference, at::Generator& gen,
                          int resamples) {
  const auto distance = [&](const torch::Tensor& f) {
    if (f.dim() != 2 || f.size(0) < 2) throw std::invalid_argument("FID: need at least 2 samples");
    const Moments m = moments(f);
    return frechet_distance(m.mean, m.cov, reference.mean, reference.cov);
  };
  const double value = distance(sample_features);
  std::vector<double> draws;
  const int64_t n = sample_features.size(0);
  for (int b = 0; b < resamples; ++b) {
    const torch::Tensor rows = torch::randint(n, {n}, gen, torch::kLong);
    draws.push_back(distance(sample_features.index_select(0, rows)));
  }
  if (draws.size() < 2) return {value, NAN, NAN};
  // 1.96 bootstrap standard deviations around the estimate. Resampling duplicates rows, which
  // shrinks the feature covariance and biases every redraw's FID upwards (at 64 samples by more
  // than the spread), so percentile intervals would miss the estimate; the spread is what is kept.
  const torch::Tensor d = torch::tensor(draws, torch::kFloat64);
  const double sd = d.std().item<double>();
  return {value, value - 1.96 * sd, value + 1.96 * sd};
}

double ImageScorer::diversity(const torch::Tensor& sample_features) {
  const int64_t n = sample_features.size(0);
  if (n < 2) return NAN;
  const torch::Tensor f = sample_features.to(torch::kFloat64);
  return torch::cdist(f, f).sum().item<double>() / static_cast<double>(n * (n - 1));
}

ImageSetScore ImageScorer::assess(const torch::Tensor& images, int64_t target_class, at::Generator& gen) {
  const torch::Tensor f = features(images), classes = predicted_classes(images);
  ImageSetScore s;
  s.fid_test = fid(f, test_moments_, gen);
  s.diversity = diversity(f);
  s.classes_present = static_cast<int>(std::get<0>(at::_unique(classes)).numel());
  s.fid_class = s.class_share = {NAN, NAN, NAN};
  if (target_class >= 0) {
    s.fid_class = fid(f, class_moments(target_class), gen);
    s.class_share = proportion_interval((classes == target_class).sum().item<int64_t>(), classes.numel());
  }
  return s;
}

const Moments& ImageScorer::class_moments(int64_t label) {
  auto found = class_moments_.find(label);
  if (found == class_moments_.end())
    found = class_moments_.emplace(label, moments(test_features_.index({test_.labels == label}))).first;
  return found->second;
}

}  // namespace glass::cli
