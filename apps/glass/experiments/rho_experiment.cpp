// Experiment 3: GLASS's correlation rho between the inner ODE's start and x_t. At fixed calls,
// sample quality (K = 5 transitions of M = 10 pc3 steps from noise: classifier-FID, diversity) and
// alignment (SMC with GLASS moves, K = 5 x M = 4, at equal calls per sample: reward log p(dress | z),
// dress share) for constant rho and rho = ddpm (DDPM's own transition). The GLASS paper found a
// constant near 0.4 best.
#include "experiments/experiment_scene.h"
#include "glass/rewards/reward_spec.h"
#include "glass/sampling/sampler.h"
#include "glass/sampling/time_grid.h"
#include "glass/util/progress_bar.h"
#include "glass/util/random.h"

namespace glass::cli {

ExperimentReport rho_experiment(const ExperimentOptions& o) {
  ExperimentScene scene = load_scene(o, "rho", false);
  const std::vector<std::string> rhos = o.quick ? std::vector<std::string>{"0", "0.4", "ddpm"}
                                                : std::vector<std::string>{"0", "0.2", "0.4", "0.6", "0.8", "ddpm"};
  const int64_t images = o.quick ? 64 : 300, outputs = o.quick ? 4 : 16;
  const double budget = o.quick ? 100 : 400;
  const int64_t target = 3;
  const RewardPtr reward = make_reward("class:" + std::to_string(target), RewardContext{o.classifier});
  ExperimentReport report{ResultTable({"rho", "fid", "fid_low", "fid_high", "diversity", "smc_reward", "reward_low",
                                       "reward_high", "dress_share", "share_low", "share_high", "smc_nfe_per_sample"}),
                          {},
                          scene.describe()};
  report.setup.update({{"sampling", "K = 5 GLASS transitions of M = 10 pc3 inner steps from t = 0 (50 calls), " +
                                        std::to_string(images) + " images, FID vs the test set (1.96 bootstrap sd)"},
                       {"alignment", "SMC, GLASS moves K = 5 x M = 4 (pc3), reward " + reward->name() +
                                         ", lambda 1, at most " + std::to_string(static_cast<int>(budget)) +
                                         " calls per sample, " + std::to_string(outputs) + " samples per seed"},
                       {"seeds", o.seed_list()},
                       {"interval", "1.96 standard errors over all samples of all seeds; Wilson for shares"}});
  ProgressBar bar("rho", static_cast<int64_t>(rhos.size() * (1 + o.seed_list().size())), o.show_progress);
  int64_t done = 0;
  for (const std::string& rho : rhos) {
    KernelChoice k;
    k.kind = KernelKind::Glass;
    k.glass = GlassOptions{RhoSchedule::parse(rho), 10, 1.0};
    k.glass.solver = InnerSolver::Pc3;
    bar.update(done++, "rho " + rho + ", sampling");
    torch::Tensor samples;
    {
      torch::NoGradGuard no_grad;
      auto kernel = make_kernel(k, scene.model());
      at::Generator gen = make_generator(o.seed_list().front());
      samples = run_chain(*kernel, prior_noise(images, scene.loaded.sample_shape, gen), uniform_grid(5), gen).x;
    }
    at::Generator boot = make_generator(17);
    const ImageSetScore quality = scene.scorer->assess(samples, -1, boot);
    k.glass.inner_steps = 4;
    AlignmentSettings a;
    a.max_nfe = budget;
    std::vector<torch::Tensor> rewards, finals;
    int64_t nfe = 0;
    for (uint64_t seed : o.seed_list()) {
      bar.update(done++, "rho " + rho + ", SMC seed " + std::to_string(seed));
      AlignmentRun r = align_once(scene, k, 5, AlignmentMethod::Smc, a, reward, outputs, seed);
      rewards.push_back(r.rewards);
      finals.push_back(r.samples);
      nfe = r.cost.nfe_per_output();
    }
    const Estimate rw = mean_interval(torch::cat(rewards));
    const ImageSetScore aligned = scene.scorer->assess(torch::cat(finals), target, boot);
    report.table.add({rho, quality.fid_test.value, quality.fid_test.low, quality.fid_test.high, quality.diversity,
                      rw.value, rw.low, rw.high, aligned.class_share.value, aligned.class_share.low,
                      aligned.class_share.high, nfe});
  }
  bar.finish();
  PlotSpec fid{"rho_fid.png",
               "Sampling quality against rho (GLASS, 5 x 10 calls)",
               "rho",
               "fid",
               "",
               "",
               "fid_low",
               "fid_high",
               "rho",
               "classifier-FID vs the test set"};
  PlotSpec smc{"rho_smc.png",
               "SMC with GLASS moves against rho (reward log p(dress | z))",
               "rho",
               "smc_reward",
               "",
               "",
               "reward_low",
               "reward_high",
               "rho",
               "mean reward of the aligned samples"};
  report.plots = {fid, smc};
  return report;
}

}  // namespace glass::cli
