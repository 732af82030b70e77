#pragma once
// The kernel flags, bound straight into the library's KernelChoice: --help shows the library's own
// defaults, and adding a kernel setting is its field plus one line of binding here.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <memory>
#include <string>

#include "glass/sampling/kernel_choice.h"
#include "glass/transitions/transition.h"
#include "model_options.h"

namespace glass::cli {

struct KernelOptions {
  KernelChoice choice;  // every kernel flag but --diamond (its map is loaded with the model)
  std::string diamond;  // a Diamond Map folder (glass distill)

  void add_to(CLI::App& app);
  nlohmann::json to_json() const;  // the settings of the chosen kernel, for summary.json
  // Errors for flags of another kernel; `diamond_values`: value estimates draw from the --diamond map.
  void reject_unused(const CLI::App& cmd, bool diamond_values = false) const;
};

// The map of --diamond, distilled from `model` (nullptr without the flag).
std::shared_ptr<DiamondMap> load_map(const KernelOptions& options, LoadedModel& model);
// The choice with the map for -k diamond.
KernelChoice kernel_choice(const KernelOptions& options, LoadedModel& model);
std::unique_ptr<TransitionKernel> make_kernel(const KernelOptions& options, LoadedModel& model);

}  // namespace glass::cli
