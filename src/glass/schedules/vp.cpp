#include "glass/schedules/vp.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace glass {

VpSchedule::VpSchedule(double beta_min, double beta_max) : b0_(beta_min), b1_(beta_max) {
  if (!(beta_min > 0.0) || !(beta_max >= beta_min) || !std::isfinite(beta_max))
    throw std::invalid_argument("vp schedule: need 0 < beta_min <= beta_max");
}

std::string VpSchedule::name() const { return "vp:" + std::to_string(b0_) + ":" + std::to_string(b1_); }

double VpSchedule::log_alpha(double t) const {
  const double tau = 1.0 - t;
  return -tau * tau * (b1_ - b0_) / 4.0 - tau * b0_ / 2.0;
}

double VpSchedule::alpha(double t) const { return std::exp(log_alpha(t)); }
// sqrt(1 - alpha^2) = sqrt(-expm1(2 log alpha)) keeps precision near t = 1.
double VpSchedule::sigma(double t) const { return std::sqrt(-std::expm1(2.0 * log_alpha(t))); }
double VpSchedule::d_alpha(double t) const {
  const double tau = 1.0 - t;
  return alpha(t) * (tau * (b1_ - b0_) / 2.0 + b0_ / 2.0);
}
double VpSchedule::d_sigma(double t) const {
  const double s = sigma(t);
  return s > 0.0 ? -alpha(t) * d_alpha(t) / s : -INFINITY;
}

// g = 1/alpha^2 - 1  =>  log alpha = -log(1 + r) / 2, a quadratic in tau.
double VpSchedule::inv_g(double r) const {
  if (std::isinf(r)) return 0.0;
  const double target = std::log1p(r) / 2.0;  // = tau^2 (b1 - b0) / 4 + tau b0 / 2
  const double a = (b1_ - b0_) / 4.0, b = b0_ / 2.0;
  const double tau = a > 0.0 ? 2.0 * target / (b + std::sqrt(b * b + 4.0 * a * target)) : target / b;
  return std::clamp(1.0 - tau, 0.0, 1.0);
}

}  // namespace glass
