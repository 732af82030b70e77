#include "glass/transitions/rho.h"

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
  return RhoSchedule(std::to_string(rho), [rho](const Schedule&, double, double) { return rho; });
}

RhoSchedule RhoSchedule::ddpm() { return RhoSchedule("ddpm", rho_ddpm); }

RhoSchedule RhoSchedule::parse(const std::string& text) {
  if (text == "ddpm") return ddpm();
  return constant(parse_double(text, "rho"));
}

double RhoSchedule::operator()(const Schedule& s, double t, double t_next) const {
  const double r = fn_(s, t, t_next);
  if (!(std::abs(r) < 1.0))
    throw std::invalid_argument("rho(" + std::to_string(t) + ", " + std::to_string(t_next) + ") = " +
                                std::to_string(r) + ": need |rho| < 1");
  return r;
}

}  // namespace glass
