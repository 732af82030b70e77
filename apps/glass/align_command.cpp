// glass align: reward alignment of a flow model, several methods side by side from the same seed,
// optionally at equal compute (--max-nfe). Prints reward, quality and NFE for each method.
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <iomanip>
#include <sstream>

#include "align_options.h"
#include "align_report.h"
#include "commands.h"
#include "glass/io/bitmap_font.h"
#include "glass/io/png_image.h"
#include "glass/io/tensor_files.h"
#include "glass/rewards/analytic_rewards.h"
#include "glass/rewards/classifier_reward.h"
#include "glass/rewards/reward_spec.h"
#include "glass/sampling/time_grid.h"
#include "glass/stats/mixture_fit.h"
#include "glass/util/progress_bar.h"
#include "sample_outputs.h"

namespace glass::cli {

namespace {

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
  const std::vector<double> grid =
      o.grid.empty() ? default_grid(*m.model, o.steps, parse_table_spacing(o.table_spacing)) : parse_grid(o.grid);
  const int64_t outputs = o.n > 0 ? o.n : (images ? 32 : 1000);

  const std::vector<AlignmentMethod> methods = o.method_list();
  o.reject_unused(cmd, methods, *m.model);
  // Under torchrun: join the other ranks; every method's particles are split between them.
  const std::optional<DistributedRun> dist = join_launch(o.distributed, cmd, *m.model);
  const bool root = !dist || dist->is_root();
  const std::shared_ptr<DiamondMap> map = load_map(o.kernel, m);
  // Ranks split the particles: every network, map and reward call must not depend on its batch.
  const RewardPtr scored = dist ? make_batch_invariant(dist->block, m.model.get(), reward, map.get()) : reward;
  KernelChoice choice = o.kernel.choice;
  if (choice.kind == KernelKind::Diamond) choice.diamond = map;
  Aligner aligner(*m.model, kernel_factory(choice, m.mixture ? &*m.mixture : nullptr), scored, grid, m.sample_shape,
                  o.settings(cmd, map));
  std::vector<MethodPlan> plans;  // budget and kernel errors before any work
  for (AlignmentMethod method : methods) plans.push_back(aligner.plan(method));
  if (root && !o.run.quiet) print_plans(plans, outputs);  // -q: the table and errors only

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
  const torch::Tensor reference =
      exact && m.mixture->dim() == 2 ? exact->mixture.sample(outputs, eval_gen) : torch::Tensor();
  for (const MethodPlan& plan : plans) {
    const std::string method = name_of(alignment_method_names(), plan.method);
    at::Generator gen = make_generator(o.run.seed);  // every method starts from the same seed
    ProgressBar bar(method, static_cast<int64_t>(grid.size()) - 1, root && o.run.show_progress());
    const AlignmentCallback progress = [&](int k, int) { bar.update(k); };
    AlignmentRun r = dist ? aligner.run_sharded(plan, outputs, dist->sharding(o.run.seed), progress)
                          : aligner.run(plan, outputs, gen, progress);
    bar.finish();
    if (!root) continue;  // rank 0 scores, draws and writes
    nlohmann::json j = method_record(r, aligner.settings().smc);
    if (scorer) j["quality"] = scorer->score(r.samples, target_class);
    if (exact) {
      const MixtureFit fit = assess_mixture_fit(r.samples, exact->mixture, eval_gen);
      j["fit_to_exact_target"] = {{"energy_distance", fit.energy_distance},
                                  {"max_weight_error", fit.max_weight_error},
                                  {"component_fractions", to_doubles(fit.fractions)},
                                  {"component_weights", to_doubles(exact->mixture.weights())}};
    }
    j["npy"] = o.run.path(file_stem(method) + ".npy");
    std::ostringstream caption;
    caption << method << ": reward " << std::fixed << std::setprecision(2) << r.rewards.mean().item<double>() << ", "
            << std::setprecision(0) << r.cost.nfe_per_output() << " NFE/sample";
    if (images) {
      panels.push_back(
          with_caption(image_grid(r.samples.narrow(0, 0, std::min<int64_t>(outputs, 64)), 16), caption.str()));
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
                                               : "one captioned panel per method, left to right: ") +
                            o.methods;
  }
  print_table(runs, methods_json);
  finish_summary(o.run, summary, start,
                 {"model", "reward", "lambda", "kernel", "samples_per_method", "max_nfe_per_sample", "exact_log_z",
                  "png", "wall_seconds"});
}

}  // namespace

void add_align_command(CLI::App& app) {
  auto o = std::make_shared<AlignOptions>();
  CLI::App* cmd = app.add_subcommand(
      "align", "sample p(z) exp(lambda r(z)) / Z: plain sampling, guidance, best-of-N and SMC side by side");
  o->add_to(*cmd);
  cmd->callback([o, cmd] { run_align(*o, *cmd); });
}

}  // namespace glass::cli
