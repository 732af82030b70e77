#pragma once
// Outer time grids 0 <= t_0 < ... < t_K <= 1.
#include <string>
#include <vector>

namespace glass {

class DDPMTableSchedule;
class FlowModel;

std::vector<double> uniform_grid(int steps, double t_start = 0.0, double t_end = 1.0);
// "t0,t1,...,tK"; checks strict increase inside [0, 1].
std::vector<double> parse_grid(const std::string& text);
void check_grid(const std::vector<double>& grid);

// A DDPM table's own steps with diffusers' default ("leading") spacing: k_i = i * floor(K / steps),
// noisiest first, then t = 1 (alphabar = 1). Every network call of a chain lands on a table step.
std::vector<double> table_step_grid(const DDPMTableSchedule& table, int steps);
// The grid a model samples on by default: table steps for a model on integer DDPM steps, else uniform.
std::vector<double> default_grid(const FlowModel& model, int steps);

}  // namespace glass
