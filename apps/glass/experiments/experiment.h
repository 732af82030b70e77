#pragma once
// `glass experiment NAME`: the papers' comparisons as commands. Each experiment fills one table
// (one row per configuration, confidence bounds beside each measured figure) and names the plots
// that scripts/plot_experiment.py draws from it; the command writes results.csv, summary.json and
// the plots. `quick` runs in minutes (the CI smoke test); the full mode feeds docs/results.md.
#include <nlohmann/json.hpp>

#include <functional>
#include <string>
#include <vector>

namespace glass::cli {

struct ExperimentOptions {
  bool quick = false;
  std::vector<uint64_t> seeds;        // empty: {0} quick, {0, 1, 2} full
  std::string model;                  // a model file, or a mixture preset (the experiments that take one)
  std::string classifier;             // Fashion-MNIST classifier: rewards, classifier-FID, class shares
  std::string diamond;                // Diamond Map folder; "none" leaves Diamond out
  std::string conditional_model;      // cfg: the class-conditional model (empty: the shipped one)
  std::vector<int64_t> classes;       // alignment: target classes (empty: 3 quick, 3 and 7 full)
  std::vector<std::string> methods;   // sweep: only the methods whose name contains one of these (empty: all)
  std::string device = "cpu", dtype;  // the model's placement (models/placement.h)
  bool show_progress = true;

  const std::vector<uint64_t>& seed_list() const;
  bool has_diamond() const { return diamond != "none" && !diamond.empty(); }
};

// Rows of named cells: numbers (NaN written as an empty cell) or strings.
class ResultTable {
 public:
  explicit ResultTable(std::vector<std::string> columns) : columns_(std::move(columns)) {}
  void add(std::vector<nlohmann::json> row);  // throws when the row has the wrong width
  const std::vector<std::string>& columns() const { return columns_; }
  const std::vector<std::vector<nlohmann::json>>& rows() const { return rows_; }
  std::string csv() const;
  nlohmann::json records() const;  // [{column: value}, ...]

 private:
  std::vector<std::string> columns_;
  std::vector<std::vector<nlohmann::json>> rows_;
};

// One plot over the table: lines of `y` against `x`, one per distinct `series` value, one panel
// per distinct `facet` value, error bars from the columns `y_low` and `y_high` when given, and
// only rows matching `where` ({column: value}).
struct PlotSpec {
  std::string file, title, x, y, series, facet, y_low, y_high, xlabel, ylabel;
  bool log_x = false, log_y = false;
  nlohmann::json where = nlohmann::json::object();
  nlohmann::json to_json() const;
};

struct ExperimentReport {
  ResultTable table;
  std::vector<PlotSpec> plots;
  nlohmann::json setup = nlohmann::json::object();     // what was measured, how, on what
  nlohmann::json findings = nlohmann::json::object();  // the claims checked, from the table
};

struct Experiment {
  std::string name, description;
  std::function<ExperimentReport(const ExperimentOptions&)> run;
};

const std::vector<Experiment>& experiments();

// The experiments, one per file.
ExperimentReport posterior_experiment(const ExperimentOptions& o);
ExperimentReport value_experiment(const ExperimentOptions& o);
ExperimentReport rho_experiment(const ExperimentOptions& o);
ExperimentReport sampling_experiment(const ExperimentOptions& o);
ExperimentReport alignment_experiment(const ExperimentOptions& o);
ExperimentReport overhead_experiment(const ExperimentOptions& o);
ExperimentReport cfg_experiment(const ExperimentOptions& o);
ExperimentReport sweep_experiment(const ExperimentOptions& o);
ExperimentReport resampling_experiment(const ExperimentOptions& o);

}  // namespace glass::cli
