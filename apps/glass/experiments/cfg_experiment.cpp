// Experiment 7: classifier-free guidance against reward steering, and both together, on the shipped
// class-conditional model and its unconditional parent. Target: one class c.
// - CFG w = 0..4: the conditional model with label c, guided D_u + w (D_c - D_u) (w = 0 is the
//   null label's unconditional model, w = 1 the class alone; both one row per call, the others two),
//   one ODE chain per sample.
// - SMC-GLASS on the unconditional model towards log p(c | z) (the published steering setting).
// - SMC-GLASS on the conditional model with label c, alone (w = 1) and with CFG w = 2 on, towards
//   the same reward (FK steering's and the GLASS paper's setting).
// Compute is counted in network rows per sample (a guided call is 2 rows per particle): the SMC
// methods run within the same row budgets, so a CFG'd SMC has half the calls.
#include <cmath>

#include "experiments/experiment_scene.h"
#include "glass/rewards/reward_spec.h"
#include "glass/util/progress_bar.h"
#include "glass/util/random.h"
#include "sample_outputs.h"

namespace glass::cli {

namespace {

struct Contender {
  std::string name;
  bool conditional;  // the class-conditional model (else the unconditional one)
  double cfg;        // < 0: no guidance wrapper (w = 1, the class alone); 0: the null label alone
  bool smc;          // SMC-GLASS within the row budget; else one ODE chain
};

std::string conditional_model_path(const ExperimentOptions& o) {
  return o.conditional_model.empty() ? default_model_path("fashion-mnist-cond-unet/model.json") : o.conditional_model;
}

// The conditional model told which class to draw, with CFG's scale (w = 0: the null label).
ExperimentScene conditional_scene(const ExperimentOptions& o, int64_t label, double cfg) {
  ModelOptions mo;
  mo.model_file = conditional_model_path(o);
  mo.max_batch = 512;
  mo.device = o.device;
  mo.dtype = o.dtype;
  if (cfg != 0.0) mo.label = label;  // w = 0 is the null label's model, without the class
  if (cfg > 0.0 && cfg != 1.0) mo.cfg = cfg;
  return ExperimentScene{load_model(mo), nullptr, nullptr, ""};
}

}  // namespace

ExperimentReport cfg_experiment(const ExperimentOptions& o) {
  ExperimentScene scene = load_scene(o, "cfg", false);
  const std::vector<double> budgets = o.quick ? std::vector<double>{100} : std::vector<double>{100, 400};
  const std::vector<int64_t> classes =
      !o.classes.empty() ? o.classes : (o.quick ? std::vector<int64_t>{3} : std::vector<int64_t>{3, 7});
  const std::vector<double> scales = o.quick ? std::vector<double>{0, 1, 2} : std::vector<double>{0, 1, 2, 3, 4};
  const int64_t outputs = o.quick ? 4 : 16;
  const int ode_steps = 25, glass_steps = 5;

  std::vector<Contender> all;
  for (double w : scales) all.push_back({"CFG w=" + c10::str(w) + " (ODE, Heun 25)", true, w == 1.0 ? -1.0 : w, false});
  all.push_back({"SMC-GLASS, unconditional model", false, -1.0, true});
  all.push_back({"SMC-GLASS, conditional (w=1)", true, -1.0, true});
  all.push_back({"SMC-GLASS + CFG w=2", true, 2.0, true});

  KernelChoice ode, glass;
  ode.kind = KernelKind::Ode;
  glass.kind = KernelKind::Glass;
  glass.glass = GlassOptions{RhoSchedule::constant(0.4), 4, 1.0};
  glass.glass.solver = InnerSolver::Pc3;

  ExperimentReport report{
      ResultTable({"budget", "class", "method", "cfg", "rows_per_sample", "calls_per_sample", "particles", "samples",
                   "reward", "reward_low", "reward_high", "class_share", "share_low", "share_high", "fid_class",
                   "fid_low", "fid_high", "diversity", "seconds"}),
      {},
      scene.describe()};
  report.setup.update(
      {{"conditional_model", conditional_model_path(o)},
       {"lambda", 1.0},
       {"outputs_per_seed", outputs},
       {"seeds", o.seed_list()},
       {"classes", classes},
       {"budgets", budgets},
       {"cfg_scales", scales},
       {"compute",
        "network rows per sample: a CFG call evaluates 2 rows per particle, so SMC + CFG gets half the calls of "
        "the others within a budget; CFG chains cost what one chain costs (Heun 25: 50 calls) whatever the budget"},
       {"interval",
        "rewards: 1.96 standard errors over all outputs of all seeds; share: Wilson; FID: 1.96 bootstrap "
        "standard deviations"}});

  int64_t tasks = 0;
  for (const Contender& c : all) tasks += c.smc ? static_cast<int64_t>(budgets.size()) : 1;
  ProgressBar bar("cfg", tasks * static_cast<int64_t>(classes.size() * o.seed_list().size()), o.show_progress);
  int64_t done = 0;
  for (int64_t label : classes) {
    const RewardPtr reward = make_reward("class:" + std::to_string(label), RewardContext{o.classifier});
    for (const Contender& c : all) {
      ExperimentScene conditional = c.conditional ? conditional_scene(o, label, c.cfg) : ExperimentScene{};
      ExperimentScene& where = c.conditional ? conditional : scene;
      for (double budget : c.smc ? budgets : std::vector<double>{0.0}) {
        AlignmentSettings a;
        a.max_nfe = budget;  // rows (a guided call is 2 per particle); 0: one chain, no budget
        std::vector<torch::Tensor> rewards, samples;
        AlignmentRun last;
        double seconds = 0.0;
        for (uint64_t seed : o.seed_list()) {
          bar.update(done++, c.name + ", class " + std::to_string(label));
          last = align_once(where, c.smc ? glass : ode, c.smc ? glass_steps : ode_steps,
                            c.smc ? AlignmentMethod::Smc : AlignmentMethod::Plain, a, reward, outputs, seed);
          rewards.push_back(last.rewards);
          samples.push_back(last.samples);
          seconds += last.seconds;
        }
        at::Generator boot = make_generator(23);
        const Estimate rw = mean_interval(torch::cat(rewards));
        const ImageSetScore s = scene.scorer->assess(torch::cat(samples), label, boot);
        const double rows = last.cost.nfe_per_output();
        const double w = !c.conditional ? std::nan("") : c.cfg < 0 ? 1.0 : c.cfg;
        report.table.add({c.smc ? budget : rows, label, c.name, w, rows,
                          rows / static_cast<double>(last.plan.rows_per_call), last.plan.particles,
                          static_cast<int64_t>(outputs * o.seed_list().size()), rw.value, rw.low, rw.high,
                          s.class_share.value, s.class_share.low, s.class_share.high, s.fid_class.value,
                          s.fid_class.low, s.fid_class.high, s.diversity, seconds});
      }
    }
  }
  bar.finish();
  for (int64_t label : classes) {
    const std::string cls = "class " + std::to_string(label);
    PlotSpec share{"cfg_share_c" + std::to_string(label) + ".png",
                   "CFG and SMC-GLASS steering: share of the target class, " + cls,
                   "rows_per_sample",
                   "class_share",
                   "method",
                   "",
                   "share_low",
                   "share_high",
                   "network rows per sample",
                   "share classified as the target",
                   true};
    share.where = {{"class", label}};
    PlotSpec fid = share;
    fid.file = "cfg_fid_c" + std::to_string(label) + ".png";
    fid.title = "CFG and SMC-GLASS steering: classifier-FID to the class, " + cls;
    fid.y = "fid_class";
    fid.y_low = "fid_low";
    fid.y_high = "fid_high";
    fid.ylabel = "FID to the class's test images";
    fid.log_y = true;  // the null label's hundreds beside the others' tens
    report.plots.push_back(share);
    report.plots.push_back(fid);
  }
  return report;
}

}  // namespace glass::cli
