#include "glass/transitions/precision_pooling.h"

#include <algorithm>

namespace glass {

namespace {
// t* approaches 1 only as the noise of the pooled statistic vanishes; keep the model off it.
constexpr double kMaxInnerTime = 1.0 - 1e-7;
}  // namespace

PooledInput pool_measurements(const Schedule& sch, double alpha, double sigma, double a, double b) {
  const double snr_x = alpha / sigma, snr_y = a / b, lam = snr_x * snr_x + snr_y * snr_y;
  if (!(lam > 0.0)) return {0.0, 0.0, 1.0 / sigma, 0.0};
  const double t_star = std::min(sch.inv_g(1.0 / lam), kMaxInnerTime);
  const double k = sch.alpha(t_star) / lam;
  return {lam, t_star, k * (snr_x / sigma), k * (snr_y / b)};
}

}  // namespace glass
