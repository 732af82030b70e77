#include "align_options.h"

#include <algorithm>

#include "enum_option.h"
#include "glass/diamond/diamond_transition.h"
#include "glass/sampling/time_grid.h"
#include "glass/util/parse.h"
#include "smc_flags.h"

namespace glass::cli {

const NameTable<ValueSampler>& value_sampler_names() {
  static const NameTable<ValueSampler> table{{"glass", ValueSampler::Glass}, {"diamond", ValueSampler::Diamond}};
  return table;
}

void AlignOptions::add_to(CLI::App& cmd) {
  AlignOptions& o = *this;
  o.model.add_to(cmd);
  o.kernel.add_to(cmd);
  o.run.add_to(cmd);
  o.distributed.add_to(cmd);
  cmd.add_option("-r,--reward", o.reward,
                 "reward: class:K | quadratic:kappa=1:center=x,y | box:lo=..:hi=..:kappa=10 | script:PATH | "
                 "weighted sums 'w1*A+w2*B' (default: class:3 on Fashion-MNIST)");
  cmd.add_option("-l,--lambda", o.smc.lambda, "tilt strength: target p(z) exp(lambda r(z)) / Z")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd.add_option("--methods", o.methods,
                 "comma-separated: plain, guidance, value-guidance, best-of-n, smc, smc+guidance, smc+value-guidance")
      ->capture_default_str();
  cmd.add_option("-n,--num-samples", o.n, "samples per method (default: 32 images, 1000 points)")
      ->check(CLI::PositiveNumber);
  cmd.add_option("-N,--particles", o.particles,
                 "particles (SMC) or candidates (best-of-N) per sample (default 8, or what --max-nfe allows)")
      ->check(CLI::PositiveNumber);
  cmd.add_option("--max-nfe", o.max_nfe,
                 "network rows allowed per sample, the NFE of the table (calls, or 2 per call and particle under "
                 "--cfg; default without -N: best-of-8's); best-of-N and SMC take as many particles as fit, "
                 "methods over it are an error")
      ->check(CLI::NonNegativeNumber);
  cmd.add_option("-K,--steps", o.steps, "outer transitions on a uniform grid")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd.add_option("--table-spacing", o.table_spacing,
                 "DDPM-step models: -K picks table steps 'trailing' (from the noisiest step) or 'leading' (DDIM's "
                 "default)")
      ->check(CLI::IsMember(offered_names(table_spacing_names())))
      ->capture_default_str();
  cmd.add_option("--grid", o.grid, "explicit outer time grid '0,t1,...,1' (overrides --steps)");
  add_smc_flags(cmd, o.smc);
  add_enum_option(cmd, "--select", o.select, selection_names(),
                  "what each group of particles returns: a draw from its weights, its highest reward, or all with "
                  "their weights (sample_weights in summary.json); default: SMC draws, best-of-N takes its best")
      ->default_str("");
  add_enum_option(cmd, "--value-sampler", o.value_sampler, value_sampler_names(),
                  "value estimates' posterior samples: glass (--value-steps calls each) or diamond (one call of the "
                  "--diamond map; for --intermediate value-multilevel: its level 0, corrected by GLASS)");
  cmd.add_option("--guidance", o.guidance,
                 "denoiser guidance scale (methods guidance, smc+guidance); 1: the tilt exp(lambda r) itself, "
                 "as for --value-guidance")
      ->capture_default_str();
  cmd.add_flag("--guidance-detached", o.guidance_detached,
               "guidance: gradient w.r.t. the denoised estimate only (no backward pass through the network)");
  cmd.add_option("--value-guidance", o.value_guidance,
                 "value guidance scale (methods value-guidance, smc+value-guidance); 1: the tilt exp(lambda V)")
      ->capture_default_str();
  cmd.add_option("--guidance-window", o.guidance_window, "times 'a,b' where guidance acts")->capture_default_str();
  cmd.add_option("--classifier", o.classifier,
                 "Fashion-MNIST classifier for class rewards, classifier-FID and class shares")
      ->capture_default_str();
}

std::vector<AlignmentMethod> AlignOptions::method_list() const {
  std::vector<AlignmentMethod> out;
  for (const std::string& name : split(methods, ',')) {
    const AlignmentMethod method = parse_named(alignment_method_names(), name, "method");
    if (std::find(out.begin(), out.end(), method) != out.end())
      throw std::invalid_argument("method '" + name + "' listed twice");
    out.push_back(method);
  }
  return out;
}

AlignmentSettings AlignOptions::settings(const CLI::App& cmd, const std::shared_ptr<DiamondMap>& map) const {
  const AlignOptions& o = *this;
  AlignmentSettings a;
  a.smc = o.smc;
  if (cmd.count("--select") > 0) a.select = o.select;
  if (o.value_sampler == ValueSampler::Diamond) {
    if (!map) throw std::invalid_argument("--value-sampler diamond needs a map: give --diamond DIR");
    // Value estimates draw from the map; multilevel ones take it as their level 0.
    a.smc.value.sampler = a.smc.multilevel.base = std::make_shared<DiamondPosteriorSampler>(map);
  }
  const std::vector<double> window = parse_double_list(o.guidance_window, "guidance window");
  if (window.size() != 2) throw std::invalid_argument("--guidance-window takes two times 'a,b'");
  a.guidance = GuidanceScale{o.guidance, window[0], window[1]};
  a.value_guidance = GuidanceScale{o.value_guidance, window[0], window[1]};
  a.guidance.validate("--guidance-window");
  a.guidance_detached = o.guidance_detached;
  a.particles = o.particles;
  a.max_nfe = o.max_nfe;
  return a;
}

void AlignOptions::reject_unused(const CLI::App& cmd, const std::vector<AlignmentMethod>& methods,
                                 const FlowModel& model) const {
  const AlignOptions& o = *this;
  const auto any = [&](bool (*pred)(AlignmentMethod)) { return std::any_of(methods.begin(), methods.end(), pred); };
  const bool smc = any(is_smc), many = any(uses_particles);
  const bool guided = any(uses_denoiser_guidance), value_guided = any(uses_value_guidance);
  const bool values = value_guided || (smc && o.smc.intermediate == IntermediateReward::Value);
  const bool multilevel = smc && o.smc.intermediate == IntermediateReward::MultilevelValue;
  o.kernel.reject_unused(cmd, (values || multilevel) && o.value_sampler == ValueSampler::Diamond);
  reject_unused_grid_flags(cmd, !o.grid.empty(), model);
  reject_unused_flags(cmd, smc_only_flags(), smc, "the smc methods");
  reject_unused_flags(cmd, {"--particles", "--select"}, many, "best-of-n and the smc methods");
  reject_unused_flags(cmd, {"--guidance", "--guidance-detached"}, guided, "guidance and smc+guidance");
  reject_unused_flags(cmd, {"--value-guidance"}, value_guided, "value-guidance and smc+value-guidance");
  reject_unused_flags(cmd, {"--guidance-window"}, guided || value_guided, "the guided methods");
  reject_unused_flags(cmd, {"--value-samples"}, values, "value guidance and SMC with --intermediate value");
  reject_unused_flags(cmd, {"--value-sampler"}, values || multilevel,
                      "value guidance and SMC with --intermediate value or value-multilevel");
  reject_unused_flags(cmd, {"--value-steps", "--value-solver"}, values && o.value_sampler == ValueSampler::Glass,
                      "value estimates with --value-sampler glass");
  reject_unused_flags(cmd, {"--multilevel-samples", "--multilevel-base-steps"}, multilevel,
                      "SMC with --intermediate value-multilevel");
  // Denoiser guidance acts through the model's denoiser, which these kernels never call.
  const KernelKind kind = o.kernel.choice.kind;
  if (guided && (kind == KernelKind::Diamond || kind == KernelKind::Exact))
    throw std::invalid_argument("-k " + name_of(kernel_kind_names(), kind) +
                                " does not call the model's denoiser: denoiser guidance "
                                "cannot reach it (use value-guidance or smc)");
}

}  // namespace glass::cli
