#include "glass/guidance/denoiser_guidance.h"

#include <cmath>
#include <stdexcept>

namespace glass {

void DenoiserGuidance::validate() const {
  if (!reward) throw std::invalid_argument("denoiser guidance: no reward");
  if (!reward->differentiable())
    throw std::invalid_argument("reward '" + reward->name() + "' has no gradient: it cannot guide");
  scale.validate("denoiser guidance");
  if (!std::isfinite(lambda) || lambda < 0.0) throw std::invalid_argument("denoiser guidance: lambda must be >= 0");
}

std::vector<double> DenoiserGuidance::coefficients(const Schedule& schedule, const std::vector<double>& t) const {
  std::vector<double> c(t.size(), 0.0);
  for (size_t i = 0; i < t.size(); ++i) {
    const double a = schedule.alpha(t[i]), s = schedule.sigma(t[i]);
    if (a > 0.0 && s > 0.0) c[i] = scale.at(t[i]) * lambda * s * s / a;
  }
  return c;
}

}  // namespace glass
