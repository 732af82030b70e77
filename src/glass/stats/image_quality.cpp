#include "glass/stats/image_quality.h"

#include "glass/stats/frechet_distance.h"

namespace glass {

torch::Tensor classifier_features(Classifier& classifier, const torch::Tensor& images) {
  torch::NoGradGuard no_grad;
  classifier->eval();
  std::vector<torch::Tensor> parts;
  for (int64_t i = 0; i < images.size(0); i += 1000)
    parts.push_back(
        classifier->features(images.narrow(0, i, std::min<int64_t>(1000, images.size(0) - i)).to(torch::kFloat32)));
  return torch::cat(parts);
}

ImageQuality assess_images(Classifier& classifier, const torch::Tensor& images,
                           const torch::Tensor& reference_features) {
  torch::NoGradGuard no_grad;
  ImageQuality q;
  const torch::Tensor feats = classifier_features(classifier, images.clamp(-1, 1));
  if (images.size(0) >= 2) q.fid = frechet_distance(feats, reference_features);
  const torch::Tensor counts =
      torch::bincount(classifier->forward(images.clamp(-1, 1).to(torch::kFloat32)).argmax(1), {}, 10);
  for (int64_t k = 0; k < 10; ++k) {
    q.class_counts.push_back(counts[k].item<int64_t>());
    q.classes_present += q.class_counts.back() > 0;
  }
  return q;
}

}  // namespace glass
