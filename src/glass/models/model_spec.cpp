#include "glass/models/model_spec.h"

#include <stdexcept>

namespace glass {

Prediction parse_prediction(const std::string& s) {
  if (s == "velocity" || s == "v") return Prediction::Velocity;
  if (s == "x0" || s == "denoiser") return Prediction::Denoiser;
  if (s == "noise" || s == "eps") return Prediction::Noise;
  throw std::invalid_argument("unknown prediction type '" + s + "' (expected velocity, x0 or noise)");
}

TimeConvention parse_time_convention(const std::string& s) {
  if (s == "t") return TimeConvention::FlowTime;
  if (s == "sigma") return TimeConvention::Sigma;
  if (s == "ddpm") return TimeConvention::DDPMStep;
  throw std::invalid_argument("unknown time convention '" + s + "' (expected t, sigma or ddpm)");
}

std::string to_string(Prediction p) {
  switch (p) {
    case Prediction::Velocity: return "velocity";
    case Prediction::Denoiser: return "x0";
    case Prediction::Noise: return "noise";
  }
  return "?";
}

std::string to_string(TimeConvention c) {
  switch (c) {
    case TimeConvention::FlowTime: return "t";
    case TimeConvention::Sigma: return "sigma";
    case TimeConvention::DDPMStep: return "ddpm";
  }
  return "?";
}

}  // namespace glass
