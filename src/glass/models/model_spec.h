#pragma once
// How a network's output and time input are to be read.
#include <string>

namespace glass {

enum class Prediction { Velocity, Denoiser, Noise };

enum class TimeConvention {
  FlowTime,  // timestep = scale * t (t = 0 noise, t = 1 data)
  Sigma,     // timestep = scale * (1 - t) (FLUX, SD3, diffusers FlowMatchEuler)
  DDPMStep,  // integer step k of a DDPM table, k = K - 1 the noisiest (needs a ddpm schedule)
};

struct ModelSpec {
  Prediction prediction = Prediction::Velocity;
  TimeConvention time = TimeConvention::FlowTime;
  double time_scale = 1.0;  // e.g. 1000 for networks trained on t * 1000
};

Prediction parse_prediction(const std::string& s);            // velocity | x0 | denoiser | noise | eps
TimeConvention parse_time_convention(const std::string& s);   // t | sigma | ddpm
std::string to_string(Prediction p);
std::string to_string(TimeConvention c);

}  // namespace glass
