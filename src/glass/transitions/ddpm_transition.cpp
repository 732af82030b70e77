#include "glass/transitions/ddpm_transition.h"

#include <cmath>

#include "glass/transitions/glass_coefficients.h"
#include "glass/transitions/rho.h"
#include "glass/util/particle_scalars.h"
#include "glass/util/random.h"

namespace glass {

torch::Tensor isotropic_gaussian_log_density(const torch::Tensor& x, const torch::Tensor& mean,
                                             const std::vector<double>& std) {
  const int64_t n = x.size(0);
  const double d = static_cast<double>(x.numel() / std::max<int64_t>(n, 1));
  const torch::Tensor sq = (x - mean).to(torch::kFloat64).reshape({n, -1}).pow(2).sum(1).cpu();
  const torch::Tensor s = times_tensor(std);
  return -0.5 * sq / s.pow(2) - d * s.log() - 0.5 * d * std::log(2.0 * M_PI);
}

DdpmTransition::DdpmTransition(FlowModel& model, double eta) : model_(model), eta_(eta) {
  if (!(eta >= 0.0 && eta <= 1.0)) throw std::invalid_argument("ddpm/ddim: eta must lie in [0, 1]");
}

std::string DdpmTransition::name() const {
  if (eta_ == 1.0) return "ddpm";
  if (eta_ == 0.0) return "ddim";
  return "ddim(eta=" + c10::str(eta_) + ")";
}

DdpmTransition::Gaussian DdpmTransition::step_gaussian(const torch::Tensor& x, const StepTimes& st,
                                                       const torch::Tensor* denoised) {
  const size_t n = st.t.size();
  std::vector<double> gam(n), abar(n), sbar(n);
  for (size_t i = 0; i < n; ++i) {
    const double r = rho_ddpm(model_.schedule(), st.t[i], st.t_next[i]);
    const double rho = eta_ == 1.0 ? r : std::sqrt(std::max(0.0, 1.0 - eta_ * eta_ * (1.0 - r * r)));
    const auto c = glass_coefficients(model_.schedule(), st.t[i], st.t_next[i], rho);
    gam[i] = c.gam;
    abar[i] = c.abar;
    sbar[i] = c.sbar;
  }
  const torch::Tensor d = denoised ? *denoised : model_.denoise(x, times_tensor(st.t));
  return {torch::addcmul(broadcastable(abar, x) * d, broadcastable(gam, x), x), sbar};
}

StepResult DdpmTransition::step(const torch::Tensor& x, const torch::Tensor& t, const torch::Tensor& t_next,
                                at::Generator& gen) {
  return draw(x, check_step(x, t, t_next), nullptr, gen);
}

StepResult DdpmTransition::step_from_denoised(const torch::Tensor& x, const torch::Tensor& t,
                                              const torch::Tensor& t_next, const torch::Tensor& denoised,
                                              at::Generator& gen) {
  if (denoised.sizes() != x.sizes()) throw std::invalid_argument("ddpm: the start denoiser must be shaped like x");
  return draw(x, check_step(x, t, t_next), &denoised, gen);
}

StepResult DdpmTransition::draw(const torch::Tensor& x, const StepTimes& st, const torch::Tensor* denoised,
                                at::Generator& gen) {
  Gaussian g = step_gaussian(x, st, denoised);
  const torch::Tensor eps = randn_like_on(x, gen);
  const torch::Tensor x_next = torch::addcmul(g.mean, broadcastable(g.std, x), eps);
  std::optional<torch::Tensor> lp;
  if (std::all_of(g.std.begin(), g.std.end(), [](double s) { return s > 0.0; })) {
    // log N(mean + std eps; mean, std^2 I) = -|eps|^2 / 2 - d log std - d log(2 pi) / 2
    const int64_t n = x.size(0);
    const double d = static_cast<double>(x.numel() / n);
    lp = -0.5 * eps.to(torch::kFloat64).reshape({n, -1}).pow(2).sum(1).cpu() - d * times_tensor(g.std).log() -
         0.5 * d * std::log(2.0 * M_PI);
  }
  return {x_next, denoised ? 0 : 1, lp};
}

torch::Tensor DdpmTransition::log_density(const torch::Tensor& x, const torch::Tensor& t, const torch::Tensor& x_next,
                                          const torch::Tensor& t_next) {
  const StepTimes st = check_step(x, t, t_next);
  if (x_next.sizes() != x.sizes()) throw std::invalid_argument("ddpm log-density: x_next must be shaped like x");
  Gaussian g = step_gaussian(x, st);
  for (double sd : g.std)
    if (!(sd > 0.0)) throw std::invalid_argument("ddpm log-density: the step to t' = 1 is deterministic (no density)");
  return isotropic_gaussian_log_density(x_next, g.mean, g.std);
}

}  // namespace glass
