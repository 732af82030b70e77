#pragma once
// Solvers for GLASS's inner ODE d xbar/ds = w1 xbar + w2 Dbar_s(xbar) + w3 x_t on s in [0, 1].
// Network calls are the cost, so the choice is about accuracy per call. None of them evaluates the
// velocity at s = 1, where the inner noise sbar_s vanishes for t' = 1 and w1 is singular.
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

// Weights w_i such that sum_i w_i f(nodes_i) is the integral over [a, b] of the polynomial that
// interpolates f at the nodes (at most 3 nodes: Adams-Bashforth and Adams-Moulton rules on uneven
// grids). A node equal to a later one gets weight 0 (a zero-length step of a table grid).
std::vector<double> interpolation_weights(const std::vector<double>& nodes, double a, double b);

}  // namespace glass
