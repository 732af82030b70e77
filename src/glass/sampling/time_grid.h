#pragma once
// Outer time grids 0 <= t_0 < ... < t_K <= 1.
#include <string>
#include <vector>

namespace glass {

std::vector<double> uniform_grid(int steps, double t_start = 0.0, double t_end = 1.0);
// "t0,t1,...,tK"; checks strict increase inside [0, 1].
std::vector<double> parse_grid(const std::string& text);
void check_grid(const std::vector<double>& grid);

}  // namespace glass
