// glass experiment NAME: one of the papers' comparisons on the user's model (experiments/), written
// as results.csv, summary.json (setup, findings, the rows, the machine and date) and PNG plots
// drawn by scripts/plot_experiment.py with Debian's python3-matplotlib. Everything is made in a
// staging folder and moved into place only when the plots are drawn: a failed run leaves nothing.
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sys/utsname.h>
#include <thread>
#include <unistd.h>

#include "commands.h"
#include "experiments/experiment.h"
#include "glass/io/atomic_file.h"
#include "glass/util/parse.h"
#include "model_options.h"
#include "run_options.h"
#include "sample_outputs.h"

namespace glass::cli {

namespace {

namespace fs = std::filesystem;

struct ExperimentFlags {
  std::string name, seeds, classes, out;
  ExperimentOptions options;
  int threads = 0;
  bool quiet = false;
};

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);)
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
  return "unknown";
}

nlohmann::json machine() {
  utsname u{};
  uname(&u);
  return {{"cpu", cpu_model()},
          {"logical_cores", std::thread::hardware_concurrency()},
          {"threads", at::get_num_threads()},
          {"system", std::string(u.sysname) + " " + u.release},
          {"libtorch", TORCH_VERSION}};
}

std::string utc_now() {
  const std::time_t now = std::time(nullptr);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  return text;
}

std::string environment_or(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v && *v ? v : fallback;
}

std::string shell_quoted(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

// The command that reproduces this run.
std::string command_line(const ExperimentFlags& f) {
  std::string c = "glass experiment " + f.name;
  if (f.options.quick) c += " --quick";
  if (!f.seeds.empty()) c += " --seeds " + f.seeds;
  if (!f.classes.empty()) c += " --classes " + f.classes;
  if (!f.options.methods.empty()) {
    c += " --methods";
    for (const std::string& m : f.options.methods) c += " " + shell_quoted(m);
  }
  if (!f.options.model.empty()) c += " -m " + f.options.model;
  if (!f.options.diamond.empty()) c += " --diamond " + f.options.diamond;
  if (!f.options.conditional_model.empty()) c += " --conditional-model " + f.options.conditional_model;
  if (f.threads) c += " -t " + std::to_string(f.threads);
  return c + " -o " + f.out;
}

void run_experiment(ExperimentFlags f) {
  const auto start = std::chrono::steady_clock::now();
  set_threads(f.threads);
  for (double s : f.seeds.empty() ? std::vector<double>{} : parse_double_list(f.seeds, "--seeds")) {
    if (s < 0 || s != static_cast<double>(static_cast<uint64_t>(s)))
      throw std::invalid_argument("--seeds: seeds are non-negative integers");
    f.options.seeds.push_back(static_cast<uint64_t>(s));
  }
  for (double c : f.classes.empty() ? std::vector<double>{} : parse_double_list(f.classes, "--classes")) {
    if (c < 0 || c > 9 || c != static_cast<int64_t>(c))
      throw std::invalid_argument("--classes: Fashion-MNIST classes are 0 to 9");
    f.options.classes.push_back(static_cast<int64_t>(c));
  }
  if (f.out.empty()) f.out = "experiments-out/" + f.name + (f.options.quick ? "-quick" : "");
  const Experiment* experiment = nullptr;
  for (const Experiment& e : experiments())
    if (e.name == f.name) experiment = &e;
  if (!experiment) throw std::invalid_argument("experiment '" + f.name + "' does not exist");
  if (!f.options.methods.empty() && f.name != "sweep")
    throw std::invalid_argument("--methods: only the sweep chooses among its methods");
  // The plotter is checked before minutes of work, not after.
  const std::string python = environment_or("GLASS_PYTHON", GLASS_PYTHON_DEFAULT);
  const std::string script = environment_or("GLASS_PLOT_SCRIPT", GLASS_PLOT_SCRIPT);
  if (!fs::exists(script)) throw std::runtime_error("plot script " + script + " is missing");
  if (std::system((shell_quoted(python) + " -c 'import matplotlib' >/dev/null 2>&1").c_str()) != 0)
    throw std::runtime_error("plots: " + python +
                             " cannot import matplotlib (pip install matplotlib, or set GLASS_PYTHON)");

  ExperimentReport report = experiment->run(f.options);

  fs::create_directories(f.out);
  const fs::path staging = fs::path(f.out) / (".staging-" + std::to_string(::getpid()));
  fs::remove_all(staging);
  fs::create_directories(staging);
  try {
    nlohmann::json plots = nlohmann::json::array();
    for (const PlotSpec& p : report.plots) plots.push_back(p.to_json());
    const nlohmann::json summary{
        {"experiment", f.name},
        {"description", experiment->description},
        {"command", command_line(f)},
        {"quick", f.options.quick},
        {"seeds", f.options.seed_list()},
        {"date", utc_now()},
        {"machine", machine()},
        {"wall_seconds", std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count()},
        {"setup", report.setup},
        {"findings", report.findings},
        {"columns", report.table.columns()},
        {"rows", report.table.records()},
        {"plots", plots}};
    write_text_atomically((staging / "results.csv").string(), report.table.csv());
    write_text_atomically((staging / "summary.json").string(), summary.dump(2) + "\n");
    const std::string cmd = shell_quoted(python) + " " + shell_quoted(script) + " " + shell_quoted(staging.string());
    if (std::system(cmd.c_str()) != 0) throw std::runtime_error("plots: " + script + " failed (its message is above)");
    for (const auto& entry : fs::directory_iterator(staging))
      fs::rename(entry.path(), fs::path(f.out) / entry.path().filename());
    fs::remove_all(staging);
  } catch (...) {
    fs::remove_all(staging);
    throw;
  }
  std::cout << report.table.csv() << "results: " << (fs::path(f.out) / "results.csv").string() << "\n"
            << "summary: " << (fs::path(f.out) / "summary.json").string() << "\n";
  for (const PlotSpec& p : report.plots) std::cout << "plot: " << (fs::path(f.out) / p.file).string() << "\n";
}

}  // namespace

