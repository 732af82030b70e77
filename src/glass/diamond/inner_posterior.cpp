#include "glass/diamond/inner_posterior.h"

#include <cmath>
#include <stdexcept>

#include "glass/util/particle_scalars.h"

namespace glass {

PooledInput pooled_input(const Schedule& sch, double t, double s) {
  if (!(t >= 0.0 && t < 1.0) || !(s >= 0.0 && s < 1.0))
    throw std::invalid_argument("diamond: inner posterior needs t in [0, 1) and s in [0, 1), got t = " +
                                std::to_string(t) + ", s = " + std::to_string(s));
  return pool_measurements(sch, sch.alpha(t), sch.sigma(t), s, 1.0 - s);  // xbar_s = s z + (1 - s) epsbar
}

torch::Tensor inner_posterior_denoiser(FlowModel& model, const torch::Tensor& x_t, const std::vector<double>& t,
                                       const torch::Tensor& xbar, const std::vector<double>& s) {
  const size_t n = static_cast<size_t>(x_t.size(0));
  if (t.size() != n || s.size() != n || xbar.sizes() != x_t.sizes())
    throw std::invalid_argument("diamond: x_t, xbar and the times must describe the same particles");
  std::vector<double> cx(n), cy(n), t_star(n);
  for (size_t i = 0; i < n; ++i) {
    const PooledInput p = pooled_input(model.schedule(), t[i], s[i]);
    cx[i] = p.cx;
    cy[i] = p.cy;
    t_star[i] = p.t_star;
  }
  return model.denoise(scaled_sum(cx, x_t, cy, xbar), times_tensor(t_star));
}

double early_stop_time(const Schedule& sch, double t, double t_next) {
  if (!(t >= 0.0 && t < t_next && t_next < 1.0))
    throw std::invalid_argument("diamond: an early-stop transition needs 0 <= t < t' < 1");
  const double gt = sch.g(t), gn = sch.g(t_next);  // g(0) = +inf: the pooled statistic is the map's alone
  const double g_in = std::isinf(gt) ? gn : gt * gn / (gt - gn);
  return 1.0 / (1.0 + std::sqrt(g_in));
}

}  // namespace glass
