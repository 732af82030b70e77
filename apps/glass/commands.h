#pragma once
#include <CLI/CLI.hpp>

namespace glass::cli {

void add_sample_command(CLI::App& app);
void add_transition_command(CLI::App& app);
void add_presets_command(CLI::App& app);
void add_train_command(CLI::App& app);
void add_align_command(CLI::App& app);
void add_distill_command(CLI::App& app);
void add_experiment_command(CLI::App& app);

}  // namespace glass::cli
