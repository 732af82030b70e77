// glass sample: draw samples from t = 0 to t = 1 with a chosen transition kernel.
#include <chrono>
#include <filesystem>

#include "commands.h"
#include "glass/sampling/sampler.h"
#include "glass/sampling/time_grid.h"
#include "glass/stats/mixture_fit.h"
#include "glass/util/progress_bar.h"
#include "kernel_options.h"
#include "model_options.h"
#include "run_options.h"
#include "sample_outputs.h"

namespace glass::cli {

namespace {

struct SampleOptions {
  ModelOptions model;
  KernelOptions kernel;
  RunOptions run;
  int64_t n = 0;  // 0: 2000 points for low-dimensional data, 64 images
  int steps = 5;
  std::string grid;
  std::string table_spacing = "trailing";  // DDPM-step models: which table steps -K picks
  std::string classifier = default_model_path("fashion-mnist-classifier/model.json");
};

void run_sample(const SampleOptions& o, const CLI::App& cmd) {
  const auto start = std::chrono::steady_clock::now();
  o.kernel.reject_unused(cmd);
  at::Generator gen = o.run.start();
  LoadedModel m = load_model(o.model);
  reject_unused_grid_flags(cmd, !o.grid.empty(), *m.model);
  auto kernel = make_kernel(o.kernel, m);
  const std::vector<double> grid =
      o.grid.empty() ? default_grid(*m.model, o.steps, parse_table_spacing(o.table_spacing)) : parse_grid(o.grid);

  const int64_t n = o.n > 0 ? o.n : (m.sample_shape.size() > 1 ? 64 : 2000);
  check_starts_from_noise(grid, *m.model, "sample");
  torch::Tensor x = prior_noise(n, m.sample_shape, gen, m.model->device());
  ProgressBar bar("sample", static_cast<int64_t>(grid.size()) - 1, o.run.show_progress());
  const auto sampling_start = std::chrono::steady_clock::now();
  SampleResult r = run_chain(*kernel, x, grid, gen, [&](int k, int, const torch::Tensor&) { bar.update(k); });
  const double sampling_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - sampling_start).count();
  bar.finish();

  nlohmann::json summary{{"command", "sample"},
                         {"model", m.source},
                         {"placement", placement_json(*m.model)},
                         {"conditioning", conditioning_json(o.model)},
                         {"schedule", m.model->schedule().name()},
                         {"kernel", kernel->name()},
                         {"settings", o.kernel.to_json()},
                         {"n", n},
                         {"grid", grid},
                         {"outer_steps", grid.size() - 1},
                         {"nfe", r.nfe},
                         {"network_rows", m.model->cost().rows},
                         {"sampling_seconds", sampling_seconds}};
  torch::Tensor reference;
  if (m.mixture) {
    at::Generator eval_gen = make_generator(o.run.seed + 1);  // keeps the evaluation off the sampling stream
    const MixtureFit fit = assess_mixture_fit(r.x, *m.mixture, eval_gen);
    summary["fit"] = {{"energy_distance_to_exact", fit.energy_distance},
                      {"component_fractions", to_doubles(fit.fractions)},
                      {"component_weights", to_doubles(m.mixture->weights())},
                      {"max_weight_error", fit.max_weight_error}};
    if (m.mixture->dim() == 2) reference = m.mixture->sample(n, eval_gen);
  }
  if (m.sample_shape == std::vector<int64_t>{1, 28, 28} && !o.classifier.empty() &&
      std::filesystem::exists(o.classifier))
    summary["quality"] = fashion_mnist_quality(r.x, o.classifier);
  summary["files"] = write_samples(o.run, r.x, reference);
  finish_summary(o.run, summary, start);
}

}  // namespace

void add_sample_command(CLI::App& app) {
  auto o = std::make_shared<SampleOptions>();
  CLI::App* cmd = app.add_subcommand("sample", "sample a model from noise (t = 0) to data (t = 1)");
  o->model.add_to(*cmd);
  o->kernel.add_to(*cmd);
  o->run.add_to(*cmd);
  cmd->add_option("-n,--num-samples", o->n, "number of samples (default: 2000 points, or 64 images)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("-K,--steps", o->steps,
                  "outer transitions on a uniform grid (a DDPM-step model: that many table steps)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--classifier", o->classifier,
                  "Fashion-MNIST classifier for classifier-FID and class counts (28x28 models)")
      ->capture_default_str();
  cmd->add_option("--table-spacing", o->table_spacing,
                  "DDPM-step models: -K picks table steps 'trailing' (from the noisiest step) or 'leading' (DDIM's "
                  "default)")
      ->check(CLI::IsMember(offered_names(table_spacing_names())))
      ->capture_default_str();
  cmd->add_option("--grid", o->grid, "explicit outer time grid 't0,t1,...,tK' (overrides --steps)");
  cmd->callback([o, cmd] { run_sample(*o, *cmd); });
}

}  // namespace glass::cli
