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

std::vector<double> GlassTransition::uniform_inner_grid(int M) {
  std::vector<double> s(static_cast<size_t>(M) + 1);
  for (int j = 0; j <= M; ++j) s[j] = static_cast<double>(j) / M;
  return s;
}

std::vector<double> GlassTransition::table_inner_grid(double t, const GlassCoefficients& c, int M) const {
  // Spec 6 (the paper's appendix B.4): under the CondOT inner schedule, t* equals a table time tt
  // at s = q sbar_init / (abar + q (sbar_init - sbar)) with q = sqrt(1/g(tt) - 1/g(t)) (negated
  // when abar < 0). Each uniform node's t* is moved to its nearest table step, and the node to the
  // s that reaches that step exactly; a step beyond the end of the inner flow is taken one lower.
  std::vector<double> s = uniform_inner_grid(M);
  const Schedule& sch = model_.schedule();
  if (c.abar == 0.0) return s;  // t* stays at t
  const double s0 = options_.sbar_init, inv_g_t = 1.0 / sch.g(t);
  const auto node_of = [&](double tt) {
    const double q2 = 1.0 / sch.g(tt) - inv_g_t;
    if (!(q2 >= 0.0) || !std::isfinite(q2)) return -1.0;
    const double q = c.abar > 0.0 ? std::sqrt(q2) : -std::sqrt(q2);
    const double den = c.abar + q * (s0 - c.sbar);
    return den != 0.0 ? q * s0 / den : -1.0;
  };
  const auto t_star_of = [&](double sj) {
    const double snr = sj * c.abar / ((1.0 - sj) * s0 + sj * c.sbar), snr_t2 = inv_g_t;
    return sch.inv_g(1.0 / (snr_t2 + snr * snr));
  };
  for (int j = 1; j < M; ++j) {
    const double ts = t_star_of(s[j]);
    double snapped = model_.effective_time(ts);
    double node = node_of(snapped);
    if (!(node >= s[j - 1] && node < 1.0)) {  // rounded past the inner flow's end: one step noisier
      snapped = model_.effective_time(std::max(0.0, 2.0 * ts - snapped));
      node = node_of(snapped);
    }
    if (node >= s[j - 1] && node < 1.0) s[j] = node;
    else s[j] = s[j - 1];  // no table step left before the end: a zero-length step
  }
  return s;
}

StepResult GlassTransition::step(const torch::Tensor& x, const torch::Tensor& t, const torch::Tensor& t_next,
                                 at::Generator& gen) {
  return run(x, t, t_next, nullptr, gen);
}

StepResult GlassTransition::step_from_denoised(const torch::Tensor& x, const torch::Tensor& t, const torch::Tensor& t_next,
                                               const torch::Tensor& denoised, at::Generator& gen) {
  if (denoised.sizes() != x.sizes()) throw std::invalid_argument("glass: the start denoiser must be shaped like x");
  return run(x, t, t_next, &denoised, gen);
}

