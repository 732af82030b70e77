#pragma once
// The SMC flags of `glass align`, bound straight into the library's SmcOptions: --help shows the
// library's defaults, and adding a setting is its field plus one line here.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "glass/alignment/smc.h"

namespace glass::cli {

// Binds --potential, --no-final-correction, --resampling, --resample-order, --allocation,
// --ess-threshold, --tempering-ess, --intermediate and the value estimates' --value-samples,
// --value-steps and --value-solver.
void add_smc_flags(CLI::App& cmd, SmcOptions& smc);

// The flags that act only on the SMC methods (for reject_unused_flags).
std::vector<std::string> smc_only_flags();

// The settings a run used, for summary.json.
nlohmann::json smc_settings_json(const SmcOptions& smc);

}  // namespace glass::cli
