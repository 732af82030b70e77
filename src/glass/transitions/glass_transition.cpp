#include "glass/transitions/glass_transition.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "glass/transitions/glass_coefficients.h"
#include "glass/util/particle_scalars.h"
#include "glass/util/random.h"

namespace glass {

namespace {
// t* approaches 1 only as the inner noise vanishes; keep the network off the singular end point.
constexpr double kMaxInnerTime = 1.0 - 1e-7;
}  // namespace

GlassTransition::GlassTransition(FlowModel& model, GlassOptions options) : model_(model), options_(std::move(options)) {
  if (options_.inner_steps < 1) throw std::invalid_argument("glass: need at least 1 inner step (M >= 1)");
  if (!(options_.sbar_init > 0.0) || !std::isfinite(options_.sbar_init))
    throw std::invalid_argument("glass: the inner start scale sbar_init must be positive");
}

std::string GlassTransition::name() const {
  return "glass(rho=" + options_.rho.name() + ", M=" + std::to_string(options_.inner_steps) + ")";
}

StepResult GlassTransition::step(const torch::Tensor& x, const torch::Tensor& t, const torch::Tensor& t_next,
                                 at::Generator& gen) {
  const StepTimes st = check_step(x, t, t_next);
  const Schedule& sch = model_.schedule();
  const size_t n = st.t.size();
  const int M = options_.inner_steps;
  const double s0 = options_.sbar_init, h = 1.0 / M;

  // Per-particle constants of the outer step (float64).
  std::vector<GlassCoefficients> c(n);
  std::vector<double> gam(n), snr_t(n), inv_sigma_t(n);
  for (size_t i = 0; i < n; ++i) {
    c[i] = glass_coefficients(sch, st.t[i], st.t_next[i], options_.rho(sch, st.t[i], st.t_next[i]));
    gam[i] = c[i].gam;
    const double a = sch.alpha(st.t[i]), sg = sch.sigma(st.t[i]);
    snr_t[i] = a / sg;
    inv_sigma_t[i] = 1.0 / sg;
  }

  const torch::Tensor gam_x = broadcastable(gam, x) * x;
  torch::Tensor xbar = gam_x + s0 * randn_like_on(x, gen);
  std::vector<double> t_star(n), in_x(n), in_xbar(n), keep(n), on_x(n), on_d(n);
  for (int j = 0; j < M; ++j) {
    const double s = j * h;
    for (size_t i = 0; i < n; ++i) {
      const double abar_s = s * c[i].abar, sbar_s = (1.0 - s) * s0 + s * c[i].sbar;  // > 0 for s < 1
      const double w1 = (c[i].sbar - s0) / sbar_s, w2 = c[i].abar * s0 / sbar_s;
      // GLASS denoiser: y = xbar - gam x_t is a second, independent measurement of z. Pool it
      // with x_t by precision, S = (alpha/sigma^2 x_t + abar_s/sbar_s^2 y) / lam = z + noise of
      // variance 1/lam, and ask the model at t* = g^{-1}(1/lam) with input alpha_{t*} S.
      const double snr_s = abar_s / sbar_s, lam = snr_t[i] * snr_t[i] + snr_s * snr_s;
      if (lam > 0.0) {
        t_star[i] = std::min(sch.inv_g(1.0 / lam), kMaxInnerTime);
        const double k = sch.alpha(t_star[i]) / lam;
        const double cx = snr_t[i] * inv_sigma_t[i], cy = snr_s / sbar_s;
        in_x[i] = k * (cx - cy * gam[i]);
        in_xbar[i] = k * cy;
      } else {  // t = 0 and s = 0: the limit of the pooled input is x_t / sigma_t, at t* = 0
        in_x[i] = inv_sigma_t[i];
        in_xbar[i] = 0.0;
        t_star[i] = 0.0;
      }
      // Euler: xbar += h (w1 xbar + w2 D + w3 x_t), w3 = -w1 gam
      keep[i] = 1.0 + h * w1;
      on_x[i] = -h * w1;  // multiplies gam x_t
      on_d[i] = h * w2;
    }
    const torch::Tensor net_in = broadcastable(in_x, x) * x + broadcastable(in_xbar, x) * xbar;
    const torch::Tensor d = model_.denoise(net_in, times_tensor(t_star));
    xbar = broadcastable(keep, x) * xbar + broadcastable(on_x, x) * gam_x + broadcastable(on_d, x) * d;
  }
  return {xbar, M, std::nullopt};
}

StepResult sample_posterior(FlowModel& model, const torch::Tensor& x, const torch::Tensor& t, int inner_steps,
                            at::Generator& gen) {
  // At t' = 1 the kernel does not depend on rho (gam = 0, abar = 1, sbar = 0).
  GlassTransition kernel(model, GlassOptions{RhoSchedule::constant(0.0), inner_steps, 1.0});
  return kernel.step(x, t, full_times(x.size(0), 1.0), gen);
}

}  // namespace glass
