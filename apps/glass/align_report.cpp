#include "align_report.h"

#include <iomanip>
#include <iostream>
#include <sstream>

#include "glass/io/tensor_files.h"
#include "sample_outputs.h"
#include "smc_flags.h"

namespace glass::cli {

namespace {

nlohmann::json smc_details(const SmcResult& r, const SmcOptions& so, bool exact_target) {
  nlohmann::json steps = nlohmann::json::array();
  for (const SmcStep& s : r.steps) {
    nlohmann::json lw = nlohmann::json::array();
    for (int64_t g = 0; g < s.log_weights.size(0); ++g) lw.push_back(to_doubles(s.log_weights[g]));
    steps.push_back({{"t", s.t},
                     {"particles", s.log_weights.size(1)},
                     {"lambda", s.lambda},
                     {"ess", s.ess},
                     {"resampled", s.resampled},
                     {"distinct_parents", s.distinct_parents},
                     {"surviving_lineages", s.surviving_lineages},
                     {"floored_constraints", s.floored_constraints},
                     {"bytes_moved", s.bytes_moved},
                     {"rewards", to_doubles(s.rewards)},
                     {"log_weights", lw}});
  }
  double mean_log_z = 0.0;
  for (double v : r.log_z) mean_log_z += v / static_cast<double>(r.log_z.size());
  nlohmann::json j = smc_settings_json(so);
  j.update({{"log_z", r.log_z}, {"log_z_mean", mean_log_z}, {"exact_target", exact_target}, {"steps", steps}});
  return j;
}

}  // namespace

nlohmann::json plan_record(const MethodPlan& p) {
  return {{"particles", p.particles},
          {"nfe_per_particle", p.nfe_per_particle},
          {"rows_per_call", p.rows_per_call},
          {"nfe_per_sample", p.nfe_per_output()},
          {"peak_rows_per_sample", p.peak_rows_per_output}};
}

void print_plans(const std::vector<MethodPlan>& plans, int64_t outputs) {
  for (const MethodPlan& p : plans)
    std::cout << "plan: " << std::left << std::setw(20) << name_of(alignment_method_names(), p.method) << std::right
              << p.particles << " particles x " << p.nfe_per_particle << " calls"
              << (p.prunes                                                                   ? " (pruned)"
                  : p.nfe_per_output() != p.particles * p.nfe_per_particle * p.rows_per_call ? " (funnel)"
                                                                                             : "")
              << (p.prunes ? " <= " : " = ") << p.nfe_per_output() << " NFE/sample; up to "
              << p.peak_rows_per_output * outputs << " rows in one network call for " << outputs << " samples\n";
}

nlohmann::json method_record(const AlignmentRun& r, const SmcOptions& settings) {
  const std::string method = name_of(alignment_method_names(), r.plan.method);
  nlohmann::json j{{"method", method},
                   {"particles_per_sample", r.plan.particles},
                   {"plan", plan_record(r.plan)},
                   {"select", to_string(r.select)},
                   {"reward_mean", r.rewards.mean().item<double>()},
                   {"reward_std", r.rewards.numel() > 1 ? r.rewards.std().item<double>() : 0.0},
                   {"rewards", to_doubles(r.rewards)},
                   {"nfe_per_sample", r.cost.nfe_per_output()},
                   {"network_calls", r.cost.network_calls},
                   {"network_rows", r.cost.network_rows},
                   {"gradient_calls", r.cost.gradient_calls},
                   {"reward_calls", r.cost.reward_calls},
                   {"reward_rows", r.cost.reward_rows},
                   {"seconds", r.seconds}};
  if (r.best_of_n) j["best_of_n"] = {{"candidate_reward_mean", r.best_of_n->rewards.mean().item<double>()}};
  if (r.smc) {
    SmcOptions so = settings;
    so.particles = r.plan.particles;
    so.select = r.select;
    j["smc"] = smc_details(*r.smc, so, r.exact_target);
  }
  if (r.select == Selection::All) j["sample_weights"] = to_doubles(r.weights);
  return j;
}

std::string file_stem(const std::string& method) {
  std::string s = method;
  for (char& c : s)
    if (c == '+') c = '-';
  return s;
}

// The console's view of a run: one line per method (everything else is in summary.json).
void print_table(const std::vector<AlignmentRun>& runs, const nlohmann::json& methods_json) {
  const bool exact = !methods_json.empty() && methods_json[0].contains("fit_to_exact_target");
  std::cout << std::left << std::setw(20) << "method" << std::right << std::setw(10) << "reward" << std::setw(12)
            << "NFE/sample" << std::setw(10) << "particles";
  if (exact) std::cout << std::setw(14) << "dist(target)" << std::setw(12) << "weight err";
  else std::cout << std::setw(11) << "FID(test)" << std::setw(12) << "FID(class)" << std::setw(9) << "class %";
  std::cout << std::setw(9) << "seconds" << "\n";
  for (size_t i = 0; i < runs.size(); ++i) {
    const AlignmentRun& r = runs[i];
    const nlohmann::json& q =
        methods_json[i].contains("quality") ? methods_json[i]["quality"] : nlohmann::json::object();
    const auto num = [&](const char* key, double scale = 1.0) {
      std::ostringstream s;
      if (q.contains(key)) s << std::fixed << std::setprecision(1) << q[key].get<double>() * scale;
      else s << "-";
      return s.str();
    };
    std::cout << std::left << std::setw(20) << name_of(alignment_method_names(), r.plan.method) << std::right
              << std::fixed << std::setprecision(3) << std::setw(10) << r.rewards.mean().item<double>()
              << std::setprecision(0) << std::setw(12) << r.cost.nfe_per_output() << std::setw(10) << r.plan.particles;
    if (exact) {
      const nlohmann::json& f = methods_json[i]["fit_to_exact_target"];
      std::cout << std::setprecision(4) << std::setw(14) << f["energy_distance"].get<double>() << std::setw(12)
                << f["max_weight_error"].get<double>();
    } else {
      std::cout << std::setw(11) << num("classifier_fid_vs_test") << std::setw(12)
                << num("classifier_fid_vs_target_class") << std::setw(9) << num("target_class_fraction", 100.0);
    }
    std::cout << std::setprecision(1) << std::setw(9) << r.seconds << "\n";
  }
}

}  // namespace glass::cli
