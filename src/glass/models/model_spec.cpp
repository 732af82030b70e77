#include "glass/models/model_spec.h"

#include <stdexcept>

#include "glass/util/enum_names.h"
#include "glass/util/parse.h"

namespace glass {

const NameTable<Prediction>& prediction_names() {
  static const NameTable<Prediction> table{
      {"velocity", Prediction::Velocity},
      {"x0", Prediction::Denoiser},
      {"noise", Prediction::Noise},
      {"v_prediction", Prediction::VPrediction},
      // diffusers' names and other spellings, accepted but not offered
      {"flow_prediction", Prediction::Velocity, false},
      {"sample", Prediction::Denoiser, false},
      {"denoiser", Prediction::Denoiser, false},
      {"epsilon", Prediction::Noise, false},
      {"eps", Prediction::Noise, false},
      {"v-prediction", Prediction::VPrediction, false},
  };
  return table;
}

Prediction parse_prediction(const std::string& s) {
  if (s == "v")
    throw std::invalid_argument(
        "prediction 'v' is ambiguous: say velocity (a flow's dx/dt or dx/dsigma) or "
        "v_prediction (alpha eps - sigma z, SD 2.x)");
  return parse_named(prediction_names(), s, "prediction type");
}

const NameTable<TimeConvention>& time_convention_names() {
  static const NameTable<TimeConvention> table{
      {"t", TimeConvention::FlowTime},
      {"sigma", TimeConvention::Sigma},
      {"ddpm", TimeConvention::DdpmStep},
  };
  return table;
}

TimeConvention parse_time_convention(const std::string& s) {
  return parse_named(time_convention_names(), s, "time convention");
}

void ModelSpec::validate() const {
  if (prediction == Prediction::Velocity && time == TimeConvention::DdpmStep)
    throw std::invalid_argument(
        "a velocity is a derivative in continuous time (t or sigma); a model on integer DDPM steps predicts "
        "noise, x0 or v_prediction");
}

std::string to_string(Prediction p) { return name_of(prediction_names(), p); }

std::string to_string(TimeConvention c) { return name_of(time_convention_names(), c); }

}  // namespace glass
