#include "glass/schedules/schedule.h"

#include <limits>
#include <stdexcept>
#include <vector>

#include "glass/schedules/condot.h"
#include "glass/schedules/cosine.h"
#include "glass/schedules/ddpm_table.h"
#include "glass/schedules/polynomial.h"
#include "glass/schedules/vp.h"
#include "glass/util/parse.h"

namespace glass {

double Schedule::g(double t) const {
  const double a = alpha(t);
  if (a <= 0.0) return std::numeric_limits<double>::infinity();
  const double s = sigma(t);
  return (s * s) / (a * a);
}

SchedulePtr make_schedule(const std::string& spec) {
  const std::vector<std::string> parts = split(spec, ':');
  const std::string& kind = parts.at(0);
  auto number = [&](size_t i, double fallback) {
    return parts.size() > i ? parse_double(parts[i], "schedule " + quote(spec)) : fallback;
  };
  if (kind == "condot" && parts.size() == 1) return std::make_shared<CondOtSchedule>();
  if (kind == "cosine" && parts.size() == 1) return std::make_shared<CosineSchedule>();
  if (kind == "poly" && parts.size() <= 2) return std::make_shared<PolynomialSchedule>(number(1, 2.0));
  if (kind == "vp" && (parts.size() == 1 || parts.size() == 3))
    return std::make_shared<VpSchedule>(number(1, 0.1), number(2, 20.0));
  if (kind == "ddpm" && parts.size() <= 5 && parts.size() != 4) {
    // ddpm[:steps[:betas[:beta_start:beta_end]]], betas in diffusers' names
    const double steps = number(1, 1000.0);
    if (!(steps >= 2 && steps <= 1e6) || steps != static_cast<int>(steps))
      throw std::invalid_argument("schedule " + quote(spec) + ": the step count must be an integer >= 2");
    const int K = static_cast<int>(steps);
    const std::string betas = parts.size() > 2 ? parts[2] : "linear";
    std::vector<double> alphabar;
    if (betas == "linear") alphabar = DdpmTableSchedule::linear_betas(K, number(3, 1e-4), number(4, 0.02));
    else if (betas == "scaled_linear")
      alphabar = DdpmTableSchedule::scaled_linear_betas(K, number(3, 0.00085), number(4, 0.012));
    else if (betas == "squaredcos_cap_v2") {
      // As in diffusers, whose configs carry a beta range for this table too: read, and unused.
      (void)number(3, 0.0);
      (void)number(4, 0.0);
      alphabar = DdpmTableSchedule::cosine_alphabar(K);
    } else
      throw std::invalid_argument("schedule " + quote(spec) +
                                  ": unknown beta schedule (expected linear, scaled_linear or squaredcos_cap_v2)");
    std::string name = "ddpm:" + std::to_string(K);
    if (parts.size() > 2) name = spec;
    return std::make_shared<DdpmTableSchedule>(std::move(alphabar), name);
  }
  throw std::invalid_argument("unknown schedule " + quote(spec) +
                              " (expected condot, cosine, poly:<n>, vp[:<b0>:<b1>], "
                              "ddpm[:<steps>[:linear|scaled_linear|squaredcos_cap_v2[:<b0>:<b1>]]])");
}

}  // namespace glass
