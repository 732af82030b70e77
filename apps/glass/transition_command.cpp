// glass transition: draw n samples of p(x_t' | x_t) from one given x_t.
#include <chrono>

#include "commands.h"
#include "kernel_options.h"
#include "model_options.h"
#include "run_options.h"
#include "sample_outputs.h"
#include "glass/stats/energy_distance.h"
#include "glass/transitions/exact_mixture_transition.h"
#include "glass/transitions/rho.h"
#include "glass/util/parse.h"
#include "glass/util/particle_scalars.h"
#include "glass/util/progress_bar.h"

namespace glass::cli {

namespace {

struct TransitionOptions {
  ModelOptions model;
  KernelOptions kernel;
  RunOptions run;
  int64_t n = 1000;
  std::string x;
  double t = 0.3, t_next = 0.7;
  bool compare_exact = true;
};

void run_transition(const TransitionOptions& o) {
  const auto start = std::chrono::steady_clock::now();
  at::Generator gen = o.run.start();
  LoadedModel m = load_model(o.model);
  auto kernel = make_kernel(o.kernel, m);
  const std::vector<double> x_values = parse_double_list(o.x, "--x");
  int64_t numel = 1;
  for (int64_t s : m.sample_shape) numel *= s;
  if (static_cast<int64_t>(x_values.size()) != numel)
    throw std::invalid_argument("--x has " + std::to_string(x_values.size()) + " values; the model's samples have " +
                                std::to_string(numel));
  std::vector<int64_t> shape{1};
  shape.insert(shape.end(), m.sample_shape.begin(), m.sample_shape.end());
  const torch::Tensor x = times_tensor(x_values).to(torch::kFloat32).reshape(shape).expand({o.n, numel}).reshape(
      [&] { auto s = shape; s[0] = o.n; return s; }()).contiguous();

  ProgressBar bar("transition", 1, o.run.show_progress());
  StepResult r = kernel->step(x, full_times(1, o.t), full_times(1, o.t_next), gen);
  bar.update(1);
  bar.finish();

  nlohmann::json summary{{"command", "transition"}, {"model", m.source},       {"schedule", m.model->schedule().name()},
                         {"kernel", kernel->name()}, {"settings", o.kernel.to_json()}, {"n", o.n},
                         {"x", x_values},            {"t", o.t},                   {"t_next", o.t_next},
                         {"nfe", r.nfe},             {"network_rows", m.model->cost().rows}};
  torch::Tensor reference;
  if (m.mixture && o.compare_exact) {
    // Exact draws of the same transition (same rho) and the distance between them: a GLASS kernel
    // is judged against the sampling-noise floor of two exact sets of the same size.
    const std::string rho = o.kernel.kernel == "ddpm" ? "ddpm" : o.kernel.rho;
    ExactMixtureTransition exact(*m.mixture, m.model->schedule_ptr(), RhoSchedule::parse(rho));
    at::Generator eval_gen = make_generator(o.run.seed + 1);
    reference = exact.step(x, full_times(1, o.t), full_times(1, o.t_next), eval_gen).x;
    const torch::Tensor reference2 = exact.step(x, full_times(1, o.t), full_times(1, o.t_next), eval_gen).x;
    summary["exact_comparison"] = {{"rho", rho},
                                   {"energy_distance_to_exact", energy_distance(r.x, reference)},
                                   {"noise_floor_exact_vs_exact", energy_distance(reference2, reference)}};
    if (m.mixture->dim() != 2) reference = torch::Tensor();
  }
  summary["files"] = write_samples(o.run, r.x, reference);
  finish_summary(o.run, summary, start);
}

}  // namespace

void add_transition_command(CLI::App& app) {
  auto o = std::make_shared<TransitionOptions>();
  CLI::App* cmd = app.add_subcommand("transition", "draw n samples of p(x_t' | x_t) from one x_t");
  o->model.add_to(*cmd);
  o->kernel.add_to(*cmd);
  o->run.add_to(*cmd);
  cmd->add_option("-n,--num-samples", o->n, "number of draws")->check(CLI::PositiveNumber)->capture_default_str();
  cmd->add_option("--x", o->x, "the starting point x_t, comma-separated")->required();
  cmd->add_option("--t", o->t, "start time t (0 noise, 1 data)")->capture_default_str();
  cmd->add_option("--t-next", o->t_next, "end time t' > t (1: posterior sampling)")->capture_default_str();
  cmd->add_flag("!--no-exact", o->compare_exact, "skip the comparison with exact transitions (mixtures)");
  cmd->callback([o] { run_transition(*o); });
}

void add_presets_command(CLI::App& app) {
  CLI::App* cmd = app.add_subcommand("presets", "list the built-in Gaussian-mixture presets");
  cmd->callback([] {
    for (const auto& name : GaussianMixture::preset_names()) {
      const GaussianMixture g = GaussianMixture::preset(name);
      std::printf("%-10s dim %3lld, %lld components\n", name.c_str(), static_cast<long long>(g.dim()),
                  static_cast<long long>(g.components()));
    }
  });
}

}  // namespace glass::cli
