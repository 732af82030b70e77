#pragma once
// The measurements experiments share, each with its sampling uncertainty: classifier-FID with a
// bootstrap interval, feature diversity, means and proportions with normal intervals, Pearson's r
// with Fisher's interval, energy distances.
#include <torch/torch.h>

#include <map>

#include "glass/data/idx_reader.h"
#include "glass/models/classifier.h"
#include "glass/stats/energy_distance.h"

namespace glass::cli {

struct Estimate {
  double value = 0.0, low = 0.0, high = 0.0;  // a 95% interval [low, high]
};

// Mean of i.i.d. values with 1.96 standard errors.
Estimate mean_interval(const torch::Tensor& values);
// Share of successes among n with the Wilson interval.
Estimate proportion_interval(int64_t successes, int64_t n);
// Pearson's r with Fisher's z interval (n pairs).
Estimate pearson_interval(const torch::Tensor& a, const torch::Tensor& b);

// What a set of generated images is worth through the classifier.
struct ImageSetScore {
  Estimate fid_test, fid_class, class_share;  // class figures only with a target class
  double diversity = 0.0;
  int classes_present = 0;
};

// Fashion-MNIST through the shipped classifier: its features of the test set, once.
class ImageScorer {
 public:
  explicit ImageScorer(const std::string& classifier_path);
  torch::Tensor features(const torch::Tensor& images);  // [N, 128]
  torch::Tensor predicted_classes(const torch::Tensor& images);
  // Frechet distance to the reference's moments (the test set, or one class of it) with 1.96
  // bootstrap standard deviations over the samples (`resamples` redraws; the reference is kept).
  Estimate fid(const torch::Tensor& sample_features, const Moments& reference, at::Generator& gen, int resamples = 50);
  // Mean Euclidean distance between the features of two different samples: spread, not quality.
  static double diversity(const torch::Tensor& sample_features);
  // target_class < 0: no class figures (NaN).
  ImageSetScore assess(const torch::Tensor& images, int64_t target_class, at::Generator& gen);
  // The moments of the test set's features and of one class's, computed once: each FID's 50
  // bootstrap redraws would otherwise recompute them (most of an experiment's scoring time).
  const Moments& test_moments() const { return test_moments_; }
  const Moments& class_moments(int64_t label);
  const LabelledImages& test() const { return test_; }

 private:
  Classifier classifier_;
  LabelledImages test_;
  torch::Tensor test_features_;
  Moments test_moments_;
  std::map<int64_t, Moments> class_moments_;
};

}  // namespace glass::cli
