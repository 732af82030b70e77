#include "glass/transitions/sde_transition.h"

#include <cmath>
#include <stdexcept>

#include "glass/util/particle_scalars.h"
#include "glass/util/random.h"

namespace glass {

Diffusion parse_diffusion(const std::string& s) {
  if (s == "sigma") return Diffusion::Sigma;
  if (s == "constant") return Diffusion::Constant;
  if (s == "ddpm") return Diffusion::Ddpm;
  throw std::invalid_argument("unknown diffusion '" + s + "' (expected sigma, constant or ddpm)");
}

SdeTransition::SdeTransition(FlowModel& model, SdeOptions options) : model_(model), options_(options) {
  if (options_.substeps < 1) throw std::invalid_argument("sde: need at least 1 sub-step");
  if (!(options_.eta >= 0.0) || !std::isfinite(options_.eta)) throw std::invalid_argument("sde: eta must be >= 0");
}

std::string SdeTransition::name() const {
  const char* d = options_.diffusion == Diffusion::Sigma ? "sigma" : options_.diffusion == Diffusion::Constant ? "constant" : "ddpm";
  return std::string("sde-") + d + "(eta=" + std::to_string(options_.eta) + ", substeps=" +
         std::to_string(options_.substeps) + ")";
}

double SdeTransition::half_g2_over_sigma2(double t) const {
  const Schedule& s = model_.schedule();
  const double e2 = options_.eta * options_.eta, sg = s.sigma(t);
  switch (options_.diffusion) {
    case Diffusion::Sigma: return 0.5 * e2;
    case Diffusion::Constant: return 0.5 * e2 / (sg * sg);
    case Diffusion::Ddpm: {
      const double a = s.alpha(t);
      if (!(a > 0.0))
        throw std::invalid_argument("sde: the ddpm diffusion is infinite at alpha_t = 0 (t = " + std::to_string(t) +
                                    "); start above it or use the ddpm kernel");
      return e2 * (s.d_alpha(t) / a - s.d_sigma(t) / sg);
    }
  }
  return 0.0;
}

StepResult SdeTransition::step(const torch::Tensor& x_in, const torch::Tensor& t, const torch::Tensor& t_next,
                               at::Generator& gen) {
  const StepTimes st = check_step(x_in, t, t_next);
  const Schedule& s = model_.schedule();
  const size_t n = st.t.size();
  const int L = options_.substeps;
  torch::Tensor x = x_in;
  std::vector<double> tau(n), cx(n), cd(n), noise(n);
  for (int l = 0; l < L; ++l) {
    for (size_t i = 0; i < n; ++i) {
      const double h = (st.t_next[i] - st.t[i]) / L;
      tau[i] = st.t[i] + l * h;
      // drift = [sigma'/sigma - k] x + [alpha' - alpha sigma'/sigma + k alpha] D, k = g^2 / (2 sigma^2)
      const double sg = s.sigma(tau[i]), a = s.alpha(tau[i]);
      const double r = s.d_sigma(tau[i]) / sg, k = half_g2_over_sigma2(tau[i]);
      cx[i] = 1.0 + h * (r - k);
      cd[i] = h * (s.d_alpha(tau[i]) - a * r + k * a);
      noise[i] = std::sqrt(2.0 * k * h) * sg;  // g sqrt(h)
    }
    const torch::Tensor d = model_.denoise(x, times_tensor(tau));
    x = broadcastable(cx, x) * x + broadcastable(cd, x) * d + broadcastable(noise, x) * randn_like_on(x, gen);
  }
  return {x, L, std::nullopt};
}

}  // namespace glass
