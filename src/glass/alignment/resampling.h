#pragma once
// Resampling schemes: plain functions from normalised weights to ancestor indices (as in
// nchopin/particles). All are unbiased: E[offspring of i] = count * w_i.
#include <torch/torch.h>

#include <string>
#include <vector>

#include "glass/util/enum_names.h"

namespace glass {

enum class ResamplingScheme { Multinomial, Stratified, Systematic, Residual };

// Its names, for parsing, printing and the command line's choices.
const NameTable<ResamplingScheme>& resampling_scheme_names();
ResamplingScheme parse_resampling_scheme(const std::string& name);
std::string to_string(ResamplingScheme scheme);

// weights: non-negative, summing to 1 (checked to 1e-9). Returns `count` ancestors in [0, N),
// in increasing order.
std::vector<int64_t> resample(ResamplingScheme scheme, const std::vector<double>& weights, int64_t count,
                              at::Generator& gen);

}  // namespace glass
