#include "glass/transitions/sde_transition.h"

#include <array>
#include <cmath>
#include <stdexcept>

#include "glass/util/enum_names.h"
#include "glass/util/parse.h"
#include "glass/util/particle_scalars.h"
#include "glass/util/random.h"

namespace glass {

const NameTable<Diffusion>& diffusion_names() {
  static const NameTable<Diffusion> table{
      {"sigma", Diffusion::Sigma},
      {"constant", Diffusion::Constant},
      {"ddpm", Diffusion::Ddpm},
  };
  return table;
}

Diffusion parse_diffusion(const std::string& s) { return parse_named(diffusion_names(), s, "diffusion"); }

std::string to_string(Diffusion d) { return name_of(diffusion_names(), d); }

void SdeOptions::validate() const {
  if (substeps < 1) throw std::invalid_argument("sde: need at least 1 sub-step");
  if (!(eta >= 0.0) || !std::isfinite(eta)) throw std::invalid_argument("sde: eta must be >= 0");
}

SdeTransition::SdeTransition(FlowModel& model, SdeOptions options) : model_(model), options_(options) {
  options_.validate();
}

std::string SdeTransition::name() const {
  return "sde-" + to_string(options_.diffusion) + "(eta=" + std::to_string(options_.eta) +
         ", substeps=" + std::to_string(options_.substeps) + ")";
}

namespace {

// int_a^b f by 16 panels of 8-point Gauss-Legendre (no node on an end, where sigma may be 0).
template <class F>
double gauss_legendre(const F& f, double a, double b) {
  static constexpr std::array<double, 4> nodes{0.1834346424956498, 0.5255324099163290, 0.7966664774136267,
                                               0.9602898564975363};
  static constexpr std::array<double, 4> weights{0.3626837833783620, 0.3137066458778873, 0.2223810344533745,
                                                 0.1012285362903763};
  constexpr int panels = 16;
  const double h = (b - a) / panels;
  double total = 0.0;
  for (int p = 0; p < panels; ++p) {
    const double mid = a + (p + 0.5) * h;
    for (size_t j = 0; j < nodes.size(); ++j)
      total += weights[j] * (f(mid - 0.5 * h * nodes[j]) + f(mid + 0.5 * h * nodes[j]));
  }
  return 0.5 * h * total;
}

}  // namespace

double SdeTransition::decay(double t0, double t1) const {
  const Schedule& s = model_.schedule();
  const double e2 = options_.eta * options_.eta;
  if (e2 == 0.0) return 1.0;
  switch (options_.diffusion) {
    case Diffusion::Sigma: return std::exp(-0.5 * e2 * (t1 - t0));
    case Diffusion::Constant:
      return std::exp(-0.5 * e2 * gauss_legendre([&](double u) { return 1.0 / (s.sigma(u) * s.sigma(u)); }, t0, t1));
    case Diffusion::Ddpm: {
      // e^-kappa = (q0 / q1)^eta^2 with q = alpha / sigma: 0 from pure noise (alpha0 = 0) or onto
      // the data (sigma1 = 0), where the step is a fresh draw alpha1 D + sigma1 xi.
      const double ratio = s.alpha(t0) * s.sigma(t1) / (s.sigma(t0) * s.alpha(t1));
      return std::pow(ratio, e2);
    }
  }
  return 1.0;
}

SdeStepCoefficients SdeTransition::coefficients(double t0, double t1) const {
  if (!(t1 > t0)) throw std::invalid_argument("sde: a step must move forward in time");
  const Schedule& s = model_.schedule();
  const double a0 = s.alpha(t0), s0 = s.sigma(t0), a1 = s.alpha(t1), s1 = s.sigma(t1);
  if (!(s0 > 0.0)) throw std::invalid_argument("sde: cannot step from sigma_t = 0 (t = " + std::to_string(t0) + ")");
  const double e = decay(t0, t1);
  return {e * s1 / s0, a1 - e * s1 * a0 / s0, s1 * std::sqrt(std::max(0.0, 1.0 - e * e))};
}

StepResult SdeTransition::step(const torch::Tensor& x_in, const torch::Tensor& t, const torch::Tensor& t_next,
                               at::Generator& gen) {
  const StepTimes st = check_step(x_in, t, t_next);
  const size_t n = st.t.size();
  const int L = options_.substeps;
  torch::Tensor x = x_in;
  std::vector<double> tau(n), end(n), cx(n), cd(n), noise(n);
  for (int l = 0; l < L; ++l) {
    for (size_t i = 0; i < n; ++i) {
      const double h = (st.t_next[i] - st.t[i]) / L;
      tau[i] = st.t[i] + l * h;
      end[i] = l + 1 == L ? st.t_next[i] : tau[i] + h;
      if (i > 0 && tau[i] == tau[i - 1] && end[i] == end[i - 1]) {  // particles moving together
        cx[i] = cx[i - 1];
        cd[i] = cd[i - 1];
        noise[i] = noise[i - 1];
        continue;
      }
      const SdeStepCoefficients c = coefficients(tau[i], end[i]);
      cx[i] = c.x_coef;
      cd[i] = c.d_coef;
      noise[i] = c.noise_std;
    }
    const torch::Tensor d = model_.denoise(x, times_tensor(tau));
    x = scaled_sum(cx, x, cd, d) + broadcastable(noise, x) * randn_like_on(x, gen);
  }
  return {x, L, std::nullopt};
}

}  // namespace glass
