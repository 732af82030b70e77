#pragma once
#include "glass/schedules/schedule.h"

namespace glass {

// Variance preserving schedule of continuous DDPM with linear beta(tau) = b0 + tau (b1 - b0),
// tau = 1 - t: alpha = exp(-tau^2 (b1 - b0) / 4 - tau b0 / 2), sigma = sqrt(1 - alpha^2).
// alpha_0 is exp(-(b0 + b1) / 4), small but not 0: t = 0 is treated as pure noise by the samplers.
class VpSchedule final : public Schedule {
 public:
  VpSchedule(double beta_min, double beta_max);
  std::string name() const override;
  double alpha(double t) const override;
  double sigma(double t) const override;
  double d_alpha(double t) const override;
  double d_sigma(double t) const override;
  double inv_g(double r) const override;

 private:
  double log_alpha(double t) const;
  double b0_, b1_;
};

}  // namespace glass
