#pragma once
// The flags of `glass align` and what they become: the library's AlignmentSettings (the SMC
// settings bound straight into SmcOptions), the list of methods, and the checks for flags that
// would change nothing.
#include <CLI/CLI.hpp>

#include <memory>
#include <string>
#include <vector>

#include "distributed_options.h"
#include "glass/alignment/alignment_methods.h"
#include "glass/util/enum_names.h"
#include "kernel_options.h"
#include "model_options.h"
#include "run_options.h"
#include "sample_outputs.h"

namespace glass::cli {

// Where value estimates draw their posterior samples.
enum class ValueSampler {
  Glass,    // GLASS with smc.value's inner steps and solver
  Diamond,  // one call of the --diamond map
};
const NameTable<ValueSampler>& value_sampler_names();

struct AlignOptions {
  ModelOptions model;
  KernelOptions kernel;
  RunOptions run;
  DistributedOptions distributed;
  std::string reward;                    // empty: class:3 (dress) on Fashion-MNIST, a quadratic on 2-D data
  SmcOptions smc;                        // lambda (every method's tilt) and the SMC settings, bound by add_smc_flags
  Selection select = Selection::Sample;  // --select, when given: what every particle method returns
  std::string methods = "plain,best-of-n,smc,smc+guidance";
  int64_t n = 0;          // outputs; 0: 32 images or 1000 points
  int64_t particles = 0;  // per output; 0: 8, or as many as --max-nfe allows
  double max_nfe = 0.0;   // network rows per output (2 per call and particle under --cfg); 0: no limit
  int steps = 5;
  std::string grid;
  std::string table_spacing = "trailing";  // DDPM-step models: which table steps -K picks
  ValueSampler value_sampler = ValueSampler::Glass;
  double guidance = 1.0, value_guidance = 1.0;
  std::string guidance_window = "0.2,0.7";
  bool guidance_detached = false;
  std::string classifier = default_model_path("fashion-mnist-classifier/model.json");

  // Binds every flag of `glass align` (the SMC ones into `smc`, with the library's defaults).
  void add_to(CLI::App& cmd);
  // The methods of --methods, in order; a name listed twice is an error.
  std::vector<AlignmentMethod> method_list() const;
  // The library's settings; value estimates integrate with --value-solver, or draw from the map.
  AlignmentSettings settings(const CLI::App& cmd, const std::shared_ptr<DiamondMap>& map) const;
  // Flags that act on none of the chosen methods are errors, not silently ignored.
  void reject_unused(const CLI::App& cmd, const std::vector<AlignmentMethod>& methods, const FlowModel& model) const;
};

}  // namespace glass::cli
