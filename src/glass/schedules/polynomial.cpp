#include "glass/schedules/polynomial.h"

#include <cmath>
#include <stdexcept>

namespace glass {

PolynomialSchedule::PolynomialSchedule(double exponent) : n_(exponent) {
  if (!(exponent > 0.0) || !std::isfinite(exponent))
    throw std::invalid_argument("polynomial schedule: the exponent must be a positive number");
}

std::string PolynomialSchedule::name() const { return "poly:" + std::to_string(n_); }
double PolynomialSchedule::alpha(double t) const { return std::pow(t, n_); }
double PolynomialSchedule::sigma(double t) const { return 1.0 - std::pow(t, n_); }
double PolynomialSchedule::d_alpha(double t) const { return n_ * std::pow(t, n_ - 1.0); }
double PolynomialSchedule::d_sigma(double t) const { return -n_ * std::pow(t, n_ - 1.0); }
// (1 - a) / a = sqrt(r) with a = t^n.
double PolynomialSchedule::inv_g(double r) const { return std::pow(1.0 / (1.0 + std::sqrt(r)), 1.0 / n_); }

}  // namespace glass
