#pragma once
// Outer time grids 0 <= t_0 < ... < t_K <= 1.
#include <string>
#include <vector>

#include "glass/util/enum_names.h"

namespace glass {

class DdpmTableSchedule;
class FlowModel;

std::vector<double> uniform_grid(int steps, double t_start = 0.0, double t_end = 1.0);
// "t0,t1,...,tK"; checks strict increase inside [0, 1].
std::vector<double> parse_grid(const std::string& text);
void check_grid(const std::vector<double>& grid);

// A DDPM table's own steps, noisiest first, then t = 1 (alphabar = 1), in diffusers' spacings:
// leading k_i = i * floor(K / steps) (DDIM's default; with few steps it starts far from the
// noisiest step), trailing k_i = round(K - i K / steps) - 1 (starts at the noisiest step, K - 1).
// Every network call of a chain lands on a table step.
enum class TableSpacing { Leading, Trailing };
// Its names, for parsing, printing and the command line's choices.
const NameTable<TableSpacing>& table_spacing_names();
TableSpacing parse_table_spacing(const std::string& name);  // leading | trailing
std::vector<double> table_step_grid(const DdpmTableSchedule& table, int steps,
                                    TableSpacing spacing = TableSpacing::Trailing);
// The grid a model samples on by default: trailing table steps for a model on integer DDPM steps
// (the prior N(0, I) belongs to the noisiest step), else uniform.
std::vector<double> default_grid(const FlowModel& model, int steps, TableSpacing spacing = TableSpacing::Trailing);

// Sampling from the prior N(0, I) needs a grid that starts where x_t is (nearly) that noise:
// t = 0, or alpha_t <= 0.1 (the noisy end of a DDPM table, or a noise-predicting model started
// just above t = 0). Throws naming `who` otherwise.
void check_starts_from_noise(const std::vector<double>& grid, const FlowModel& model, const std::string& who);

}  // namespace glass
