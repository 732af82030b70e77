#include "glass/transitions/ode_transition.h"

#include <stdexcept>

#include "glass/util/enum_names.h"
#include "glass/util/parse.h"
#include "glass/util/particle_scalars.h"

namespace glass {

const NameTable<OdeMethod>& ode_method_names() {
  static const NameTable<OdeMethod> table{
      {"euler", OdeMethod::Euler},
      {"heun", OdeMethod::Heun},
      {"midpoint", OdeMethod::Midpoint},
  };
  return table;
}

OdeMethod parse_ode_method(const std::string& s) { return parse_named(ode_method_names(), s, "ODE method"); }

OdeTransition::OdeTransition(FlowModel& model, OdeMethod method) : model_(model), method_(method) {}

std::string OdeTransition::name() const {
  switch (method_) {
    case OdeMethod::Euler: return "ode-euler";
    case OdeMethod::Heun: return "ode-heun";
    case OdeMethod::Midpoint: return "ode-midpoint";
  }
  return "ode";
}

StepResult OdeTransition::step(const torch::Tensor& x, const torch::Tensor& t, const torch::Tensor& t_next,
                               at::Generator&) {
  const StepTimes st = check_step(x, t, t_next);
  const size_t n = st.t.size();
  std::vector<double> h(n), t_mid(n);
  for (size_t i = 0; i < n; ++i) {
    h[i] = st.t_next[i] - st.t[i];
    t_mid[i] = 0.5 * (st.t[i] + st.t_next[i]);
  }
  const torch::Tensor hb = broadcastable(h, x);
  const torch::Tensor u0 = model_.velocity(x, times_tensor(st.t));
  const torch::Tensor euler = x + hb * u0;
  switch (method_) {
    case OdeMethod::Euler: return {euler, 1, std::nullopt};
    case OdeMethod::Midpoint: {
      const torch::Tensor um = model_.velocity(x + 0.5 * hb * u0, times_tensor(t_mid));
      return {x + hb * um, 2, std::nullopt};
    }
    case OdeMethod::Heun: {
      // The trapezoid needs u at t'; a non-velocity model has none at sigma = 0 (t' = 1), and
      // there the step stays Euler (as EDM's sampler does).
      bool at_data_end = false;
      for (double tn : st.t_next) at_data_end |= model_.schedule().sigma(tn) == 0.0;
      if (at_data_end && model_.spec().prediction != Prediction::Velocity) return {euler, 1, std::nullopt};
      const torch::Tensor u1 = model_.velocity(euler, times_tensor(st.t_next));
      return {x + 0.5 * hb * (u0 + u1), 2, std::nullopt};
    }
  }
  throw std::logic_error("unreachable");
}

}  // namespace glass
