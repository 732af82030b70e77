#include "glass/sampling/time_grid.h"

#include <cmath>
#include <stdexcept>

#include "glass/models/flow_model.h"
#include "glass/schedules/ddpm_table.h"
#include "glass/util/enum_names.h"
#include "glass/util/parse.h"

namespace glass {

std::vector<double> uniform_grid(int steps, double t_start, double t_end) {
  if (steps < 1) throw std::invalid_argument("time grid: need at least 1 step");
  std::vector<double> grid(static_cast<size_t>(steps) + 1);
  for (int k = 0; k <= steps; ++k) grid[k] = t_start + (t_end - t_start) * k / steps;
  grid.back() = t_end;
  check_grid(grid);
  return grid;
}

std::vector<double> parse_grid(const std::string& text) {
  std::vector<double> grid = parse_double_list(text, "time grid");
  check_grid(grid);
  return grid;
}

void check_grid(const std::vector<double>& grid) {
  if (grid.size() < 2) throw std::invalid_argument("time grid: need at least two times");
  for (size_t k = 0; k < grid.size(); ++k) {
    if (!(grid[k] >= 0.0 && grid[k] <= 1.0)) throw std::invalid_argument("time grid: times must lie in [0, 1]");
    if (k > 0 && !(grid[k] > grid[k - 1])) throw std::invalid_argument("time grid: times must increase strictly");
  }
}

const NameTable<TableSpacing>& table_spacing_names() {
  static const NameTable<TableSpacing> table{
      {"leading", TableSpacing::Leading},
      {"trailing", TableSpacing::Trailing},
  };
  return table;
}

TableSpacing parse_table_spacing(const std::string& name) {
  return parse_named(table_spacing_names(), name, "table spacing");
}

std::vector<double> table_step_grid(const DdpmTableSchedule& table, int steps, TableSpacing spacing) {
  const int K = table.steps();
  if (steps < 1 || steps > K)
    throw std::invalid_argument("time grid: " + std::to_string(steps) + " steps on a table of " + std::to_string(K) +
                                " (need 1 to " + std::to_string(K) + ")");
  std::vector<double> grid;
  for (int i = 0; i < steps; ++i) {
    const double k = spacing == TableSpacing::Leading ? static_cast<double>((steps - 1 - i) * (K / steps))
                                                      : std::round(K - static_cast<double>(i) * K / steps) - 1.0;
    grid.push_back(table.time_of_step(k));
  }
  grid.push_back(1.0);
  check_grid(grid);
  return grid;
}

std::vector<double> default_grid(const FlowModel& model, int steps, TableSpacing spacing) {
  if (model.spec().time == TimeConvention::DdpmStep)
    return table_step_grid(dynamic_cast<const DdpmTableSchedule&>(model.schedule()), steps, spacing);
  return uniform_grid(steps);
}

void check_starts_from_noise(const std::vector<double>& grid, const FlowModel& model, const std::string& who) {
  check_grid(grid);
  const double alpha = model.schedule().alpha(grid.front());
  if (grid.front() != 0.0 && !(alpha <= 0.1))
    throw std::invalid_argument(who + ": the grid starts at t = " + c10::str(grid.front()) + " (alpha " +
                                c10::str(alpha) + "), where x_t is not N(0, I) noise; start it at 0");
}

}  // namespace glass
