#pragma once
#include "glass/schedules/schedule.h"

namespace glass {

// Polynomial schedule: alpha = t^n, sigma = 1 - t^n (n > 0; n = 1 is CondOT).
class PolynomialSchedule final : public Schedule {
 public:
  explicit PolynomialSchedule(double exponent);
  std::string name() const override;
  double alpha(double t) const override;
  double sigma(double t) const override;
  double d_alpha(double t) const override;
  double d_sigma(double t) const override;
  double inv_g(double r) const override;

 private:
  double n_;
};

}  // namespace glass
