#pragma once
// Frechet distance between Gaussians fitted to two feature sets (FID when the features come from
// a classifier): |mu1 - mu2|^2 + tr(C1 + C2 - 2 (C1^1/2 C2 C1^1/2)^1/2). The matrix square roots
// are taken through symmetric eigendecompositions in float64, with round-off negative
// eigenvalues clipped to 0, so the result is real and non-negative.
#include <torch/torch.h>

namespace glass {

// Symmetric positive semi-definite square root (float64).
torch::Tensor sqrtm_psd(const torch::Tensor& a);

double frechet_distance(const torch::Tensor& mean1, const torch::Tensor& cov1, const torch::Tensor& mean2,
                        const torch::Tensor& cov2);
// From feature matrices [N, d].
double frechet_distance(const torch::Tensor& features1, const torch::Tensor& features2);

}  // namespace glass