StepResult GlassTransition::run(const torch::Tensor& x, const torch::Tensor& t, const torch::Tensor& t_next,
                                const torch::Tensor* denoised, at::Generator& gen) {
  const StepTimes st = check_step(x, t, t_next);
  const Schedule& sch = model_.schedule();
  const size_t n = st.t.size();
  const int M = options_.inner_steps;
  const double s0 = options_.sbar_init;
  const bool on_table = options_.table_inner_grid && model_.spec().time == TimeConvention::DDPMStep;

  // When every particle shares t and t' (the usual chain) the coefficients are plain scalars and
  // the inner loop multiplies by numbers; otherwise all per-particle scalars of all M inner steps
  // are computed here in float64, in one buffer that crosses to x's dtype and device once. Either
  // way the inner loop is the network call plus five fused tensor operations.
  const bool shared = std::all_of(st.t.begin(), st.t.end(), [&](double v) { return v == st.t[0]; }) &&
                      std::all_of(st.t_next.begin(), st.t_next.end(), [&](double v) { return v == st.t_next[0]; });
  const size_t nc = shared ? 1 : n;  // particles with their own coefficients
  enum Row { kInX, kInXbar, kKeep, kOnX, kOnD, kRows };
  std::vector<double> coef(static_cast<size_t>(M) * kRows * nc);
  std::vector<double> t_star(static_cast<size_t>(M) * nc), gam(nc);
  const auto at = [&](int j, int row, size_t i) -> double& { return coef[(static_cast<size_t>(j) * kRows + row) * nc + i]; };
  for (size_t i = 0; i < nc; ++i) {
    const GlassCoefficients c = glass_coefficients(sch, st.t[i], st.t_next[i], options_.rho(sch, st.t[i], st.t_next[i]));
    const double sigma_t = sch.sigma(st.t[i]), snr_t = sch.alpha(st.t[i]) / sigma_t;
    gam[i] = c.gam;
    const std::vector<double> s_grid = on_table ? table_inner_grid(st.t[i], c, M) : uniform_inner_grid(M);
    for (int j = 0; j < M; ++j) {
      const double s = s_grid[j], h = s_grid[j + 1] - s_grid[j];
      const double abar_s = s * c.abar, sbar_s = (1.0 - s) * s0 + s * c.sbar;  // > 0 for s < 1
      const double w1 = (c.sbar - s0) / sbar_s, w2 = c.abar * s0 / sbar_s;
      // GLASS denoiser: y = xbar - gam x_t is a second, independent measurement of z. Pool it
      // with x_t by precision, S = (alpha/sigma^2 x_t + abar_s/sbar_s^2 y) / lam = z + noise of
      // variance 1/lam, and ask the model at t* = g^{-1}(1/lam) with input alpha_{t*} S.
      const double snr_s = abar_s / sbar_s, lam = snr_t * snr_t + snr_s * snr_s;
      double& ts = t_star[static_cast<size_t>(j) * nc + i];
      if (lam > 0.0) {
        ts = std::min(sch.inv_g(1.0 / lam), kMaxInnerTime);
        const double k = sch.alpha(ts) / lam;
        const double cx = snr_t / sigma_t, cy = snr_s / sbar_s;
        at(j, kInX, i) = k * (cx - cy * c.gam);
        at(j, kInXbar, i) = k * cy;
      } else {  // t = 0 and s = 0: the limit of the pooled input is x_t / sigma_t, at t* = 0
        ts = 0.0;
        at(j, kInX, i) = 1.0 / sigma_t;
        at(j, kInXbar, i) = 0.0;
      }
      // Euler: xbar += h (w1 xbar + w2 D + w3 x_t), w3 = -w1 gam
      at(j, kKeep, i) = 1.0 + h * w1;
      at(j, kOnX, i) = -h * w1 * c.gam;
      at(j, kOnD, i) = h * w2;
    }
  }
  if (shared) {
    // xbar_0 = gam x_t + sbar_init epsbar: the only randomness.
    torch::Tensor xbar = torch::add(x.mul(gam[0]), randn_like_on(x, gen), s0);
    for (int j = 0; j < M; ++j) {
      // At s = 0 the pooled input is x_t itself at t* = t: a given D_t(x_t) replaces the call.
      const torch::Tensor d = j == 0 && denoised ? *denoised
                                                 : model_.denoise(torch::add(x.mul(at(j, kInX, 0)), xbar, at(j, kInXbar, 0)),
                                                                  full_times(1, t_star[static_cast<size_t>(j)]));
      xbar = torch::add(torch::add(xbar.mul(at(j, kKeep, 0)), x, at(j, kOnX, 0)), d, at(j, kOnD, 0));
    }
    return {xbar, denoised ? M - 1 : M, std::nullopt};
  }

  std::vector<int64_t> shape(static_cast<size_t>(x.dim()) + 2, 1);
  shape[0] = M;
  shape[1] = kRows;
  shape[2] = static_cast<int64_t>(n);
  const torch::Tensor coef_t = torch::from_blob(coef.data(), {static_cast<int64_t>(coef.size())}, torch::kFloat64)
                                   // a copy, never an alias of `coef`: autograd keeps it
                                   .to(x.device(), x.scalar_type(), /*non_blocking=*/false, /*copy=*/true)
                                   .reshape(shape);
  const torch::Tensor t_star_t = torch::from_blob(t_star.data(), {M, static_cast<int64_t>(n)}, torch::kFloat64);

  // xbar_0 = gam x_t + sbar_init epsbar: the only randomness.
  torch::Tensor xbar = torch::add(broadcastable(gam, x) * x, randn_like_on(x, gen), s0);
  for (int j = 0; j < M; ++j) {
    const torch::Tensor c = coef_t[j];
    // At s = 0 the pooled input is x_t itself at t* = t: a given D_t(x_t) replaces the call.
    const torch::Tensor d = j == 0 && denoised ? *denoised
                                               : model_.denoise(torch::addcmul(c[kInX] * x, c[kInXbar], xbar), t_star_t[j]);
    xbar = torch::addcmul(torch::addcmul(c[kKeep] * xbar, c[kOnX], x), c[kOnD], d);
  }
  return {xbar, denoised ? M - 1 : M, std::nullopt};
}

StepResult sample_posterior(FlowModel& model, const torch::Tensor& x, const torch::Tensor& t, int inner_steps,
                            at::Generator& gen) {
  // At t' = 1 the kernel does not depend on rho (gam = 0, abar = 1, sbar = 0).
  GlassTransition kernel(model, GlassOptions{RhoSchedule::constant(0.0), inner_steps, 1.0});
  return kernel.step(x, t, full_times(x.size(0), 1.0), gen);
}

}  // namespace glass
