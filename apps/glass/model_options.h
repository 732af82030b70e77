#pragma once
// Flags that choose the model: a built-in mixture preset or a mixture JSON file, and its schedule.
#include <CLI/CLI.hpp>

#include <memory>
#include <optional>

#include "glass/models/flow_model.h"
#include "glass/models/gaussian_mixture.h"

namespace glass::cli {

struct ModelOptions {
  std::string preset = "gmm2d";
  std::string mixture_file;
  std::string schedule = "condot";

  void add_to(CLI::App& app);
};

struct LoadedModel {
  std::unique_ptr<FlowModel> model;
  std::optional<GaussianMixture> mixture;  // set when the model is an exact mixture
  std::string source;                      // what was loaded, for the summary
  std::vector<int64_t> sample_shape;       // shape of one sample
};

LoadedModel load_model(const ModelOptions& options);

}  // namespace glass::cli
