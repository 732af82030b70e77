#pragma once
// Deterministic steps of the probability-flow ODE dx/dt = u_t(x).
#include "glass/models/flow_model.h"
#include "glass/transitions/transition.h"
#include "glass/util/enum_names.h"

namespace glass {

enum class OdeMethod { Euler, Heun, Midpoint };
// Its names, for parsing, printing and the command line's choices.
const NameTable<OdeMethod>& ode_method_names();
OdeMethod parse_ode_method(const std::string& s);  // euler | heun | midpoint

class OdeTransition final : public TransitionKernel {
 public:
  OdeTransition(FlowModel& model, OdeMethod method);
  std::string name() const override;
  bool stochastic() const override { return false; }
  StepResult step(const torch::Tensor& x, const torch::Tensor& t, const torch::Tensor& t_next,
                  at::Generator& gen) override;
  int64_t nfe_per_step() const override { return method_ == OdeMethod::Euler ? 1 : 2; }

 private:
  FlowModel& model_;
  OdeMethod method_;
};

}  // namespace glass
