#pragma once
#include "glass/schedules/schedule.h"

namespace glass {

// Cosine schedule: alpha = sin(pi t / 2), sigma = cos(pi t / 2).
class CosineSchedule final : public Schedule {
 public:
  std::string name() const override { return "cosine"; }
  double alpha(double t) const override;
  double sigma(double t) const override;
  double d_alpha(double t) const override;
  double d_sigma(double t) const override;
  double inv_g(double r) const override;
};

}  // namespace glass
