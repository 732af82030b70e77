#include "smc_flags.h"

#include "enum_option.h"

namespace glass::cli {

void add_smc_flags(CLI::App& cmd, SmcOptions& o) {
  add_enum_option(cmd, "--potential", o.potential, potential_names(),
                  "SMC potential (exact target with the difference potential, or any with the final correction)");
  cmd.add_flag("!--no-final-correction", o.final_correction,
               "SMC: keep the max/sum potentials' own last step (FK steering's heuristic target)");
  add_enum_option(cmd, "--resampling", o.resampling, resampling_scheme_names(), "SMC resampling scheme");
  add_enum_option(cmd, "--resample-order", o.resampling_order, resampling_order_names(),
                  "SMC: sort the particles by their step reward before resampling (lowers systematic's and "
                  "ssp's variance)");
  add_enum_option(cmd, "--allocation", o.allocation, allocation_names(),
                  "SMC: offspring in proportion to the weights, to w exp(lambda r_k) with the weight correction "
                  "(vasr, exact), or without it (vasr-max-biased: past the target towards high reward)");
  cmd.add_option("--ess-threshold", o.ess_threshold, "SMC: resample when ESS < threshold * N (1: every step)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd.add_option("--tempering-ess", o.tempering_ess,
                 "SMC: > 0 raises each group's tilt towards lambda only as fast as keeps ESS >= this share of N "
                 "(bisection; difference potential); 0: lambda at every step")
      ->check(CLI::Range(0.0, 0.999))
      ->capture_default_str();
  cmd.add_option_function<std::string>(
         "--funnel", [&o](const std::string& text) { o.funnel = parse_funnel(text); },
         "SMC: shrink each group's particles from set times, from:share,... (0.5:0.5,0.75:0.25: half of them "
         "from t = 0.5, a quarter from 0.75); a budget then affords more particles at the start")
      ->type_name("FROM:SHARE,...");
  cmd.add_flag("--prune", o.prune,
               "SMC: when every group resamples, move on with only the distinct parents (copies merged into one "
               "weighted particle); under a budget it starts with 1.5x the particles and never spends past it");
  add_enum_option(cmd, "--intermediate", o.intermediate, intermediate_reward_names(),
                  "SMC: intermediate reward from the denoised estimate or a value estimate");
  cmd.add_option("--value-samples", o.value.samples, "value estimates: GLASS posterior samples per particle")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd.add_option("--value-steps", o.value.inner_steps, "value estimates: GLASS steps per posterior sample")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  add_enum_option(cmd, "--value-solver", o.value.solver, inner_solver_names(),
                  "value estimates: the inner solver of their GLASS posterior samples (see --inner-solver)");
  cmd.add_option("--multilevel-samples", o.multilevel.samples,
                 "--intermediate value-multilevel: samples per level, cheapest first (level l: GLASS with "
                 "b 2^l inner steps, paired with b 2^(l-1) from the same noise)")
      ->delimiter(',')
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd.add_option("--multilevel-base-steps", o.multilevel.base_inner_steps,
                 "--intermediate value-multilevel: b, the inner steps of level 0")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
}

std::vector<std::string> smc_only_flags() {
  return {"--potential",     "--no-final-correction", "--resampling", "--resample-order", "--allocation",
          "--ess-threshold", "--tempering-ess",       "--funnel",     "--prune",          "--intermediate"};
}

nlohmann::json smc_settings_json(const SmcOptions& o) {
  nlohmann::json j = {{"particles", o.particles},
                      {"lambda", o.lambda},
                      {"potential", to_string(o.potential)},
                      {"final_correction", o.final_correction},
                      {"resampling", to_string(o.resampling)},
                      {"resample_order", to_string(o.resampling_order)},
                      {"allocation", to_string(o.allocation)},
                      {"ess_threshold", o.ess_threshold},
                      {"tempering_ess", o.tempering_ess},
                      {"intermediate", to_string(o.intermediate)},
                      {"select", to_string(o.select)}};
  if (!o.funnel.empty()) j["funnel"] = funnel_text(o.funnel);
  if (o.prune) j["prune"] = true;  // the plan's nfe_per_sample is then the cap
  if (o.intermediate == IntermediateReward::Value) {
    const ValueOptions& v = o.value;
    j["value"] = {{"samples", v.samples}, {"sampler", v.sampler ? "diamond" : "glass"}, {"nfe_per_particle", v.nfe()}};
    if (!v.sampler) j["value"].update({{"inner_steps", v.inner_steps}, {"solver", inner_solver_name(v.solver)}});
  }
  if (o.intermediate == IntermediateReward::MultilevelValue) {
    const MultilevelValueOptions& m = o.multilevel;
    j["multilevel"] = {{"samples", m.samples},
                       {"base_inner_steps", m.base_inner_steps},
                       {"level_0", m.base ? m.base->name() : "glass"},
                       {"solver", inner_solver_name(m.solver)},
                       {"nfe_per_particle", m.nfe()}};
  }
  return j;
}

}  // namespace glass::cli
