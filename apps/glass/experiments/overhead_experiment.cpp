// Experiment 6: what a sampler costs beyond its network calls. For each kernel and batch size,
// one transition 0.3 -> 0.7 is timed against the same number of bare denoiser calls at the same
// batch, interleaved in alternating order (A B, B A, ...) so both see the same machine state; the
// ratio of their times is 1.0 when the sampler adds nothing. Median and range over the repeats.
#include <algorithm>
#include <chrono>

#include "experiments/experiment_scene.h"
#include "glass/sampling/kernel_choice.h"
#include "glass/util/particle_scalars.h"
#include "glass/util/progress_bar.h"
#include "glass/util/random.h"

namespace glass::cli {

ExperimentReport overhead_experiment(const ExperimentOptions& o) {
  ExperimentScene scene = load_scene(o, "overhead", true);
  const std::vector<int64_t> batches = o.quick ? std::vector<int64_t>{16} : std::vector<int64_t>{1, 16, 128};
  const int repeats = o.quick ? 3 : 9;
  std::vector<std::pair<std::string, KernelChoice>> kernels;
  KernelChoice k;
  k.kind = KernelKind::Glass;
  k.glass = GlassOptions{RhoSchedule::constant(0.4), 10, 1.0};
  k.glass.solver = InnerSolver::Euler;
  kernels.push_back({"GLASS (Euler, M 10)", k});
  k.glass.solver = InnerSolver::Pc3;
  kernels.push_back({"GLASS (pc3, M 10)", k});
  k.kind = KernelKind::Ddpm;
  kernels.push_back({"DDPM", k});
  k.kind = KernelKind::Sde;
  k.sde.substeps = 10;
  kernels.push_back({"SDE (10 sub-steps)", k});
  k.kind = KernelKind::Ode;
  kernels.push_back({"ODE (Heun)", k});
  ExperimentReport report{ResultTable({"sampler", "batch", "calls", "bare_ms_per_call", "sampler_ms_per_call", "ratio",
                                       "ratio_low", "ratio_high"}),
                          {},
                          scene.describe()};
  report.setup.update({{"repeats", repeats},
                       {"step", "one transition t = 0.3 -> 0.7"},
                       {"bare_call", "the model's denoiser at t = 0.5 on the same batch"},
                       {"threads", at::get_num_threads()},
                       {"range", "min and max ratio over the repeats"}});
  using clock = std::chrono::steady_clock;
  const auto seconds = [](clock::time_point a) { return std::chrono::duration<double>(clock::now() - a).count(); };
  torch::NoGradGuard no_grad;
  ProgressBar bar("overhead", static_cast<int64_t>(batches.size() * kernels.size()), o.show_progress);
  int64_t done = 0;
  for (int64_t batch : batches)
    for (const auto& [name, choice] : kernels) {
      bar.update(done++, name + ", batch " + std::to_string(batch));
      auto kernel = make_kernel(choice, scene.model(), scene.mixture());
      at::Generator gen = make_generator(0);
      std::vector<int64_t> shape{batch};
      shape.insert(shape.end(), scene.loaded.sample_shape.begin(), scene.loaded.sample_shape.end());
      const torch::Tensor x = torch::randn(shape, gen), t = full_times(batch, 0.3), tn = full_times(batch, 0.7);
      const torch::Tensor t_net = full_times(batch, 0.5);
      const int64_t calls = kernel->nfe_per_step();
      kernel->step(x, t, tn, gen);  // warm-up: first-call allocations and oneDNN's kernel choice
      std::vector<double> ratios;
      double bare_total = 0.0, sampler_total = 0.0;
      for (int r = 0; r < repeats; ++r) {
        double bare = 0.0, sampler = 0.0;
        for (int half = 0; half < 2; ++half) {
          const bool run_sampler = (half == 0) == (r % 2 == 0);
          const auto start = clock::now();
          if (run_sampler) kernel->step(x, t, tn, gen);
          else
            for (int64_t c = 0; c < calls; ++c) scene.model().denoise(x, t_net);
          (run_sampler ? sampler : bare) = seconds(start);
        }
        ratios.push_back(sampler / bare);
        bare_total += bare;
        sampler_total += sampler;
      }
      std::sort(ratios.begin(), ratios.end());
      const double per_call = 1e3 / (static_cast<double>(repeats) * calls);
      report.table.add({name, batch, calls, bare_total * per_call, sampler_total * per_call, ratios[ratios.size() / 2],
                        ratios.front(), ratios.back()});
    }
  bar.finish();
  report.plots.push_back({"overhead.png", "Time per network call inside each sampler over the bare call", "batch",
                          "ratio", "sampler", "", "ratio_low", "ratio_high", "particles per call (batch)",
                          "sampler time / bare network time", true});
  return report;
}

}  // namespace glass::cli
