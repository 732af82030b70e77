#pragma once
// Flags that choose the model: a model file (native glass network or the user's TorchScript), or
// a Gaussian-mixture preset or JSON file (exact oracle), and how to read it.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <memory>
#include <optional>

#include "glass/models/gaussian_mixture.h"
#include "glass/models/network_flow_model.h"

namespace glass::cli {

struct ModelOptions {
  std::string model_file;
  std::string preset;  // empty: the shipped Fashion-MNIST model if present, else gmm2d
  std::string mixture_file;
  std::string schedule, prediction, time, sample_shape;
  double time_scale = 0.0;
  std::vector<std::string> conditioning;    // .npy files for a conditional exported model
  std::vector<std::string> unconditioning;  // their null counterparts, for --cfg
  double cfg = -1.0;                        // classifier-free guidance scale; < 0: none
  int64_t label = -1;                       // --class: a class-conditional model's label; < 0: none
  int64_t max_batch = 0;                    // rows per network call; 0: all particles at once
  std::string device = "cpu";               // models/placement.h: where everything runs
  std::string dtype;                        // the network's dtype; empty: the particles' float32

  void add_to(CLI::App& app);
};

struct LoadedModel {
  std::unique_ptr<NetworkFlowModel> model;
  std::optional<GaussianMixture> mixture;  // set when the model is an exact mixture
  std::string source;                      // what was loaded, for the summary
  std::vector<int64_t> sample_shape;       // shape of one sample
};

// Throws for --prediction, --time, --time-scale or --sample-shape without a model file (a mixture
// is exact in library time): they would change nothing.
LoadedModel load_model(const ModelOptions& options);

// --device and --dtype (models/placement.h), for commands that load a model.
void add_placement_options(CLI::App& app, std::string& device, std::string& dtype);

// The summary's record of where it ran: {"device": "cpu", "network_dtype": "bfloat16"}.
nlohmann::json placement_json(const NetworkFlowModel& model);
// The conditioning flags (--class, --cond, --uncond, --cfg) for a summary; empty when none.
nlohmann::json conditioning_json(const ModelOptions& o);

// Errors for -K next to --grid, and for --table-spacing where no table steps are picked.
void reject_unused_grid_flags(const CLI::App& cmd, bool explicit_grid, const FlowModel& model);

}  // namespace glass::cli
