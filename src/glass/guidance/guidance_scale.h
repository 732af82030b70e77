#pragma once
// A guidance strength over time: `scale` inside [t_min, t_max], zero outside. The GLASS paper
// guides only on t in [0.2, 0.7]; near t = 0 the denoiser is the data mean and near t = 1 there is
// nothing left to steer.
#include <string>

namespace glass {

struct GuidanceScale {
  double scale = 0.0;
  // The paper's window by default. Denoiser guidance's factor sigma_t^2 / alpha_t grows without
  // bound as t -> 0, so a window reaching t = 0 is the caller's explicit choice.
  double t_min = 0.2, t_max = 0.7;

  double at(double t) const { return (t >= t_min && t <= t_max) ? scale : 0.0; }
  bool enabled() const { return scale != 0.0; }
  void validate(const std::string& what) const;
};

}  // namespace glass
