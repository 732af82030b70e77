#pragma once
// How a network's output and time input are to be read. Each ecosystem's convention is one value
// here; NetworkFlowModel converts to library time and the denoiser in one place.
#include <string>

#include "glass/util/enum_names.h"

namespace glass {

enum class Prediction {
  Velocity,     // dx/d(own time): dx/dt for time t; dx/dsigma = eps - z for sigma time (FLUX, SD3,
                // diffusers FlowMatchEuler). The time scale (e.g. 1000) scales the input only.
  Denoiser,     // x0 / "sample": E[z | x]
  Noise,        // epsilon: E[eps | x]
  VPrediction,  // v = alpha eps - sigma z (Salimans & Ho; SD 2.x "v_prediction")
};

enum class TimeConvention {
  FlowTime,  // timestep = scale * t (t = 0 noise, t = 1 data)
  Sigma,     // timestep = scale * (1 - t) (FLUX, SD3, diffusers FlowMatchEuler)
  DdpmStep,  // integer step k of a DDPM table, k = K - 1 the noisiest (needs a ddpm schedule)
};

struct ModelSpec {
  Prediction prediction = Prediction::Velocity;
  TimeConvention time = TimeConvention::FlowTime;
  double time_scale = 1.0;  // e.g. 1000 for networks trained on t * 1000

  // Throws when the pair has no meaning (a velocity needs a continuous time variable).
  void validate() const;
};

// Its names: velocity, x0, noise, v_prediction offered; flow_prediction, sample, denoiser, epsilon,
// eps, v-prediction accepted too ('v' is refused as ambiguous).
const NameTable<Prediction>& prediction_names();
Prediction parse_prediction(const std::string& s);
// Its names, for parsing, printing and the command line's choices.
const NameTable<TimeConvention>& time_convention_names();
TimeConvention parse_time_convention(const std::string& s);  // t | sigma | ddpm
std::string to_string(Prediction p);
std::string to_string(TimeConvention c);

}  // namespace glass