void add_experiment_command(CLI::App& app) {
  auto f = std::make_shared<ExperimentFlags>();
  std::vector<std::string> names;
  std::string list;
  for (const Experiment& e : experiments()) {
    names.push_back(e.name);
    list += "\n  " + e.name + ": " + e.description;
  }
  CLI::App* cmd = app.add_subcommand("experiment", "the papers' comparisons as commands: CSV, JSON summary and plots");
  cmd->footer("experiments:" + list);
  cmd->add_option("name", f->name, "which experiment")->required()->check(CLI::IsMember(names));
  cmd->add_flag("--quick", f->options.quick, "a smaller run of minutes (smoke test) instead of the full one");
  cmd->add_option("--seeds", f->seeds, "comma-separated seeds (default: 0 quick, 0,1,2 full)");
  cmd->add_option("--classes", f->classes, "alignment, cfg: target classes 0-9 (default: 3 quick, 3,7 full)");
  cmd->add_option("--methods", f->options.methods,
                  "sweep: run only the methods whose name contains one of these (e.g. funnel 'SMC, GLASS')");
  cmd->add_option("-m,--model", f->options.model,
                  "model file, or a mixture preset where the experiment has exact answers (default: the shipped "
                  "Fashion-MNIST model)");
  f->options.classifier = default_model_path("fashion-mnist-classifier/model.json");
  cmd->add_option("--classifier", f->options.classifier, "Fashion-MNIST classifier")->capture_default_str();
  cmd->add_option("--diamond", f->options.diamond,
                  "Diamond Map folder, or 'none' (default: the map shipped for the model)");
  cmd->add_option("--conditional-model", f->options.conditional_model,
                  "cfg: the class-conditional model (default: the shipped fashion-mnist-cond-unet)");
  add_placement_options(*cmd, f->options.device, f->options.dtype);
  cmd->add_option("-t,--threads", f->threads, "CPU threads (0: all cores)")->check(CLI::NonNegativeNumber);
  cmd->add_option("-o,--out", f->out, "output folder (default: experiments-out/NAME[-quick])");
  cmd->add_flag("-q,--quiet", f->quiet, "no progress bar");
  cmd->callback([f] {
    f->options.show_progress = !f->quiet && ::isatty(STDERR_FILENO);
    run_experiment(*f);
  });
}

}  // namespace glass::cli
