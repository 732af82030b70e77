// glass align: reward alignment of a flow model, several methods side by side from the same seed,
// optionally at equal compute (--max-nfe). Prints reward, quality and NFE for each method.
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "commands.h"
#include "glass/alignment/alignment_methods.h"
#include "glass/diamond/diamond_transition.h"
#include "glass/io/bitmap_font.h"
#include "glass/io/png_image.h"
#include "glass/io/tensor_files.h"
#include "glass/rewards/analytic_rewards.h"
#include "glass/rewards/classifier_reward.h"
#include "glass/rewards/reward_spec.h"
#include "glass/sampling/sampler.h"
#include "glass/sampling/time_grid.h"
#include "glass/stats/mixture_fit.h"
#include "glass/util/parse.h"
#include "glass/util/progress_bar.h"
#include "distributed_options.h"
#include "enum_option.h"
#include "kernel_options.h"
#include "model_options.h"
#include "run_options.h"
#include "sample_outputs.h"
#include "smc_flags.h"

namespace glass::cli {

namespace {

struct AlignOptions {
  ModelOptions model;
  KernelOptions kernel;
  RunOptions run;
  DistributedOptions distributed;
  std::string reward;  // empty: class:3 (dress) on Fashion-MNIST, a quadratic on 2-D data
  SmcOptions smc;      // lambda (every method's tilt) and the SMC settings, bound by add_smc_flags
  Selection select = Selection::Sample;  // --select, when given: what every particle method returns
  std::string methods = "plain,best-of-n,smc,smc+guidance";
  int64_t n = 0;          // outputs; 0: 32 images or 1000 points
  int64_t particles = 0;  // per output; 0: 8, or as many as --max-nfe allows
  double max_nfe = 0.0;   // network rows per output (2 per call and particle under --cfg); 0: no limit
  int steps = 5;
  std::string grid;
  std::string table_spacing = "trailing";  // DDPM-step models: which table steps -K picks
  std::string value_sampler = "glass";  // glass (smc.value's inner steps) | diamond (the --diamond map)
  double guidance = 1.0, value_guidance = 1.0;
  std::string guidance_window = "0.2,0.7";
  bool guidance_detached = false;
  std::string classifier = default_model_path("fashion-mnist-classifier/model.json");
};

// The library's settings from the flags. Value estimates integrate with --value-solver, or draw
// from the map.
AlignmentSettings alignment_settings(const AlignOptions& o, const CLI::App& cmd, const std::shared_ptr<DiamondMap>& map) {
  AlignmentSettings a;
  a.smc = o.smc;
  if (cmd.count("--select") > 0) a.select = o.select;
  if (o.value_sampler == "diamond") {
    if (!map) throw std::invalid_argument("--value-sampler diamond needs a map: give --diamond DIR");
    a.smc.value.sampler = std::make_shared<DiamondPosteriorSampler>(map);
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

nlohmann::json smc_details(const SmcResult& r, const SmcOptions& so, bool exact_target) {
  nlohmann::json steps = nlohmann::json::array();
  for (const SmcStep& s : r.steps) {
    nlohmann::json lw = nlohmann::json::array();
    for (int64_t g = 0; g < s.log_weights.size(0); ++g) lw.push_back(to_doubles(s.log_weights[g]));
    steps.push_back({{"t", s.t}, {"lambda", s.lambda}, {"ess", s.ess}, {"resampled", s.resampled},
                     {"distinct_parents", s.distinct_parents}, {"surviving_lineages", s.surviving_lineages},
                     {"floored_constraints", s.floored_constraints}, {"bytes_moved", s.bytes_moved},
                     {"rewards", to_doubles(s.rewards)}, {"log_weights", lw}});
  }
  double mean_log_z = 0.0;
  for (double v : r.log_z) mean_log_z += v / static_cast<double>(r.log_z.size());
  nlohmann::json j = smc_settings_json(so);
  j.update({{"log_z", r.log_z}, {"log_z_mean", mean_log_z}, {"exact_target", exact_target}, {"steps", steps}});
  return j;
}

std::string file_stem(const std::string& method) {
  std::string s = method;
  for (char& c : s)
    if (c == '+') c = '-';
  return s;
}

// The console's view of a run: one line per method (everything else is in summary.json).
void print_table(const std::vector<AlignmentRun>& runs, const nlohmann::json& methods_json) {
  const bool exact = !methods_json.empty() && methods_json[0].contains("fit_to_exact_target");
  std::cout << std::left << std::setw(20) << "method" << std::right << std::setw(10) << "reward" << std::setw(12)
            << "NFE/sample" << std::setw(10) << "particles";
  if (exact) std::cout << std::setw(14) << "dist(target)" << std::setw(12) << "weight err";
  else std::cout << std::setw(11) << "FID(test)" << std::setw(12) << "FID(class)" << std::setw(9) << "class %";
  std::cout << std::setw(9) << "seconds" << "\n";
  for (size_t i = 0; i < runs.size(); ++i) {
    const AlignmentRun& r = runs[i];
    const nlohmann::json& q = methods_json[i].contains("quality") ? methods_json[i]["quality"] : nlohmann::json::object();
    const auto num = [&](const char* key, double scale = 1.0) {
      std::ostringstream s;
      if (q.contains(key)) s << std::fixed << std::setprecision(1) << q[key].get<double>() * scale;
      else s << "-";
      return s.str();
    };
    std::cout << std::left << std::setw(20) << name_of(alignment_method_names(), r.plan.method) << std::right << std::fixed << std::setprecision(3) << std::setw(10)
              << r.rewards.mean().item<double>() << std::setprecision(0) << std::setw(12) << r.cost.nfe_per_output()
              << std::setw(10) << r.plan.particles;
    if (exact) {
      const nlohmann::json& f = methods_json[i]["fit_to_exact_target"];
      std::cout << std::setprecision(4) << std::setw(14) << f["energy_distance"].get<double>() << std::setw(12)
                << f["max_weight_error"].get<double>();
    } else {
      std::cout << std::setw(11) << num("classifier_fid_vs_test") << std::setw(12) << num("classifier_fid_vs_target_class")
                << std::setw(9) << num("target_class_fraction", 100.0);
    }
    std::cout << std::setprecision(1) << std::setw(9) << r.seconds << "\n";
  }
}

// Flags that act on none of the chosen methods are errors, not silently ignored.
void reject_unused_align_flags(const AlignOptions& o, const CLI::App& cmd, const std::vector<AlignmentMethod>& methods,
                               const FlowModel& model) {
  const auto any = [&](bool (*pred)(AlignmentMethod)) { return std::any_of(methods.begin(), methods.end(), pred); };
  const bool smc = any(is_smc), many = any(uses_particles);
  const bool guided = any(uses_denoiser_guidance), value_guided = any(uses_value_guidance);
  const bool values = value_guided || (smc && o.smc.intermediate == IntermediateReward::Value);
  o.kernel.reject_unused(cmd, values && o.value_sampler == "diamond");
  reject_unused_grid_flags(cmd, !o.grid.empty(), model);
  reject_unused_flags(cmd, smc_only_flags(), smc, "the smc methods");
  reject_unused_flags(cmd, {"--particles", "--select"}, many, "best-of-n and the smc methods");
  reject_unused_flags(cmd, {"--guidance", "--guidance-detached"}, guided, "guidance and smc+guidance");
  reject_unused_flags(cmd, {"--value-guidance"}, value_guided, "value-guidance and smc+value-guidance");
  reject_unused_flags(cmd, {"--guidance-window"}, guided || value_guided, "the guided methods");
  reject_unused_flags(cmd, {"--value-samples", "--value-sampler"}, values,
                      "value guidance and SMC with --intermediate value");
  reject_unused_flags(cmd, {"--value-steps", "--value-solver"}, values && o.value_sampler == "glass",
                      "value estimates with --value-sampler glass");
  // Denoiser guidance acts through the model's denoiser, which these kernels never call.
  if (guided && (o.kernel.kernel == "diamond" || o.kernel.kernel == "exact"))
    throw std::invalid_argument("-k " + o.kernel.kernel + " does not call the model's denoiser: denoiser guidance "
                                "cannot reach it (use value-guidance or smc)");
}

void run_align(const AlignOptions& o, const CLI::App& cmd) {
  const auto start = std::chrono::steady_clock::now();
  o.run.start();
  LoadedModel m = load_model(o.model);
  const bool images = m.sample_shape == std::vector<int64_t>{1, 28, 28};
  std::string reward_spec = o.reward;
  if (reward_spec.empty()) {
    if (images) reward_spec = "class:3";
    else if (m.sample_shape == std::vector<int64_t>{2}) reward_spec = "quadratic:kappa=0.5:center=2,1";
    else throw std::invalid_argument("no default reward for samples of this shape: give --reward");
  }
  const RewardPtr reward = make_reward(reward_spec, RewardContext{o.classifier, m.model->device()});
  const std::vector<double> grid = o.grid.empty() ? default_grid(*m.model, o.steps, parse_table_spacing(o.table_spacing)) : parse_grid(o.grid);
  const int64_t outputs = o.n > 0 ? o.n : (images ? 32 : 1000);

  std::vector<AlignmentMethod> methods;
  for (const std::string& name : split(o.methods, ',')) {
    const AlignmentMethod method = parse_named(alignment_method_names(), name, "method");
    if (std::find(methods.begin(), methods.end(), method) != methods.end())
      throw std::invalid_argument("method '" + name + "' listed twice");
    methods.push_back(method);
  }
  reject_unused_align_flags(o, cmd, methods, *m.model);
  // Under torchrun: join the other ranks; every method's particles are split between them.
  const std::optional<DistributedRun> dist = join_launch(o.distributed, cmd, *m.model);
  const bool root = !dist || dist->is_root();
  const std::shared_ptr<DiamondMap> map = load_map(o.kernel, m);
  if (map && dist) map->set_fixed_chunks(dist->block);  // its calls batch-invariant too
  KernelChoice choice = o.kernel.choice();
  if (choice.kind == KernelKind::Diamond) choice.diamond = map;
  Aligner aligner(*m.model, kernel_factory(choice, m.mixture ? &*m.mixture : nullptr), batch_invariant(reward, dist),
                  grid, m.sample_shape, alignment_settings(o, cmd, map));
  std::vector<MethodPlan> plans;  // budget and kernel errors before any work
  for (AlignmentMethod method : methods) plans.push_back(aligner.plan(method));

  // Exact answers where they exist: a mixture tilted by a quadratic reward.
  std::optional<GaussianMixture::Tilted> exact;
  if (const auto* q = dynamic_cast<const QuadraticReward*>(reward.get()); q && m.mixture)
    exact = m.mixture->tilted(q->kappa(), q->center(), o.smc.lambda);
  std::unique_ptr<FashionMnistScorer> scorer;
  int64_t target_class = -1;
  if (const auto* c = dynamic_cast<const ClassifierReward*>(reward.get())) target_class = c->label();
  if (root && images && !o.classifier.empty() && std::filesystem::exists(o.classifier))  // rank 0 scores
    scorer = std::make_unique<FashionMnistScorer>(o.classifier);

  std::vector<AlignmentRun> runs;
  nlohmann::json methods_json = nlohmann::json::array();
  std::vector<RgbImage> panels;
  at::Generator eval_gen = make_generator(o.run.seed + 1);
  const torch::Tensor reference = exact && m.mixture->dim() == 2 ? exact->mixture.sample(outputs, eval_gen) : torch::Tensor();
  for (const MethodPlan& plan : plans) {
    const std::string method = name_of(alignment_method_names(), plan.method);
    at::Generator gen = make_generator(o.run.seed);  // every method starts from the same seed
    ProgressBar bar(method, static_cast<int64_t>(grid.size()) - 1, root && o.run.show_progress());
    const AlignmentCallback progress = [&](int k, int) { bar.update(k); };
    AlignmentRun r = dist ? aligner.run_sharded(plan, outputs, dist->sharding(o.run.seed), progress)
                          : aligner.run(plan, outputs, gen, progress);
    bar.finish();
    if (!root) continue;  // rank 0 scores, draws and writes
    nlohmann::json j{{"method", method},
                     {"particles_per_sample", r.plan.particles},
                     {"select", to_string(r.select)},
                     {"reward_mean", r.rewards.mean().item<double>()},
                     {"reward_std", r.rewards.numel() > 1 ? r.rewards.std().item<double>() : 0.0},
                     {"rewards", to_doubles(r.rewards)},
                     {"nfe_per_sample", r.cost.nfe_per_output()},
                     {"network_calls", r.cost.network_calls},
                     {"network_rows", r.cost.network_rows},
                     {"gradient_calls", r.cost.gradient_calls},
                     {"reward_calls", r.cost.reward_calls},
                     {"reward_rows", r.cost.reward_rows},
                     {"seconds", r.seconds}};
    if (r.best_of_n) j["best_of_n"] = {{"candidate_reward_mean", r.best_of_n->rewards.mean().item<double>()}};
    if (r.smc) {
      SmcOptions so = aligner.settings().smc;
      so.particles = plan.particles;
      so.select = r.select;
      j["smc"] = smc_details(*r.smc, so, r.exact_target);
    }
    if (r.select == Selection::All) j["sample_weights"] = to_doubles(r.weights);
    if (scorer) j["quality"] = scorer->score(r.samples, target_class);
    if (exact) {
      const MixtureFit fit = assess_mixture_fit(r.samples, exact->mixture, eval_gen);
      j["fit_to_exact_target"] = {{"energy_distance", fit.energy_distance}, {"max_weight_error", fit.max_weight_error},
                                  {"component_fractions", to_doubles(fit.fractions)},
                                  {"component_weights", to_doubles(exact->mixture.weights())}};
    }
    j["npy"] = o.run.path(file_stem(method) + ".npy");
    std::ostringstream caption;
    caption << method << ": reward " << std::fixed << std::setprecision(2) << r.rewards.mean().item<double>()
            << ", " << std::setprecision(0) << r.cost.nfe_per_output() << " NFE/sample";
    if (images) {
      panels.push_back(with_caption(image_grid(r.samples.narrow(0, 0, std::min<int64_t>(outputs, 64)), 16), caption.str()));
    } else if (m.sample_shape == std::vector<int64_t>{2}) {
      std::vector<ScatterLayer> layers;
      if (reference.defined()) layers.push_back({reference, {150, 150, 150}, 0.35});
      layers.push_back({r.samples, {30, 90, 200}, 0.6});
      panels.push_back(with_caption(scatter_plot(layers, 420), caption.str(), 1));
    }
    methods_json.push_back(j);
    runs.push_back(std::move(r));
  }
  if (!root) return;  // the other ranks have computed their share: nothing to print or write
  nlohmann::json summary{{"command", "align"},
                         {"model", m.source},
                         {"placement", placement_json(*m.model)},
                         {"conditioning", conditioning_json(o.model)},
                         {"reward", reward->name()},
                         {"lambda", o.smc.lambda},
                         {"kernel", aligner.kernel().name()},
                         {"settings", o.kernel.to_json()},
                         {"grid", grid},
                         {"samples_per_method", outputs},
                         {"max_nfe_per_sample", aligner.budget()},
                         {"methods", methods_json}};
  if (exact) summary["exact_log_z"] = exact->log_z;
  if (dist)
    summary["distributed"] = {{"world_size", dist->comm->world_size()},
                              {"shard_block", dist->block},
                              {"rank0_collectives", dist->comm->stats().collectives},
                              {"rank0_bytes_sent", dist->comm->stats().bytes_sent}};
  // Files only once every method has finished: a failed run leaves no partial set behind.
  for (const AlignmentRun& r : runs)
    write_npy(o.run.path(file_stem(name_of(alignment_method_names(), r.plan.method)) + ".npy"), r.samples);
  if (!panels.empty()) {
    write_png(o.run.path("align.png"), stack_images(panels, /*vertical=*/images, 10));
    summary["png"] = o.run.path("align.png");
    summary["png_layout"] = std::string(images ? "one captioned block of rows per method, top to bottom: "
                                               : "one captioned panel per method, left to right: ") + o.methods;
  }
  print_table(runs, methods_json);
  finish_summary(o.run, summary, start,
                 {"model", "reward", "lambda", "kernel", "samples_per_method", "max_nfe_per_sample", "exact_log_z", "png",
                  "wall_seconds"});
}

}  // namespace

void add_align_command(CLI::App& app) {
  auto o = std::make_shared<AlignOptions>();
  CLI::App* cmd = app.add_subcommand(
      "align", "sample p(z) exp(lambda r(z)) / Z: plain sampling, guidance, best-of-N and SMC side by side");
  o->model.add_to(*cmd);
  o->kernel.add_to(*cmd);
  o->run.add_to(*cmd);
  o->distributed.add_to(*cmd);
  cmd->add_option("-r,--reward", o->reward,
                  "reward: class:K | quadratic:kappa=1:center=x,y | box:lo=..:hi=..:kappa=10 | script:PATH | "
                  "weighted sums 'w1*A+w2*B' (default: class:3 on Fashion-MNIST)");
  cmd->add_option("-l,--lambda", o->smc.lambda, "tilt strength: target p(z) exp(lambda r(z)) / Z")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd->add_option("--methods", o->methods,
                  "comma-separated: plain, guidance, value-guidance, best-of-n, smc, smc+guidance, smc+value-guidance")
      ->capture_default_str();
  cmd->add_option("-n,--num-samples", o->n, "samples per method (default: 32 images, 1000 points)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("-N,--particles", o->particles,
                  "particles (SMC) or candidates (best-of-N) per sample (default 8, or what --max-nfe allows)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--max-nfe", o->max_nfe,
                  "network rows allowed per sample, the NFE of the table (calls, or 2 per call and particle under "
                  "--cfg; default without -N: best-of-8's); best-of-N and SMC take as many particles as fit, "
                  "methods over it are an error")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("-K,--steps", o->steps, "outer transitions on a uniform grid")->check(CLI::PositiveNumber)->capture_default_str();
  cmd->add_option("--table-spacing", o->table_spacing,
                  "DDPM-step models: -K picks table steps 'trailing' (from the noisiest step) or 'leading' (DDIM's "
                  "default)")
      ->check(CLI::IsMember(offered_names(table_spacing_names())))
      ->capture_default_str();
  cmd->add_option("--grid", o->grid, "explicit outer time grid '0,t1,...,1' (overrides --steps)");
  add_smc_flags(*cmd, o->smc);
  add_enum_option(*cmd, "--select", o->select, selection_names(),
                  "what each group of particles returns: a draw from its weights, its highest reward, or all with "
                  "their weights (sample_weights in summary.json); default: SMC draws, best-of-N takes its best")
      ->default_str("");
  cmd->add_option("--value-sampler", o->value_sampler,
                  "value estimates' posterior samples: glass (--value-steps calls each) or diamond (one call of the "
                  "--diamond map)")
      ->check(CLI::IsMember({"glass", "diamond"}))
      ->capture_default_str();
  cmd->add_option("--guidance", o->guidance,
                  "denoiser guidance scale (methods guidance, smc+guidance); 1: the tilt exp(lambda r) itself, "
                  "as for --value-guidance")
      ->capture_default_str();
  cmd->add_flag("--guidance-detached", o->guidance_detached,
                "guidance: gradient w.r.t. the denoised estimate only (no backward pass through the network)");
  cmd->add_option("--value-guidance", o->value_guidance,
                  "value guidance scale (methods value-guidance, smc+value-guidance); 1: the tilt exp(lambda V)")
      ->capture_default_str();
  cmd->add_option("--guidance-window", o->guidance_window, "times 'a,b' where guidance acts")->capture_default_str();
  cmd->add_option("--classifier", o->classifier, "Fashion-MNIST classifier for class rewards, classifier-FID and class shares")
      ->capture_default_str();
  cmd->callback([o, cmd] { run_align(*o, *cmd); });
}

}  // namespace glass::cli
