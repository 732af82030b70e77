#include <cmath>
#include <sstream>
#include <stdexcept>

#include "experiments/experiment.h"

namespace glass::cli {

const std::vector<uint64_t>& ExperimentOptions::seed_list() const {
  static const std::vector<uint64_t> quick_seeds{0}, full_seeds{0, 1, 2};
  return !seeds.empty() ? seeds : (quick ? quick_seeds : full_seeds);
}

void ResultTable::add(std::vector<nlohmann::json> row) {
  if (row.size() != columns_.size())
    throw std::logic_error("result table: a row of " + std::to_string(row.size()) + " cells for " +
                           std::to_string(columns_.size()) + " columns");
  rows_.push_back(std::move(row));
}

namespace {

std::string cell_text(const nlohmann::json& v) {
  if (v.is_string()) {
    const std::string s = v.get<std::string>();
    if (s.find_first_of(",\"\n") == std::string::npos) return s;
    std::string quoted = "\"";
    for (char c : s) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
    return quoted + "\"";
  }
  if (v.is_number_float()) {
    const double d = v.get<double>();
    if (!std::isfinite(d)) return "";
    std::ostringstream s;
    s.precision(6);
    s << d;
    return s.str();
  }
  return v.dump();
}

}  // namespace

std::string ResultTable::csv() const {
  std::ostringstream out;
  for (size_t c = 0; c < columns_.size(); ++c) out << (c ? "," : "") << columns_[c];
  out << "\n";
  for (const auto& row : rows_) {
    for (size_t c = 0; c < row.size(); ++c) out << (c ? "," : "") << cell_text(row[c]);
    out << "\n";
  }
  return out.str();
}

nlohmann::json ResultTable::records() const {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& row : rows_) {
    nlohmann::json r = nlohmann::json::object();
    for (size_t c = 0; c < row.size(); ++c) {
      const bool missing = row[c].is_number_float() && !std::isfinite(row[c].get<double>());
      r[columns_[c]] = missing ? nlohmann::json(nullptr) : row[c];
    }
    out.push_back(r);
  }
  return out;
}

nlohmann::json PlotSpec::to_json() const {
  return {{"file", file},   {"title", title}, {"x", x},           {"y", y},           {"series", series},
          {"facet", facet}, {"y_low", y_low}, {"y_high", y_high}, {"xlabel", xlabel}, {"ylabel", ylabel},
          {"log_x", log_x}, {"log_y", log_y}, {"where", where}};
}

const std::vector<Experiment>& experiments() {
  static const std::vector<Experiment> all{
      {"posterior", "posterior sampling quality against network calls (GLASS, DDPM, Diamond)", posterior_experiment},
      {"values", "value estimates' correlation with a many-sample ground truth", value_experiment},
      {"rho", "GLASS's rho: sample quality and SMC reward over constant rho and rho = ddpm", rho_experiment},
      {"sampling", "sampling at equal NFE: ODE, DDPM, SDE and GLASS", sampling_experiment},
      {"alignment", "alignment at equal compute: best-of-N, SMC with SDE/GLASS/Diamond moves, guidance",
       alignment_experiment},
      {"overhead", "time per network call inside each sampler over the bare call", overhead_experiment},
      {"cfg", "classifier-free guidance against SMC-GLASS steering towards a class, and both, at equal rows",
       cfg_experiment},
      {"sweep", "reward, class share, FID and cost per success against calls per sample (4..256) for every method",
       sweep_experiment},
      {"resampling",
       "SMC's resamplers, VASR allocation and tempering against the exact tilted mixture: log Z "
       "spread, energy distance, lineages",
       resampling_experiment},
  };
  return all;
}

}  // namespace glass::cli
