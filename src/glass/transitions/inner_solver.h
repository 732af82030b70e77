#pragma once
// Solvers for GLASS's inner ODE d xbar/ds = w1 xbar + w2 Dbar_s(xbar) + w3 x_t on s in [0, 1].
// Network calls are the cost, so the choice is about accuracy per call. None of them evaluates the
// velocity at s = 1, where the inner noise sbar_s vanishes for t' = 1 and w1 is singular.
#include <torch/torch.h>

#include <array>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "glass/util/enum_names.h"

namespace glass {

enum class InnerSolver {
  Euler,     // first order, 1 call a step (the papers' choice; with the CondOT inner schedule it is
             // also the exponential integrator: exact while Dbar stays constant)
  Midpoint,  // explicit midpoint, second order, 2 calls a step
  Heun,      // trapezoid predictor-corrector, second order, 2 calls a step; the last step onto a
             // vanishing inner noise is a midpoint step
  Ab2,       // two-step Adams-Bashforth: reuses the previous step's velocity, second order, 1 call
  Pc3,       // AB2 predictor, then the next step's call (made anyway) corrects the step just taken
             // by a three-point Adams-Moulton rule (UniPC's idea): third order, 1 call a step
};

// The one default of GLASS transitions (the command and Python read it too): pc3 reaches Euler's
// accuracy at a quarter of the calls (docs/benchmarks.md, "Inner solvers"). Value estimates keep
// their own (values/value_estimate.h).
constexpr InnerSolver kDefaultInnerSolver = InnerSolver::Pc3;

// Its names, for parsing, printing and the command line's choices.
const NameTable<InnerSolver>& inner_solver_names();
InnerSolver parse_inner_solver(const std::string& name);  // euler | midpoint | heun | ab2 | pc3
std::string inner_solver_name(InnerSolver solver);
int calls_per_inner_step(InnerSolver solver);
int inner_solver_order(InnerSolver solver);

// One inner step of a solver on the grid s (step j: s[j] -> s[j+1]): its weights, as
// integrate_inner reads them, and where a two-stage solver makes its second call.
constexpr int kInnerStepWeights = 5;
struct InnerStepRule {
  std::array<double, kInnerStepWeights> weights{};
  std::optional<double> stage;  // midpoint, heun: the inner time of the step's second call
};
// `end_singular`: the inner noise (nearly) vanishes at s[j+1] (t' = 1), where no solver may call:
// heun's last step is then a midpoint step.
InnerStepRule inner_step_rule(InnerSolver solver, const std::vector<double>& s, int j, bool end_singular);

// What integrate_inner asks of its caller, who keeps the coefficients (a plain number, or one per
// particle): the velocity at evaluation e (step j's first call is evaluation j *
// calls_per_inner_step, a two-stage solver's second j * 2 + 1), and y + w u with weight k of step j.
struct InnerSystem {
  std::function<torch::Tensor(int evaluation, const torch::Tensor& y)> velocity;
  std::function<torch::Tensor(const torch::Tensor& y, int step, int weight, const torch::Tensor& u)> add_weighted;
};
// y after `steps` steps of the solver from y0 (every rule from inner_step_rule).
torch::Tensor integrate_inner(InnerSolver solver, int steps, torch::Tensor y0, const InnerSystem& system);

// Weights w_i such that sum_i w_i f(nodes_i) is the integral over [a, b] of the polynomial that
// interpolates f at the nodes (at most 3 nodes: Adams-Bashforth and Adams-Moulton rules on uneven
// grids). A node equal to a later one gets weight 0 (a zero-length step of a table grid).
std::vector<double> interpolation_weights(const std::vector<double>& nodes, double a, double b);

}  // namespace glass
