#pragma once
// Flags every running subcommand shares (seed, threads, output, progress) and the run summary.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <string>
#include <vector>

#include "glass/util/random.h"

namespace glass::cli {

struct RunOptions {
  uint64_t seed = 0;
  int threads = 0;  // 0: LibTorch's default
  std::string out_dir = "glass-out";
  bool quiet = false;

  void add_to(CLI::App& app);
  // Applies the thread setting, creates the output directory; returns the seeded generator.
  at::Generator start() const;
  bool show_progress() const;
  std::string path(const std::string& file) const;
};

// A flag the user gave that has no effect in this run is an error naming it, not silently ignored.
// `applies_to` says where it does act, e.g. "-k glass".
void reject_unused_flags(const CLI::App& cmd, const std::vector<std::string>& flags, bool applies,
                         const std::string& applies_to);

// Sets LibTorch's (and so OpenBLAS-OpenMP's) threads; 0: every logical core.
void set_threads(int threads);

// Writes summary.json into the output directory and prints a compact form on stdout (scalars and
// short lists; only `console_keys` when given), then the summary's path.
void finish_summary(const RunOptions& run, nlohmann::json summary, std::chrono::steady_clock::time_point start,
                    const std::vector<std::string>& console_keys = {});

}  // namespace glass::cli
