#include "kernel_options.h"

#include "run_options.h"

#include "glass/transitions/ddpm_transition.h"
#include "glass/transitions/exact_mixture_transition.h"
#include "glass/transitions/glass_transition.h"
#include "glass/transitions/ode_transition.h"
#include "glass/transitions/sde_transition.h"

namespace glass::cli {

void KernelOptions::add_to(CLI::App& app) {
  app.add_option("-k,--kernel", kernel,
                 "transition kernel: glass, ode, ddpm (ancestral), ddim (deterministic unless --eta), sde, exact "
                 "(mixtures only)")
      ->check(CLI::IsMember({"glass", "ode", "ddpm", "ddim", "sde", "exact"}))
      ->capture_default_str();
  app.add_option("--rho", rho, "GLASS/exact: noise correlation in (-1, 1), or 'ddpm'")->capture_default_str();
  app.add_option("-M,--inner-steps", inner_steps,
                 "GLASS: inner steps per transition (network calls: M, or 2M for midpoint and heun)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--inner-solver", inner_solver,
                 "GLASS and value estimates: inner ODE solver: euler, ab2, pc3 (1 call a step), midpoint, heun (2)")
      ->check(CLI::IsMember({"euler", "midpoint", "heun", "ab2", "pc3"}))
      ->capture_default_str();
  app.add_option("--sbar-init", sbar_init, "GLASS: scale of the inner start noise")->capture_default_str();
  app.add_option("--ode-method", ode_method, "ODE: euler, heun or midpoint")
      ->check(CLI::IsMember({"euler", "heun", "midpoint"}))
      ->capture_default_str();
  app.add_option("--diffusion", diffusion, "SDE: diffusion g_t: sigma (eta*sigma_t), constant (eta), ddpm")
      ->check(CLI::IsMember({"sigma", "constant", "ddpm"}))
      ->capture_default_str();
  app.add_option("--eta", eta,
                 "SDE: noise scale (default 1); ddpm/ddim: std of the step noise as a share of DDPM's "
                 "(ddpm 1, ddim 0)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--substeps", substeps, "SDE: Euler-Maruyama sub-steps per transition")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
}

nlohmann::json KernelOptions::to_json() const {
  nlohmann::json j{{"kernel", kernel}};
  if (kernel == "glass")
    j.update({{"rho", rho}, {"inner_steps", inner_steps}, {"inner_solver", inner_solver}, {"sbar_init", sbar_init}});
  if (kernel == "exact") j["rho"] = rho;
  if (kernel == "ode") j["ode_method"] = ode_method;
  if (kernel == "sde") j.update({{"diffusion", diffusion}, {"eta", eta_or_default()}, {"substeps", substeps}});
  if (kernel == "ddpm" || kernel == "ddim") j["eta"] = eta_or_default();
  return j;
}

void KernelOptions::reject_unused(const CLI::App& cmd, bool value_estimates) const {
  const bool glass = kernel == "glass";
  reject_unused_flags(cmd, {"--rho"}, glass || kernel == "exact", "-k glass and -k exact");
  reject_unused_flags(cmd, {"--inner-steps", "--sbar-init"}, glass, "-k glass");
  reject_unused_flags(cmd, {"--inner-solver"}, glass || value_estimates, "-k glass and value estimates");
  reject_unused_flags(cmd, {"--ode-method"}, kernel == "ode", "-k ode");
  reject_unused_flags(cmd, {"--diffusion", "--substeps"}, kernel == "sde", "-k sde");
  reject_unused_flags(cmd, {"--eta"}, kernel == "sde" || kernel == "ddpm" || kernel == "ddim", "-k sde, ddpm and ddim");
}

GlassOptions KernelOptions::glass_options() const {
  GlassOptions options{RhoSchedule::parse(rho), inner_steps, sbar_init};
  options.solver = parse_inner_solver(inner_solver);
  return options;
}

std::unique_ptr<TransitionKernel> make_kernel(const KernelOptions& o, LoadedModel& m) {
  if (o.kernel == "glass") return std::make_unique<GlassTransition>(*m.model, o.glass_options());
  if (o.kernel == "ode") return std::make_unique<OdeTransition>(*m.model, parse_ode_method(o.ode_method));
  if (o.kernel == "ddpm" || o.kernel == "ddim") return std::make_unique<DdpmTransition>(*m.model, o.eta_or_default());
  if (o.kernel == "sde")
    return std::make_unique<SdeTransition>(*m.model, SdeOptions{parse_diffusion(o.diffusion), o.eta_or_default(), o.substeps});
  if (o.kernel == "exact") {
    if (!m.mixture) throw std::invalid_argument("the exact kernel needs a Gaussian-mixture model");
    return std::make_unique<ExactMixtureTransition>(*m.mixture, m.model->schedule_ptr(), RhoSchedule::parse(o.rho));
  }
  throw std::invalid_argument("unknown kernel '" + o.kernel + "'");
}

}  // namespace glass::cli
