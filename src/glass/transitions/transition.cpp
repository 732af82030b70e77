#include "glass/transitions/transition.h"

#include <cmath>
#include <stdexcept>

#include "glass/util/particle_scalars.h"

namespace glass {

StepTimes check_step(const torch::Tensor& x, const torch::Tensor& t, const torch::Tensor& t_next) {
  if (!x.defined() || x.dim() < 2 || x.size(0) < 1)
    throw std::invalid_argument("transition: x must have shape [N, ...] with N >= 1, got " +
                                (x.defined() ? c10::str(x.sizes()) : std::string("none")));
  if (!x.is_floating_point()) throw std::invalid_argument("transition: x must be a floating-point tensor");
  StepTimes st{particle_values(t, x.size(0), "t"), particle_values(t_next, x.size(0), "t_next")};
  for (size_t i = 0; i < st.t.size(); ++i) {
    const double a = st.t[i], b = st.t_next[i];
    if (!(a >= 0.0 && a <= 1.0) || !(b >= 0.0 && b <= 1.0))
      throw std::invalid_argument("transition: times must lie in [0, 1] (got t = " + std::to_string(a) +
                                  ", t' = " + std::to_string(b) + ")");
    if (!(b > a))
      throw std::invalid_argument("transition: need t' > t (got t = " + std::to_string(a) +
                                  ", t' = " + std::to_string(b) + ")");
  }
  return st;
}

}  // namespace glass
