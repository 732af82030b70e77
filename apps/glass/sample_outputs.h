#pragma once
// What every sampling subcommand writes: samples as CSV and .npy, a PNG scatter for 2-D data
// (over exact reference draws when the model is a mixture), and mixture-fit figures.
#include <nlohmann/json.hpp>

#include "model_options.h"
#include "run_options.h"

namespace glass::cli {

// `reference` (optional, [N, 2]) is drawn in grey under the samples.
nlohmann::json write_samples(const RunOptions& run, const torch::Tensor& samples, const torch::Tensor& reference);

}  // namespace glass::cli
