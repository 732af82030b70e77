#pragma once
#include "glass/schedules/schedule.h"

namespace glass {

// Conditional optimal transport / rectified flow: alpha = t, sigma = 1 - t.
class CondOtSchedule final : public Schedule {
 public:
  std::string name() const override { return "condot"; }
  double alpha(double t) const override { return t; }
  double sigma(double t) const override { return 1.0 - t; }
  double d_alpha(double) const override { return 1.0; }
  double d_sigma(double) const override { return -1.0; }
  double inv_g(double r) const override;
};

}  // namespace glass
