#include "kernel_options.h"

#include "enum_option.h"
#include "run_options.h"

namespace glass::cli {

void KernelOptions::add_to(CLI::App& app) {
  KernelChoice& c = choice;
  add_enum_option(app, "-k,--kernel", c.kind, kernel_kind_names(),
                  "transition kernel: glass, ode, ddpm (ancestral), ddim (deterministic unless --eta), sde, exact "
                  "(mixtures only), diamond (a distilled map, --diamond)");
  app.add_option_function<std::string>(
         "--rho", [&c](const std::string& text) { c.glass.rho = RhoSchedule::parse(text); },
         "GLASS/exact: noise correlation in (-1, 1), 'ddpm', or one per step (0.2,0.4,0.8: the i-th for "
         "the steps starting in [i/K, (i+1)/K))")
      ->default_str(c.glass.rho.name());
  app.add_option("-M,--inner-steps", c.glass.inner_steps,
                 "GLASS: inner steps per transition (network calls: M, or 2M for midpoint and heun)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  add_enum_option(app, "--inner-solver", c.glass.solver, inner_solver_names(),
                  "GLASS: inner ODE solver: euler, ab2, pc3 (1 call a step), midpoint, heun (2)");
  app.add_option("--sbar-init", c.glass.sbar_init, "GLASS: scale of the inner start noise")->capture_default_str();
  add_enum_option(app, "--ode-method", c.ode_method, ode_method_names(), "ODE: integration method");
  add_enum_option(app, "--diffusion", c.sde.diffusion, diffusion_names(),
                  "SDE: diffusion g_t: sigma (eta*sigma_t), constant (eta), ddpm");
  app.add_option("--eta", c.eta,
                 "SDE: noise scale (default " + c10::str(c.sde.eta) +
                     "); ddpm/ddim: std of the step noise as a share of DDPM's (ddpm 1, ddim 0)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--substeps", c.sde.substeps, "SDE: Euler-Maruyama sub-steps per transition")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--diamond", diamond, "a Diamond Map folder from `glass distill`, for -k diamond (one call a step)");
}

nlohmann::json KernelOptions::to_json() const {
  const KernelChoice& c = choice;
  nlohmann::json j{{"kernel", name_of(kernel_kind_names(), c.kind)}};
  switch (c.kind) {
    case KernelKind::Glass:
      j.update({{"rho", c.glass.rho.name()},
                {"inner_steps", c.glass.inner_steps},
                {"inner_solver", name_of(inner_solver_names(), c.glass.solver)},
                {"sbar_init", c.glass.sbar_init}});
      break;
    case KernelKind::Exact: j["rho"] = c.glass.rho.name(); break;
    case KernelKind::Ode: j["ode_method"] = name_of(ode_method_names(), c.ode_method); break;
    case KernelKind::Sde:
      j.update({{"diffusion", name_of(diffusion_names(), c.sde.diffusion)},
                {"eta", c.eta_or_default()},
                {"substeps", c.sde.substeps}});
      break;
    case KernelKind::Ddpm:
    case KernelKind::Ddim: j["eta"] = c.eta_or_default(); break;
    case KernelKind::Diamond: break;
  }
  if (!diamond.empty()) j["diamond"] = diamond;
  return j;
}

void KernelOptions::reject_unused(const CLI::App& cmd, bool diamond_values) const {
  const KernelKind k = choice.kind;
  const bool glass = k == KernelKind::Glass, ddpm_family = k == KernelKind::Ddpm || k == KernelKind::Ddim;
  reject_unused_flags(cmd, {"--rho"}, glass || k == KernelKind::Exact, "-k glass and -k exact");
  reject_unused_flags(cmd, {"--inner-steps", "--sbar-init", "--inner-solver"}, glass, "-k glass");
  reject_unused_flags(cmd, {"--ode-method"}, k == KernelKind::Ode, "-k ode");
  reject_unused_flags(cmd, {"--diffusion", "--substeps"}, k == KernelKind::Sde, "-k sde");
  reject_unused_flags(cmd, {"--eta"}, k == KernelKind::Sde || ddpm_family, "-k sde, ddpm and ddim");
  reject_unused_flags(cmd, {"--diamond"}, k == KernelKind::Diamond || diamond_values,
                      "-k diamond and --value-sampler diamond");
}

std::shared_ptr<DiamondMap> load_map(const KernelOptions& o, LoadedModel& m) {
  if (o.diamond.empty()) return nullptr;
  return std::make_shared<DiamondMap>(load_diamond_map(o.diamond, *m.model));
}

KernelChoice kernel_choice(const KernelOptions& o, LoadedModel& m) {
  KernelChoice c = o.choice;
  if (c.kind == KernelKind::Diamond) c.diamond = load_map(o, m);
  return c;
}

std::unique_ptr<TransitionKernel> make_kernel(const KernelOptions& o, LoadedModel& m) {
  return glass::make_kernel(kernel_choice(o, m), *m.model, m.mixture ? &*m.mixture : nullptr);
}

}  // namespace glass::cli
