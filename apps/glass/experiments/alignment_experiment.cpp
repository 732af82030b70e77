// Experiment 5: alignment at equal compute, several budgets, seeds and target classes: best-of-N
// with the ODE, SMC with SDE, DDPM and GLASS moves, guidance, SMC + guidance, and SMC with Diamond
// moves (with Diamond value potentials) when a map is given. Reward log p(class | z), lambda 1.
// Rewards pooled over the seeds' outputs (each output is an independent population) with 1.96
// standard errors; class share with Wilson's interval; FID to the class's test images with a
// bootstrap interval. The GLASS paper's claim: SMC with SDE moves does not beat best-of-N with
// the ODE, SMC with GLASS moves does.
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
  bool diamond_values = false;
};

std::vector<Contender> contenders(const ExperimentScene& scene) {
  KernelChoice ode, sde, ddpm, glass, diamond;
  ode.kind = KernelKind::Ode;
  sde.kind = KernelKind::Sde;
  sde.sde.substeps = 10;
  ddpm.kind = KernelKind::Ddpm;
  glass.kind = KernelKind::Glass;
  glass.glass = GlassOptions{RhoSchedule::constant(0.4), 4, 1.0};
  glass.glass.solver = InnerSolver::Pc3;
  std::vector<Contender> all{{"best-of-N, ODE (Heun 25)", ode, 25, AlignmentMethod::BestOfN},
                             {"SMC, SDE moves (5 x 10)", sde, 5, AlignmentMethod::Smc},
                             {"SMC, DDPM moves (50)", ddpm, 50, AlignmentMethod::Smc},
                             {"SMC, GLASS moves (5 x 4)", glass, 5, AlignmentMethod::Smc},
                             {"guidance, GLASS (5 x 4)", glass, 5, AlignmentMethod::Guidance},
                             {"SMC + guidance, GLASS (5 x 4)", glass, 5, AlignmentMethod::SmcGuidance}};
  if (scene.diamond) {
    diamond.kind = KernelKind::Diamond;
    diamond.diamond = scene.diamond;
    all.push_back({"SMC, Diamond moves (5)", diamond, 5, AlignmentMethod::Smc});
    all.push_back({"SMC, Diamond moves + values (5)", diamond, 5, AlignmentMethod::Smc, true});
  }
  return all;
}

}  // namespace

ExperimentReport alignment_experiment(const ExperimentOptions& o) {
  ExperimentScene scene = load_scene(o, "alignment", false);
  const std::vector<double> budgets = o.quick ? std::vector<double>{100} : std::vector<double>{100, 400};
  const std::vector<int64_t> classes =
      !o.classes.empty() ? o.classes : (o.quick ? std::vector<int64_t>{3} : std::vector<int64_t>{3, 7});
  const int64_t outputs = o.quick ? 4 : 16;
  const std::vector<Contender> all = contenders(scene);
  ExperimentReport report{ResultTable({"budget", "class", "method", "nfe_per_sample", "particles", "samples", "reward",
                                       "reward_low", "reward_high", "class_share", "share_low", "share_high",
                                       "fid_class", "fid_low", "fid_high", "diversity", "seconds"}),
                          {},
                          scene.describe()};
  report.setup.update({{"lambda", 1.0},
                       {"outputs_per_seed", outputs},
                       {"seeds", o.seed_list()},
                       {"classes", classes},
                       {"budgets", budgets},
                       {"interval",
                        "rewards: 1.96 standard errors over all outputs of all seeds; share: Wilson; "
                        "FID: 1.96 bootstrap standard deviations"},
                       {"guidance",
                        "denoiser guidance scale 1 in t in [0.2, 0.7]; a single chain, so it spends "
                        "what one chain costs, not the budget"}});
  ProgressBar bar("alignment",
                  static_cast<int64_t>(budgets.size() * classes.size() * all.size() * o.seed_list().size()),
                  o.show_progress);
  int64_t done = 0;
  for (double budget : budgets)
    for (int64_t label : classes) {
      const RewardPtr reward = make_reward("class:" + std::to_string(label), RewardContext{o.classifier});
      for (const Contender& c : all) {
        AlignmentSettings a;
        a.max_nfe = budget;
        if (c.diamond_values) {
          a.smc.intermediate = IntermediateReward::Value;
          a.smc.value.samples = 2;
          a.smc.value.sampler = std::make_shared<DiamondPosteriorSampler>(scene.diamond);
        }
        const std::string what =
            c.name + ", class " + std::to_string(label) + ", budget " + std::to_string(static_cast<int>(budget));
        const std::optional<PooledRuns> runs =
            align_over_seeds(scene, c.kernel, c.steps, c.method, a, reward, outputs, o.seed_list(), what,
                             report.setup["skipped"], [&] { bar.update(done++, what); });
        if (!runs) continue;
        at::Generator boot = make_generator(23);
        const Estimate rw = mean_interval(runs->rewards);
        const ImageSetScore s = scene.scorer->assess(runs->samples, label, boot);
        report.table.add({budget, label, c.name, runs->nfe_per_sample, runs->particles,
                          static_cast<int64_t>(outputs * o.seed_list().size()), rw.value, rw.low, rw.high,
                          s.class_share.value, s.class_share.low, s.class_share.high, s.fid_class.value,
                          s.fid_class.low, s.fid_class.high, s.diversity, runs->seconds});
      }
    }
  bar.finish();
  for (int64_t label : classes) {
    const std::string cls = "class " + std::to_string(label);
    PlotSpec reward{"alignment_reward_c" + std::to_string(label) + ".png",
                    "Alignment at equal compute: reward, " + cls,
                    "budget",
                    "reward",
                    "method",
                    "",
                    "reward_low",
                    "reward_high",
                    "network calls per sample (budget)",
                    "mean log p(class | z)",
                    true};
    reward.where = {{"class", label}};
    PlotSpec share = reward;
    share.file = "alignment_share_c" + std::to_string(label) + ".png";
    share.title = "Alignment at equal compute: share of the target class, " + cls;
    share.y = "class_share";
    share.y_low = "share_low";
    share.y_high = "share_high";
    share.ylabel = "share classified as the target";
    report.plots.push_back(reward);
    report.plots.push_back(share);
  }
  return report;
}

}  // namespace glass::cli
