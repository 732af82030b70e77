#include "glass/transitions/glass_coefficients.h"

#include <cmath>

namespace glass {

GlassCoefficients glass_coefficients(const Schedule& s, double t, double t_next, double rho) {
  const double sn = s.sigma(t_next), sg = s.sigma(t);
  // rho sigma_t' / sigma_t; sigma_t > 0 because t < t' <= 1.
  const double gam = rho == 0.0 ? 0.0 : rho * sn / sg;
  return {gam, s.alpha(t_next) - gam * s.alpha(t), sn * std::sqrt((1.0 - rho) * (1.0 + rho))};
}

}  // namespace glass
