#include "glass/transitions/inner_solver.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "glass/util/enum_names.h"
#include "glass/util/parse.h"

namespace glass {

const NameTable<InnerSolver>& inner_solver_names() {
  static const NameTable<InnerSolver> table{
      {"euler", InnerSolver::Euler}, {"midpoint", InnerSolver::Midpoint}, {"heun", InnerSolver::Heun},
      {"ab2", InnerSolver::Ab2},     {"pc3", InnerSolver::Pc3},
  };
  return table;
}

InnerSolver parse_inner_solver(const std::string& name) {
  return parse_named(inner_solver_names(), name, "inner solver");
}

std::string inner_solver_name(InnerSolver solver) { return name_of(inner_solver_names(), solver); }

int calls_per_inner_step(InnerSolver solver) {
  return solver == InnerSolver::Midpoint || solver == InnerSolver::Heun ? 2 : 1;
}

int inner_solver_order(InnerSolver solver) {
  switch (solver) {
    case InnerSolver::Euler: return 1;
    case InnerSolver::Pc3: return 3;
    default: return 2;
  }
}

InnerStepRule inner_step_rule(InnerSolver solver, const std::vector<double>& s, int j, bool end_singular) {
  InnerStepRule rule;
  std::array<double, kInnerStepWeights>& w = rule.weights;
  const double h = s[j + 1] - s[j];
  switch (solver) {
    case InnerSolver::Euler: w[0] = h; break;  // y += h u
    case InnerSolver::Ab2:
    case InnerSolver::Pc3: {
      // Predictor over [s_j, s_j+1] from u_j, u_j-1 (Euler at j = 0): w0 u_j + w1 u_j-1. PC3's
      // corrector first redoes [s_j-1, s_j] from u_j-2, u_j-1 and u_j (the trapezoid at j = 1):
      // w2 u_j + w3 u_j-1 + w4 u_j-2.
      const std::vector<double> nodes(s.begin() + std::max(0, j - 1), s.begin() + j + 1);
      const std::vector<double> p = interpolation_weights(nodes, s[j], s[j + 1]);
      w[0] = p.back();
      if (p.size() > 1) w[1] = p[0];
      if (solver == InnerSolver::Pc3 && j >= 1) {
        const std::vector<double> cn(s.begin() + std::max(0, j - 2), s.begin() + j + 1);
        const std::vector<double> q = interpolation_weights(cn, s[j - 1], s[j]);
        for (size_t k = 0; k < q.size(); ++k) w[2 + k] = q[q.size() - 1 - k];
      }
      break;
    }
    case InnerSolver::Midpoint:
    case InnerSolver::Heun: {
      // Two-stage Runge-Kutta with its stage at s_j + a h (Heun a = 1: the step's end, a table step
      // on table grids; midpoint a = 1/2): the stage from y + w0 u, then y + w1 u + w2 u_stage.
      const double a = solver == InnerSolver::Heun && !end_singular ? 1.0 : 0.5;
      rule.stage = s[j] + a * h;
      w[0] = a * h;
      w[1] = h * (1.0 - 0.5 / a);
      w[2] = h * 0.5 / a;
      break;
    }
  }
  return rule;
}

torch::Tensor integrate_inner(InnerSolver solver, int steps, torch::Tensor y, const InnerSystem& sys) {
  const auto& add = sys.add_weighted;
  switch (solver) {
    case InnerSolver::Euler:
      for (int j = 0; j < steps; ++j) y = add(y, j, 0, sys.velocity(j, y));
      break;
    case InnerSolver::Ab2:
    case InnerSolver::Pc3: {
      torch::Tensor u1, u2, corrected;  // u_j-1, u_j-2, and the corrected y_j-1
      for (int j = 0; j < steps; ++j) {
        const torch::Tensor u = sys.velocity(j, y);
        if (solver == InnerSolver::Pc3 && j >= 1) {
          y = add(add(corrected, j, 2, u), j, 3, u1);
          if (j >= 2) y = add(y, j, 4, u2);
        }
        corrected = y;
        y = add(y, j, 0, u);
        if (j >= 1) y = add(y, j, 1, u1);
        u2 = u1;
        u1 = u;
      }
      break;
    }
    case InnerSolver::Midpoint:
    case InnerSolver::Heun:
      for (int j = 0; j < steps; ++j) {
        const torch::Tensor u = sys.velocity(2 * j, y);
        const torch::Tensor u_stage = sys.velocity(2 * j + 1, add(y, j, 0, u));
        y = add(add(y, j, 1, u), j, 2, u_stage);
      }
      break;
  }
  return y;
}

std::vector<double> interpolation_weights(const std::vector<double>& nodes, double a, double b) {
  if (nodes.empty() || nodes.size() > 3) throw std::invalid_argument("interpolation_weights: 1 to 3 nodes");
  std::vector<bool> used(nodes.size(), true);
  for (size_t i = 0; i < nodes.size(); ++i)
    for (size_t k = i + 1; k < nodes.size(); ++k)
      if (nodes[k] == nodes[i]) used[i] = false;
  // Two-point Gauss-Legendre integrates the (at most quadratic) Lagrange basis exactly.
  const double mid = 0.5 * (a + b), half = 0.5 * (b - a), off = half / std::sqrt(3.0);
  const double gauss[2] = {mid - off, mid + off};
  std::vector<double> w(nodes.size(), 0.0);
  for (size_t i = 0; i < nodes.size(); ++i) {
    if (!used[i]) continue;
    for (double u : gauss) {
      double basis = 1.0;
      for (size_t k = 0; k < nodes.size(); ++k)
        if (k != i && used[k]) basis *= (u - nodes[k]) / (nodes[i] - nodes[k]);
      w[i] += half * basis;
    }
  }
  return w;
}

}  // namespace glass
