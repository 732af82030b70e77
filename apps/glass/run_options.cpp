#include "run_options.h"

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <thread>
#include <unistd.h>

#include "glass/io/atomic_file.h"

namespace glass::cli {

void set_threads(int threads) {
  // LibTorch's default counts physical cores (1 on a 2-vCPU machine); 0 means every logical core.
  torch::set_num_threads(threads > 0 ? threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
}

void RunOptions::add_to(CLI::App& app) {
  app.add_option("-s,--seed", seed, "random seed (same seed and threads: same output)")->capture_default_str();
  app.add_option("-t,--threads", threads, "CPU threads for LibTorch and BLAS (0: all cores)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("-o,--out", out_dir, "output directory")->capture_default_str();
  app.add_flag("-q,--quiet", quiet, "no progress bar");
}

void reject_unused_flags(const CLI::App& cmd, const std::vector<std::string>& flags, bool applies,
                         const std::string& applies_to) {
  if (applies) return;
  for (const std::string& flag : flags)
    if (cmd.count(flag) > 0)
      throw std::invalid_argument(flag + " has no effect in this run (it applies to " + applies_to + ")");
}

at::Generator RunOptions::start() const {
  set_threads(threads);
  std::error_code ec;
  std::filesystem::create_directories(out_dir, ec);
  if (ec) throw std::runtime_error("cannot create output directory '" + out_dir + "': " + ec.message());
  return make_generator(seed);
}

bool RunOptions::show_progress() const { return !quiet && ::isatty(STDERR_FILENO); }

std::string RunOptions::path(const std::string& file) const { return (std::filesystem::path(out_dir) / file).string(); }

namespace {

// One line per setting: scalars and short lists, nested objects as dotted keys; long lists (every
// particle's reward, per-step diagnostics) stay in summary.json.
void print_compact(const nlohmann::json& j, const std::string& prefix, std::ostream& os) {
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string key = prefix.empty() ? it.key() : prefix + "." + it.key();
    const nlohmann::json& v = it.value();
    if (v.is_object()) {
      print_compact(v, key, os);
    } else if (v.is_array()) {
      const bool short_scalars =
          v.size() <= 10 && std::all_of(v.begin(), v.end(), [](const nlohmann::json& e) { return e.is_primitive(); });
      if (short_scalars) os << key << ": " << v.dump() << "\n";
    } else {
      os << key << ": " << (v.is_string() ? v.get<std::string>() : v.dump()) << "\n";
    }
  }
}

}  // namespace

void finish_summary(const RunOptions& run, nlohmann::json summary, std::chrono::steady_clock::time_point start,
                    const std::vector<std::string>& console_keys) {
  summary["seed"] = run.seed;
  summary["threads"] = torch::get_num_threads();
  summary["wall_seconds"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  write_text_atomically(run.path("summary.json"), summary.dump(2) + "\n");
  nlohmann::json shown = nlohmann::json::object();
  for (const std::string& key : console_keys)
    if (summary.contains(key)) shown[key] = summary[key];
  print_compact(console_keys.empty() ? summary : shown, "", std::cout);
  std::cout << "summary: " << run.path("summary.json") << std::endl;
}

}  // namespace glass::cli
