#include "glass/models/parameterisation.h"

#include <cmath>
#include <stdexcept>

#include "glass/util/particle_scalars.h"

namespace glass {

torch::Tensor denoiser_from_prediction(const Schedule& s, Prediction prediction, const torch::Tensor& x,
                                       const torch::Tensor& out, const std::vector<double>& t) {
  if (prediction == Prediction::Denoiser) return out;
  std::vector<double> cx(t.size()), co(t.size());
  for (size_t i = 0; i < t.size(); ++i) {
    const double a = s.alpha(t[i]), sg = s.sigma(t[i]);
    if (prediction == Prediction::Velocity) {
      // D = (sigma u - sigma' x) / (alpha' sigma - sigma' alpha)
      const double da = s.d_alpha(t[i]), ds = s.d_sigma(t[i]);
      const double den = da * sg - ds * a;
      if (!(std::abs(den) > 0.0) || !std::isfinite(den))
        throw std::runtime_error("flow model: velocity -> denoiser is undefined at t = " + std::to_string(t[i]));
      cx[i] = -ds / den;
      co[i] = sg / den;
    } else if (prediction == Prediction::VPrediction) {
      // x = alpha z + sigma eps and v = alpha eps - sigma z give z = (alpha x - sigma v) / (alpha^2 + sigma^2)
      const double norm = a * a + sg * sg;
      cx[i] = a / norm;
      co[i] = -sg / norm;
    } else {
      // D = (x - sigma eps) / alpha
      if (!(a > 0.0))
        throw std::runtime_error("flow model: a noise-predicting model has no denoiser at alpha_t = 0 (t = " +
                                 std::to_string(t[i]) + "); start the time grid above it");
      cx[i] = 1.0 / a;
      co[i] = -sg / a;
    }
  }
  return scaled_sum(cx, x, co, out);
}

double velocity_per_denoiser(const Schedule& s, double t) {
  const double sg = s.sigma(t);
  if (!(sg > 0.0))
    throw std::runtime_error("flow model: the velocity of a non-velocity model is undefined at sigma_t = 0 (t = 1)");
  return s.d_alpha(t) - s.alpha(t) * s.d_sigma(t) / sg;
}

torch::Tensor velocity_from_denoiser(const Schedule& s, const torch::Tensor& x, const torch::Tensor& denoised,
                                     const std::vector<double>& t) {
  std::vector<double> cx(t.size()), cd(t.size());
  for (size_t i = 0; i < t.size(); ++i) {
    cd[i] = velocity_per_denoiser(s, t[i]);
    cx[i] = s.d_sigma(t[i]) / s.sigma(t[i]);
  }
  return scaled_sum(cx, x, cd, denoised);
}

}  // namespace glass
