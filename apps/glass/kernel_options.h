#pragma once
// Flags that choose a transition kernel, and the kernel they build.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <memory>
#include <optional>

#include "glass/sampling/kernel_choice.h"
#include "glass/transitions/glass_transition.h"
#include "glass/transitions/transition.h"
#include "model_options.h"

namespace glass::cli {

struct KernelOptions {
  std::string kernel = "glass";  // glass | ode | ddpm | ddim | sde | exact
  std::string rho = "0.4";
  int inner_steps = 10;
  std::string inner_solver = inner_solver_name(kDefaultInnerSolver);
  double sbar_init = 1.0;
  std::string ode_method = "heun";
  std::string diffusion = "sigma";
  std::optional<double> eta;  // SDE noise scale (default 1); ddpm/ddim step-noise share (1 / 0)
  int substeps = 1;
  std::string diamond;  // a Diamond Map folder (glass distill)

  void add_to(CLI::App& app);
  nlohmann::json to_json() const;
  GlassOptions glass_options() const;
  KernelChoice choice() const;  // the library's description of the chosen kernel (without its map)
  // Errors for flags of another kernel; `diamond_values`: value estimates draw from the --diamond map.
  void reject_unused(const CLI::App& cmd, bool diamond_values = false) const;
};

// The map of --diamond, distilled from `model` (nullptr without the flag).
std::shared_ptr<DiamondMap> load_map(const KernelOptions& options, LoadedModel& model);
// choice() with the map for -k diamond.
KernelChoice kernel_choice(const KernelOptions& options, LoadedModel& model);
std::unique_ptr<TransitionKernel> make_kernel(const KernelOptions& options, LoadedModel& model);

}  // namespace glass::cli
