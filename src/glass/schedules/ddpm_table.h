#pragma once
#include <vector>

#include "glass/schedules/schedule.h"

namespace glass {

// A discrete DDPM schedule given by its table alphabar_k, k = 0..K-1 (k = K-1 the noisiest).
// Step k sits at t_k = (K - k) / (K + 1); virtual end points t = 0 (alpha = 0) and t = 1
// (alpha = 1) close the table. alpha is linear in t between grid points, so alpha' is the
// segment slope and g^{-1} is exact.
class DdpmTableSchedule final : public Schedule {
 public:
  explicit DdpmTableSchedule(std::vector<double> alphabar, std::string name = "");
  // alphabar tables of the ecosystem's beta schedules (diffusers' names), computed in float64:
  // linear (DDPM: betas 1e-4 .. 0.02), scaled_linear (Stable Diffusion: sqrt(betas) linear,
  // 0.00085 .. 0.012), squaredcos_cap_v2 (improved DDPM's cosine; the beta range is unused).
  static std::vector<double> linear_betas(int steps, double beta_start = 1e-4, double beta_end = 0.02);
  static std::vector<double> scaled_linear_betas(int steps, double beta_start = 0.00085, double beta_end = 0.012);
  static std::vector<double> cosine_alphabar(int steps);

  std::string name() const override;
  double alpha(double t) const override;
  double sigma(double t) const override;
  double d_alpha(double t) const override;
  double d_sigma(double t) const override;
  double inv_g(double r) const override;

  int steps() const { return static_cast<int>(alphabar_.size()); }
  double time_of_step(double k) const;  // t of a (possibly fractional) step index
  double step_of_time(double t) const;  // inverse of time_of_step
  double alphabar(int k) const { return alphabar_.at(static_cast<size_t>(k)); }

 private:
  size_t segment(double t) const;  // i with knots_t_[i] <= t <= knots_t_[i+1]
  std::vector<double> alphabar_;
  std::string name_;
  std::vector<double> knots_t_, knots_alpha_;  // increasing in t, from (0, 0) to (1, 1)
};

}  // namespace glass
