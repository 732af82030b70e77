#include "glass/models/model_spec.h"

#include <stdexcept>
#include "glass/util/parse.h"

namespace glass {

Prediction parse_prediction(const std::string& s) {
  if (s == "velocity" || s == "flow_prediction") return Prediction::Velocity;
  if (s == "x0" || s == "sample" || s == "denoiser") return Prediction::Denoiser;
  if (s == "noise" || s == "eps" || s == "epsilon") return Prediction::Noise;
  if (s == "v_prediction" || s == "v-prediction") return Prediction::VPrediction;
  if (s == "v")
    throw std::invalid_argument("prediction 'v' is ambiguous: say velocity (a flow's dx/dt or dx/dsigma) or "
                                "v_prediction (alpha eps - sigma z, SD 2.x)");
  throw std::invalid_argument("unknown prediction type " + quote(s) + " (expected velocity, x0, noise or v_prediction)");
}

TimeConvention parse_time_convention(const std::string& s) {
  if (s == "t") return TimeConvention::FlowTime;
  if (s == "sigma") return TimeConvention::Sigma;
  if (s == "ddpm") return TimeConvention::DDPMStep;
  throw std::invalid_argument("unknown time convention " + quote(s) + " (expected t, sigma or ddpm)");
}

void ModelSpec::validate() const {
  if (prediction == Prediction::Velocity && time == TimeConvention::DDPMStep)
    throw std::invalid_argument(
        "a velocity is a derivative in continuous time (t or sigma); a model on integer DDPM steps predicts "
        "noise, x0 or v_prediction");
}

std::string to_string(Prediction p) {
  switch (p) {
    case Prediction::Velocity: return "velocity";
    case Prediction::Denoiser: return "x0";
    case Prediction::Noise: return "noise";
    case Prediction::VPrediction: return "v_prediction";
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
