#pragma once
// Quality of Fashion-MNIST-like samples seen through the classifier: the Frechet distance of its
// features to those of the test set (classifier-FID) and the histogram of predicted classes.
#include <torch/torch.h>

#include <optional>

#include "glass/data/idx_reader.h"
#include "glass/models/classifier.h"

namespace glass {

struct ImageQuality {
  std::optional<double> fid;          // none for fewer than 2 images (no covariance)
  std::vector<int64_t> class_counts;  // predicted class of each sample, counted
  int classes_present = 0;
};

torch::Tensor classifier_features(Classifier& classifier, const torch::Tensor& images);  // [N, 128], batched

ImageQuality assess_images(Classifier& classifier, const torch::Tensor& images,
                           const torch::Tensor& reference_features);

}  // namespace glass
