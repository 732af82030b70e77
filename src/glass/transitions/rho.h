#pragma once
// The correlation rho(t, t') between the noises of x_t and x_t' that defines a GLASS transition.
#include <functional>
#include <string>
#include <vector>

#include "glass/schedules/schedule.h"

namespace glass {

class RhoSchedule {
 public:
  using Fn = std::function<double(const Schedule&, double t, double t_next)>;
  RhoSchedule(std::string name, Fn fn) : name_(std::move(name)), fn_(std::move(fn)) {}

  static RhoSchedule constant(double rho);  // rejects |rho| >= 1
  static RhoSchedule ddpm();                // alpha_t sigma_t' / (sigma_t alpha_t'): the DDPM transition
  // A per-step schedule: values[i] for the steps that start in [i/K, (i+1)/K) (K values), so on a
  // uniform grid of K steps the i-th step moves with values[i]. Any rho keeps the marginals: this
  // only changes how much each step forgets (small rho early: more diversity; large late: less).
  static RhoSchedule per_step(std::vector<double> values);
  // "ddpm", a number in (-1, 1), or a comma list of them (per_step).
  static RhoSchedule parse(const std::string& text);

  // Evaluates and checks |rho| < 1.
  double operator()(const Schedule& s, double t, double t_next) const;
  const std::string& name() const { return name_; }

 private:
  std::string name_;
  Fn fn_;
};

// The DDPM-equivalent correlation; 0 where alpha_t = 0 or sigma_t' = 0.
double rho_ddpm(const Schedule& s, double t, double t_next);

}  // namespace glass
