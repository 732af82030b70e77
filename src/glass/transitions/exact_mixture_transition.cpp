#include "glass/transitions/exact_mixture_transition.h"

#include "glass/transitions/glass_coefficients.h"
#include "glass/util/particle_scalars.h"
#include "glass/util/random.h"

namespace glass {

ExactMixtureTransition::ExactMixtureTransition(GaussianMixture mixture, SchedulePtr schedule, RhoSchedule rho)
    : mixture_(std::move(mixture)), schedule_(std::move(schedule)), rho_(std::move(rho)) {}

StepResult ExactMixtureTransition::step(const torch::Tensor& x, const torch::Tensor& t, const torch::Tensor& t_next,
                                        at::Generator& gen) {
  const StepTimes st = check_step(x, t, t_next);
  const size_t n = st.t.size();
  std::vector<double> alpha(n), sigma(n), gam(n), abar(n), sbar(n);
  for (size_t i = 0; i < n; ++i) {
    alpha[i] = schedule_->alpha(st.t[i]);
    sigma[i] = schedule_->sigma(st.t[i]);
    const auto c = glass_coefficients(*schedule_, st.t[i], st.t_next[i], rho_(*schedule_, st.t[i], st.t_next[i]));
    gam[i] = c.gam;
    abar[i] = c.abar;
    sbar[i] = c.sbar;
  }
  const torch::Tensor z = mixture_.sample_posterior(x, times_tensor(alpha), times_tensor(sigma), gen);
  const torch::Tensor x_next =
      broadcastable(abar, x) * z + broadcastable(gam, x) * x + broadcastable(sbar, x) * randn_like_on(x, gen);
  return {x_next, 0, std::nullopt};
}

}  // namespace glass
