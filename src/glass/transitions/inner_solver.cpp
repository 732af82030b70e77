#include "glass/transitions/inner_solver.h"

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
