#pragma once
// The exact conversions between what models predict, per particle at library times `t`, for
// x = alpha z + sigma eps. Differentiable in x and in the prediction.
#include <torch/torch.h>

#include <vector>

#include "glass/models/model_spec.h"
#include "glass/schedules/schedule.h"

namespace glass {

// D_t(x) from a prediction of kind `prediction` (velocity: dx/dt in library time).
torch::Tensor denoiser_from_prediction(const Schedule& s, Prediction prediction, const torch::Tensor& x,
                                       const torch::Tensor& out, const std::vector<double>& t);

// u_t(x) = (sigma'/sigma) x + (alpha' - alpha sigma'/sigma) D; needs sigma_t > 0.
torch::Tensor velocity_from_denoiser(const Schedule& s, const torch::Tensor& x, const torch::Tensor& denoised,
                                     const std::vector<double>& t);

// How much u_t moves per unit of D_t at fixed x: alpha' - alpha sigma'/sigma (needs sigma_t > 0).
double velocity_per_denoiser(const Schedule& s, double t);

}  // namespace glass
