// glass transition: draw n samples of p(x_t' | x_t) from one given x_t.
#include <chrono>
#include <filesystem>

#include "commands.h"
#include "glass/data/idx_reader.h"
#include "glass/io/bitmap_font.h"
#include "glass/io/png_image.h"
#include "glass/io/tensor_files.h"
#include "glass/stats/energy_distance.h"
#include "glass/transitions/exact_mixture_transition.h"
#include "glass/transitions/rho.h"
#include "glass/util/parse.h"
#include "glass/util/particle_scalars.h"
#include "glass/util/progress_bar.h"
#include "kernel_options.h"
#include "model_options.h"
#include "run_options.h"
#include "sample_outputs.h"

namespace glass::cli {

namespace {

struct TransitionOptions {
  ModelOptions model;
  KernelOptions kernel;
  RunOptions run;
  int64_t n = 1000;
  std::string x, x_file, clean_file;
  int64_t test_image = -1;
  double t = 0.3, t_next = 0.7;
  bool compare_exact = true;
  std::string classifier = default_model_path("fashion-mnist-classifier/model.json");
};

// One sample of the model's shape from a .npy ([shape] or [1, shape]) or a PNG file.
torch::Tensor read_one_sample(const std::string& path, const std::vector<int64_t>& shape) {
  const bool png = std::filesystem::path(path).extension() == ".png";
  torch::Tensor v = png ? read_png(path) : read_npy(path);
  int64_t numel = 1;
  for (int64_t d : shape) numel *= d;
  if (v.numel() != numel)
    throw std::invalid_argument("'" + path + "' holds " + c10::str(v.sizes()) + "; the model's samples have shape " +
                                c10::str(at::IntArrayRef(shape)));
  return v.to(torch::kFloat32).reshape(shape);
}

// The start x_t [shape] and, when it was made by noising a known clean sample, that sample.
std::pair<torch::Tensor, torch::Tensor> start_point(const TransitionOptions& o, const LoadedModel& m) {
  const int given = !o.x.empty() + !o.x_file.empty() + !o.clean_file.empty() + (o.test_image >= 0);
  if (given != 1) throw std::invalid_argument("give exactly one start: --x, --x-file, --clean or --test-image");
  const std::vector<int64_t>& shape = m.sample_shape;
  if (!o.x_file.empty()) return {read_one_sample(o.x_file, shape), torch::Tensor()};
  if (!o.x.empty()) {
    const std::vector<double> values = parse_double_list(o.x, "--x");
    int64_t numel = 1;
    for (int64_t d : shape) numel *= d;
    if (static_cast<int64_t>(values.size()) != numel)
      throw std::invalid_argument("--x has " + std::to_string(values.size()) + " values; the model's samples have " +
                                  std::to_string(numel));
    return {times_tensor(values).to(torch::kFloat32).reshape(shape), torch::Tensor()};
  }
  torch::Tensor clean;
  if (!o.clean_file.empty()) {
    clean = read_one_sample(o.clean_file, shape);
  } else {
    const LabelledImages test = load_fashion_mnist("test");
    if (o.test_image >= test.images.size(0))
      throw std::invalid_argument("--test-image " + std::to_string(o.test_image) + ": the test set has " +
                                  std::to_string(test.images.size(0)) + " images");
    if (shape != std::vector<int64_t>{1, 28, 28})
      throw std::invalid_argument("--test-image needs a model of 1 x 28 x 28 images (Fashion-MNIST)");
    clean = test.images[o.test_image];
  }
  // x_t = alpha_t z + sigma_t eps, with noise of its own stream so the kernel's draws do not move.
  at::Generator noise_gen = make_generator(o.run.seed + 2);
  const Schedule& s = m.model->schedule();
  return {s.alpha(o.t) * clean + s.sigma(o.t) * randn(clean.sizes(), noise_gen), clean};
}

void run_transition(const TransitionOptions& o, const CLI::App& cmd) {
  const auto start = std::chrono::steady_clock::now();
  o.kernel.reject_unused(cmd);
  at::Generator gen = o.run.start();
  LoadedModel m = load_model(o.model);
  auto kernel = make_kernel(o.kernel, m);
  const auto [x_start, clean] = start_point(o, m);
  std::vector<int64_t> batch_shape{o.n};
  batch_shape.insert(batch_shape.end(), m.sample_shape.begin(), m.sample_shape.end());
  const torch::Tensor x = x_start.unsqueeze(0).expand(batch_shape).contiguous();

  ProgressBar bar("transition", 1, o.run.show_progress());
  StepResult r = kernel->step(x, full_times(1, o.t), full_times(1, o.t_next), gen);
  bar.update(1);
  bar.finish();

  nlohmann::json summary{{"command", "transition"},
                         {"model", m.source},
                         {"schedule", m.model->schedule().name()},
                         {"kernel", kernel->name()},
                         {"settings", o.kernel.to_json()},
                         {"n", o.n},
                         {"t", o.t},
                         {"t_next", o.t_next},
                         {"nfe", r.nfe},
                         {"network_rows", m.model->cost().rows}};
  if (x_start.numel() <= 16) summary["x"] = to_doubles(x_start);
  const bool images = x_start.dim() == 3;
  if (clean.defined()) {
    // How far the draws are from the clean sample that was noised: the posterior's spread at t' = 1.
    const torch::Tensor err = (r.x - clean.unsqueeze(0)).reshape({o.n, -1});
    summary["distance_to_clean"] = {{"rms_per_draw", err.pow(2).mean(1).sqrt().mean().item<double>()},
                                    {"rms_of_draw_mean", err.mean(0).pow(2).mean().sqrt().item<double>()}};
    if (o.test_image >= 0) summary["test_image"] = o.test_image;
  }
  torch::Tensor reference;
  // DDIM's family has no exact counterpart with |rho| < 1 unless eta = 1 (DDPM).
  const KernelChoice& c = o.kernel.choice;
  const bool comparable = c.kind != KernelKind::Ddim && !(c.kind == KernelKind::Ddpm && c.eta_or_default() != 1.0);
  if (m.mixture && o.compare_exact && comparable) {
    // Exact draws of the same transition (same rho) and the distance between them: a GLASS kernel
    // is judged against the sampling-noise floor of two exact sets of the same size.
    // DDPM and the Diamond kernel (its early stop) are rho_ddpm transitions.
    const RhoSchedule rho =
        c.kind == KernelKind::Ddpm || c.kind == KernelKind::Diamond ? RhoSchedule::ddpm() : c.glass.rho;
    ExactMixtureTransition exact(*m.mixture, m.model->schedule_ptr(), rho);
    at::Generator eval_gen = make_generator(o.run.seed + 1);
    reference = exact.step(x, full_times(1, o.t), full_times(1, o.t_next), eval_gen).x;
    const torch::Tensor reference2 = exact.step(x, full_times(1, o.t), full_times(1, o.t_next), eval_gen).x;
    summary["exact_comparison"] = {{"rho", rho.name()},
                                   {"energy_distance_to_exact", energy_distance(r.x, reference)},
                                   {"noise_floor_exact_vs_exact", energy_distance(reference2, reference)}};
    if (m.mixture->dim() != 2) reference = torch::Tensor();
  }
  if (images && m.sample_shape == std::vector<int64_t>{1, 28, 28} && !o.classifier.empty() &&
      std::filesystem::exists(o.classifier))
    summary["quality"] = fashion_mnist_quality(r.x, o.classifier);
  nlohmann::json files = write_samples(o.run, r.x, reference);
  if (images) {
    // The start beside what it became: clean sample (when known) and x_t on top, draws below.
    std::vector<torch::Tensor> top{x_start};
    if (clean.defined()) top.insert(top.begin(), clean);
    std::vector<RgbImage> panels{with_caption(image_grid(torch::stack(top), 8), clean.defined() ? "clean, x_t" : "x_t"),
                                 with_caption(image_grid(r.x.narrow(0, 0, std::min<int64_t>(o.n, 64)), 8),
                                              "draws of x_t' (t' = " + c10::str(o.t_next) + ")")};
    write_png(o.run.path("transition.png"), stack_images(panels, /*vertical=*/true, 6));
    write_npy(o.run.path("start.npy"), x_start);
    files["transition_png"] = o.run.path("transition.png");
    files["start_npy"] = o.run.path("start.npy");
  }
  summary["files"] = files;
  finish_summary(o.run, summary, start);
}

}  // namespace

void add_transition_command(CLI::App& app) {
  auto o = std::make_shared<TransitionOptions>();
  CLI::App* cmd = app.add_subcommand("transition", "draw n samples of p(x_t' | x_t) from one x_t (t' = 1: posterior)");
  o->model.add_to(*cmd);
  o->kernel.add_to(*cmd);
  o->run.add_to(*cmd);
  cmd->add_option("-n,--num-samples", o->n, "number of draws")->check(CLI::PositiveNumber)->capture_default_str();
  cmd->add_option("--x", o->x, "the starting point x_t, comma-separated");
  cmd->add_option("--x-file", o->x_file, "the starting point x_t from a .npy or PNG file");
  cmd->add_option("--clean", o->clean_file, "a clean sample (.npy or PNG), noised to time t with the seed");
  cmd->add_option("--test-image", o->test_image, "a Fashion-MNIST test image (index), noised to time t with the seed")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--t", o->t, "start time t (0 noise, 1 data)")->capture_default_str();
  cmd->add_option("--t-next", o->t_next, "end time t' > t (1: posterior sampling)")->capture_default_str();
  cmd->add_flag("!--no-exact", o->compare_exact, "skip the comparison with exact transitions (mixtures)");
  cmd->add_option("--classifier", o->classifier, "Fashion-MNIST classifier for the draws' class counts (28x28 models)")
      ->capture_default_str();
  cmd->callback([o, cmd] { run_transition(*o, *cmd); });
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
