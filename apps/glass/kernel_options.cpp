#include "kernel_options.h"

#include "glass/sampling/kernel_choice.h"
#include "run_options.h"

namespace glass::cli {

void KernelOptions::add_to(CLI::App& app) {
  app.add_option("-k,--kernel", kernel,
                 "transition kernel: glass, ode, ddpm (ancestral), ddim (deterministic unless --eta), sde, exact "
                 "(mixtures only), diamond (a distilled map, --diamond)")
      ->check(CLI::IsMember(offered_names(kernel_kind_names())))
      ->capture_default_str();
  app.add_option("--rho", rho,
                 "GLASS/exact: noise correlation in (-1, 1), 'ddpm', or one per step (0.2,0.4,0.8: the i-th for "
                 "the steps starting in [i/K, (i+1)/K))")
      ->capture_default_str();
  app.add_option("-M,--inner-steps", inner_steps,
                 "GLASS: inner steps per transition (network calls: M, or 2M for midpoint and heun)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--inner-solver", inner_solver,
                 "GLASS and value estimates: inner ODE solver: euler, ab2, pc3 (1 call a step), midpoint, heun (2)")
      ->check(CLI::IsMember(offered_names(inner_solver_names())))
      ->capture_default_str();
  app.add_option("--sbar-init", sbar_init, "GLASS: scale of the inner start noise")->capture_default_str();
  app.add_option("--ode-method", ode_method, "ODE: integration method")
      ->check(CLI::IsMember(offered_names(ode_method_names())))
      ->capture_default_str();
  app.add_option("--diffusion", diffusion, "SDE: diffusion g_t: sigma (eta*sigma_t), constant (eta), ddpm")
      ->check(CLI::IsMember(offered_names(diffusion_names())))
      ->capture_default_str();
  app.add_option("--eta", eta,
                 "SDE: noise scale (default 1); ddpm/ddim: std of the step noise as a share of DDPM's "
                 "(ddpm 1, ddim 0)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--substeps", substeps, "SDE: Euler-Maruyama sub-steps per transition")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--diamond", diamond, "a Diamond Map folder from `glass distill`, for -k diamond (one call a step)");
}

nlohmann::json KernelOptions::to_json() const {
  nlohmann::json j{{"kernel", kernel}};
  if (kernel == "glass")
    j.update({{"rho", rho}, {"inner_steps", inner_steps}, {"inner_solver", inner_solver}, {"sbar_init", sbar_init}});
  if (kernel == "exact") j["rho"] = rho;
  if (kernel == "ode") j["ode_method"] = ode_method;
  if (kernel == "sde") j.update({{"diffusion", diffusion}, {"eta", choice().eta_or_default()}, {"substeps", substeps}});
  if (kernel == "ddpm" || kernel == "ddim") j["eta"] = choice().eta_or_default();
  if (!diamond.empty()) j["diamond"] = diamond;
  return j;
}

void KernelOptions::reject_unused(const CLI::App& cmd, bool diamond_values) const {
  const bool glass = kernel == "glass";
  reject_unused_flags(cmd, {"--rho"}, glass || kernel == "exact", "-k glass and -k exact");
  reject_unused_flags(cmd, {"--inner-steps", "--sbar-init", "--inner-solver"}, glass, "-k glass");
  reject_unused_flags(cmd, {"--ode-method"}, kernel == "ode", "-k ode");
  reject_unused_flags(cmd, {"--diffusion", "--substeps"}, kernel == "sde", "-k sde");
  reject_unused_flags(cmd, {"--eta"}, kernel == "sde" || kernel == "ddpm" || kernel == "ddim", "-k sde, ddpm and ddim");
  reject_unused_flags(cmd, {"--diamond"}, kernel == "diamond" || diamond_values,
                      "-k diamond and --value-sampler diamond");
}

GlassOptions KernelOptions::glass_options() const {
  GlassOptions options{RhoSchedule::parse(rho), inner_steps, sbar_init};
  options.solver = parse_inner_solver(inner_solver);
  return options;
}

KernelChoice KernelOptions::choice() const {
  KernelChoice c;
  c.kind = parse_named(kernel_kind_names(), kernel, "kernel");
  if (c.kind == KernelKind::Glass || c.kind == KernelKind::Exact) c.glass = glass_options();
  c.ode_method = parse_ode_method(ode_method);
  c.sde = SdeOptions{parse_diffusion(diffusion), c.eta_or_default(), substeps};
  c.eta = eta;
  return c;
}

std::shared_ptr<DiamondMap> load_map(const KernelOptions& o, LoadedModel& m) {
  if (o.diamond.empty()) return nullptr;
  return std::make_shared<DiamondMap>(load_diamond_map(o.diamond, *m.model));
}

KernelChoice kernel_choice(const KernelOptions& o, LoadedModel& m) {
  KernelChoice c = o.choice();
  if (c.kind == KernelKind::Diamond) c.diamond = load_map(o, m);
  return c;
}

std::unique_ptr<TransitionKernel> make_kernel(const KernelOptions& o, LoadedModel& m) {
  return glass::make_kernel(kernel_choice(o, m), *m.model, m.mixture ? &*m.mixture : nullptr);
}

}  // namespace glass::cli
