#pragma once
// Flags that choose a transition kernel, and the kernel they build.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <memory>

#include "model_options.h"
#include "glass/transitions/transition.h"

namespace glass::cli {

struct KernelOptions {
  std::string kernel = "glass";  // glass | ode | ddpm | sde | exact
  std::string rho = "0.4";
  int inner_steps = 10;
  double sbar_init = 1.0;
  std::string ode_method = "heun";
  std::string diffusion = "sigma";
  double eta = 1.0;
  int substeps = 1;

  void add_to(CLI::App& app);
  nlohmann::json to_json() const;
};

std::unique_ptr<TransitionKernel> make_kernel(const KernelOptions& options, LoadedModel& model);

}  // namespace glass::cli
