#pragma once
// Per-particle coefficients of the GLASS kernel x_t' = abar z + gam x_t + sbar eta (spec 3).
#include "glass/schedules/schedule.h"

namespace glass {

struct GlassCoefficients {
  double gam, abar, sbar;
};

GlassCoefficients glass_coefficients(const Schedule& s, double t, double t_next, double rho);

}  // namespace glass
