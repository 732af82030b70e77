// Experiment 8: the reward-against-calls curve. Reward, class share, classifier-FID to the class and
// cost per success (network calls per sample over the share the classifier accepts) at 4, 8, ...,
// 256 calls per sample, for best-of-N (ODE and GLASS chains) and SMC with SDE, DDPM, GLASS and
// Diamond moves, SMC-GLASS also with the newer resampling (SSP on particles ordered by reward,
// VASR's allocation), ESS-chosen tempering, a particle funnel, pruning decided at run time, a
// per-step rho and multilevel value potentials over a Diamond level 0. Every method runs short chains (4 outer steps)
// so that the small budgets hold at least one chain; a method whose chain costs more than a budget is skipped there
// (summary.json lists it). Reward log p(class | z), lambda 1.
#include <limits>

#include "experiments/experiment_scene.h"
#include "glass/diamond/diamond_transition.h"
#include "glass/rewards/reward_spec.h"
#include "glass/util/progress_bar.h"
#include "glass/util/random.h"

namespace glass::cli {

namespace {

struct Contender {
  std::string name;
  KernelChoice kernel;
  int steps;
  AlignmentMethod method;
  std::function<void(SmcOptions&)> tune;  // the SMC settings beyond the defaults
};

std::vector<Contender> contenders(const ExperimentScene& scene, const ExperimentOptions& o) {
  KernelChoice euler, heun, sde, ddpm, glass, diamond;
  euler.kind = heun.kind = KernelKind::Ode;
  euler.ode_method = OdeMethod::Euler;
  sde.kind = KernelKind::Sde;
  sde.sde.substeps = 2;
  ddpm.kind = KernelKind::Ddpm;
  glass.kind = KernelKind::Glass;
  glass.glass = GlassOptions{RhoSchedule::constant(0.4), 2, 1.0};
  glass.glass.solver = InnerSolver::Pc3;
  const auto defaults = [](SmcOptions&) {};
  std::vector<Contender> all{
      {"best-of-N, ODE (Euler 4)", euler, 4, AlignmentMethod::BestOfN, defaults},
      {"best-of-N, ODE (Heun 4)", heun, 4, AlignmentMethod::BestOfN, defaults},
      {"best-of-N, GLASS chains (4 x 2)", glass, 4, AlignmentMethod::BestOfN, defaults},
      {"SMC, SDE moves (4 x 2)", sde, 4, AlignmentMethod::Smc, defaults},
      {"SMC, DDPM moves (8)", ddpm, 8, AlignmentMethod::Smc, defaults},
      {"SMC, GLASS moves (4 x 2)", glass, 4, AlignmentMethod::Smc, defaults},
      {"SMC-GLASS, SSP by reward", glass, 4, AlignmentMethod::Smc,
       [](SmcOptions& s) {
         s.resampling = ResamplingScheme::Ssp;
         s.resampling_order = ResamplingOrder::Reward;
       }},
      {"SMC-GLASS, VASR", glass, 4, AlignmentMethod::Smc, [](SmcOptions& s) { s.allocation = Allocation::Vasr; }},
      {"SMC-GLASS, tempered (ESS 0.5)", glass, 4, AlignmentMethod::Smc, [](SmcOptions& s) { s.tempering_ess = 0.5; }},
      // Half the particles for the last two moves; the budget buys more at the start.
      {"SMC-GLASS, funnel to 0.5 from t = 0.5", glass, 4, AlignmentMethod::Smc,
       [](SmcOptions& s) { s.funnel = {{0.5, 0.5}}; }},
      // 1.5x the particles at the start; each resampling keeps the distinct parents, capped by the calls left.
      {"SMC-GLASS, pruned (start 1.5N)", glass, 4, AlignmentMethod::Smc, [](SmcOptions& s) { s.prune = true; }}};
  KernelChoice glass_rising_rho = glass;  // fresh noise early, where copies must spread; more memory late
  glass_rising_rho.glass.rho = RhoSchedule::per_step({0.0, 0.2, 0.4, 0.6});
  all.push_back({"SMC-GLASS, rho 0,0.2,0.4,0.6 per step", glass_rising_rho, 4, AlignmentMethod::Smc, defaults});
  if (scene.diamond) {
    diamond.kind = KernelKind::Diamond;
    diamond.diamond = scene.diamond;
    all.push_back({"SMC, Diamond moves (4)", diamond, 4, AlignmentMethod::Smc, defaults});
    // E[exp(r) | x_t] from 4 Diamond draws, corrected by 2 pairs of GLASS-2 and Diamond draws from
    // the same noise: 10 calls per potential.
    auto level_0 = std::make_shared<DiamondPosteriorSampler>(scene.diamond);
    all.push_back(
        {"SMC-GLASS, multilevel values (Diamond level 0)", glass, 4, AlignmentMethod::Smc, [level_0](SmcOptions& s) {
           s.intermediate = IntermediateReward::MultilevelValue;
           s.multilevel.samples = {4, 2};
           s.multilevel.base_inner_steps = 2;
           s.multilevel.base = level_0;
         }});
  }
  if (o.methods.empty()) return all;
  std::vector<Contender> chosen;
  for (const Contender& c : all)
    for (const std::string& part : o.methods)
      if (c.name.find(part) != std::string::npos) {
        chosen.push_back(c);
        break;
      }
  if (chosen.empty()) {
    std::string names;
    for (const Contender& c : all) names += (names.empty() ? "" : "; ") + c.name;
    throw std::invalid_argument("--methods: no method of the sweep contains what was given; its methods: " + names);
  }
  return chosen;
}

}  // namespace

ExperimentReport sweep_experiment(const ExperimentOptions& o) {
  ExperimentScene scene = load_scene(o, "sweep", false);
  const std::vector<double> budgets =
      o.quick ? std::vector<double>{8, 32} : std::vector<double>{4, 8, 16, 32, 64, 128, 256};
  const std::vector<int64_t> classes =
      !o.classes.empty() ? o.classes : (o.quick ? std::vector<int64_t>{3} : std::vector<int64_t>{3, 7});
  const std::vector<uint64_t>& seeds = o.seed_list();  // docs/results.md: --seeds 0,1,2,3
  const int64_t outputs = o.quick ? 4 : 16;
  const std::vector<Contender> all = contenders(scene, o);
  ExperimentReport report{
      ResultTable({"budget", "class", "method", "nfe_per_sample", "particles", "samples", "reward", "reward_low",
                   "reward_high", "class_share", "share_low", "share_high", "fid_class", "fid_low", "fid_high",
                   "calls_per_success", "diversity", "seconds"}),
      {},
      scene.describe()};
  report.setup.update({{"lambda", 1.0},
                       {"outputs_per_seed", outputs},
                       {"seeds", seeds},
                       {"classes", classes},
                       {"budgets", budgets},
                       {"skipped", nlohmann::json::array()},
                       {"cost_per_success", "network calls per sample / class share (inf when no sample is accepted)"},
                       {"interval",
                        "rewards: 1.96 standard errors over all outputs of all seeds; share: Wilson; "
                        "FID: 1.96 bootstrap standard deviations"}});
  ProgressBar bar("sweep", static_cast<int64_t>(budgets.size() * classes.size() * all.size() * seeds.size()),
                  o.show_progress);
  int64_t done = 0;
  for (int64_t label : classes) {
    const RewardPtr reward = make_reward("class:" + std::to_string(label), RewardContext{o.classifier});
    for (const Contender& c : all)
      for (double budget : budgets) {
        AlignmentSettings a;
        a.max_nfe = budget;
        c.tune(a.smc);
        const std::string what =
            c.name + ", class " + std::to_string(label) + ", budget " + std::to_string(static_cast<int>(budget));
        const std::optional<PooledRuns> runs =
            align_over_seeds(scene, c.kernel, c.steps, c.method, a, reward, outputs, seeds, what,
                             report.setup["skipped"], [&] { bar.update(done++, what); });
        if (!runs) continue;
        at::Generator boot = make_generator(23);
        const Estimate rw = mean_interval(runs->rewards);
        const ImageSetScore s = scene.scorer->assess(runs->samples, label, boot);
        const double per_success = s.class_share.value > 0.0
                                       ? static_cast<double>(runs->nfe_per_sample) / s.class_share.value
                                       : std::numeric_limits<double>::infinity();
        report.table.add({budget, label, c.name, runs->nfe_per_sample, runs->particles,
                          static_cast<int64_t>(runs->rewards.numel()), rw.value, rw.low, rw.high, s.class_share.value,
                          s.class_share.low, s.class_share.high, s.fid_class.value, s.fid_class.low, s.fid_class.high,
                          per_success, s.diversity, runs->seconds});
      }
  }
  bar.finish();
  for (int64_t label : classes) {
    const std::string cls = "class " + std::to_string(label), tag = "_c" + std::to_string(label) + ".png";
    PlotSpec reward{"sweep_reward" + tag,
                    "Reward against calls per sample, " + cls,
                    "nfe_per_sample",
                    "reward",
                    "method",
                    "",
                    "reward_low",
                    "reward_high",
                    "network calls per sample",
                    "mean log p(class | z)",
                    true};
    reward.where = {{"class", label}};
    PlotSpec share = reward;
    share.file = "sweep_share" + tag;
    share.title = "Share of the target class against calls per sample, " + cls;
    share.y = "class_share";
    share.y_low = "share_low";
    share.y_high = "share_high";
    share.ylabel = "share classified as the target";
    PlotSpec fid = reward;
    fid.file = "sweep_fid" + tag;
    fid.title = "Classifier-FID to the class against calls per sample, " + cls;
    fid.y = "fid_class";
    fid.y_low = "fid_low";
    fid.y_high = "fid_high";
    fid.ylabel = "FID to the class's test images";
    fid.log_y = true;
    report.plots.insert(report.plots.end(), {reward, share, fid});
  }
  return report;
}

}  // namespace glass::cli
