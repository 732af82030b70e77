#pragma once
// What `glass align` reports of each method's run: its record in summary.json, its line in the
// console's table, and the file name its samples go to.
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "glass/alignment/alignment_methods.h"

namespace glass::cli {

// What a method will spend, known before it runs (summary.json's "plan").
nlohmann::json plan_record(const MethodPlan& plan);
// One console line per method before the runs: particles, calls per sample, and the most rows a
// network call carries for `outputs` samples (what memory grows with; --max-batch chunks it).
void print_plans(const std::vector<MethodPlan>& plans, int64_t outputs);

// The method's record: settings, rewards, costs, the SMC diagnostics (settings: the Aligner's SMC
// settings, which the record completes with the run's particles and selection).
nlohmann::json method_record(const AlignmentRun& r, const SmcOptions& settings);

// "smc+guidance" -> "smc-guidance": the stem of the method's files.
std::string file_stem(const std::string& method);

// One line per method (everything else is in summary.json); `records` as method_record made them,
// with "quality" or "fit_to_exact_target" added where measured.
void print_table(const std::vector<AlignmentRun>& runs, const nlohmann::json& records);

}  // namespace glass::cli
