#pragma once
// Resampling schemes: plain functions from normalised weights to ancestor indices (as in
// nchopin/particles). All are unbiased: E[offspring of i] = count * w_i.
//   multinomial  count independent draws
//   stratified   one draw in each of count equal strata of [0, 1)
//   systematic   one shared uniform shift for all count points
//   residual     floor(count w_i) copies, the rest multinomial
//   ssp          Srinivasan sampling process (Gerber, Chopin & Whiteley 2019): fractional parts
//                paired off two at a time, so every particle gets floor or ceil of count w_i
//                copies and the counts are negatively associated whatever the order
//   killing      (Del Moral) particle i stays in its own slot with probability w_i / max w; the
//                killed slots are refilled multinomially. Fewer rows move between ranks.
// Systematic, stratified and SSP act on neighbours in the order they are given, so resampling
// particles sorted by a scalar (resample_in_order) lowers their variance further (Gerber et al.).
#include <torch/torch.h>

#include <string>
#include <vector>

#include "glass/util/enum_names.h"

namespace glass {

enum class ResamplingScheme { Multinomial, Stratified, Systematic, Residual, Ssp, Killing };

// Its names, for parsing, printing and the command line's choices.
const NameTable<ResamplingScheme>& resampling_scheme_names();
ResamplingScheme parse_resampling_scheme(const std::string& name);
std::string to_string(ResamplingScheme scheme);

// weights: non-negative, summing to 1 (checked to 1e-9). Returns `count` ancestors in [0, N):
// in increasing order, except for killing, whose survivors keep their own slot (killing needs
// count = N).
std::vector<int64_t> resample(ResamplingScheme scheme, const std::vector<double>& weights, int64_t count,
                              at::Generator& gen);

// The same scheme run over the particles sorted by `keys` (one scalar per particle, ties by
// index), returned as indices of the given order, increasing (killing: as resample()).
std::vector<int64_t> resample_in_order(ResamplingScheme scheme, const std::vector<double>& weights,
                                       const std::vector<double>& keys, int64_t count, at::Generator& gen);

// What the particles are sorted by before a resampling.
enum class ResamplingOrder { Index, Reward };
const NameTable<ResamplingOrder>& resampling_order_names();
std::string to_string(ResamplingOrder order);

}  // namespace glass
