#include "glass/transitions/rho.h"

#include <c10/util/StringUtil.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "glass/util/parse.h"

namespace glass {

double rho_ddpm(const Schedule& s, double t, double t_next) {
  const double num = s.alpha(t) * s.sigma(t_next);
  if (num == 0.0) return 0.0;
  return num / (s.sigma(t) * s.alpha(t_next));
}

RhoSchedule RhoSchedule::constant(double rho) {
  if (!(std::abs(rho) < 1.0)) throw std::invalid_argument("rho: needs |rho| < 1, got " + std::to_string(rho));
  return RhoSchedule(c10::str(rho), [rho](const Schedule&, double, double) { return rho; });
}

RhoSchedule RhoSchedule::ddpm() { return RhoSchedule("ddpm", rho_ddpm); }

RhoSchedule RhoSchedule::per_step(std::vector<double> values) {
  if (values.empty()) throw std::invalid_argument("rho: a per-step schedule needs at least one value");
  std::string name;
  for (double v : values) {
    if (!(std::abs(v) < 1.0)) throw std::invalid_argument("rho: needs |rho| < 1, got " + std::to_string(v));
    name += (name.empty() ? "" : ",") + c10::str(v);
  }
  return RhoSchedule(name, [values = std::move(values)](const Schedule&, double t, double) {
    const double k = static_cast<double>(values.size());
    const auto i = static_cast<size_t>(std::clamp(std::floor(t * k), 0.0, k - 1.0));
    return values[i];
  });
}

RhoSchedule RhoSchedule::parse(const std::string& text) {
  if (text == "ddpm") return ddpm();
  if (text.find(',') != std::string::npos) return per_step(parse_double_list(text, "rho"));
  return constant(parse_double(text, "rho"));
}

double RhoSchedule::operator()(const Schedule& s, double t, double t_next) const {
  const double r = fn_(s, t, t_next);
  if (!(std::abs(r) < 1.0))
    throw std::invalid_argument("rho(" + std::to_string(t) + ", " + std::to_string(t_next) +
                                ") = " + std::to_string(r) + ": need |rho| < 1");
  return r;
}

}  // namespace glass
