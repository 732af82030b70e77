#pragma once
// A noise schedule x_t = alpha_t z + sigma_t eps, with t = 0 noise and t = 1 data.
// All scalar algebra is float64; samplers evaluate it per particle.
#include <memory>
#include <string>

namespace glass {

class Schedule {
 public:
  virtual ~Schedule() = default;
  virtual std::string name() const = 0;
  virtual double alpha(double t) const = 0;
  virtual double sigma(double t) const = 0;
  virtual double d_alpha(double t) const = 0;
  virtual double d_sigma(double t) const = 0;
  // Inverse of the noise-to-signal ratio g(t) = sigma_t^2 / alpha_t^2: the t with g(t) = r.
  // r = +inf gives 0 and r = 0 gives 1.
  virtual double inv_g(double r) const = 0;

  double g(double t) const;  // sigma^2 / alpha^2, +inf at alpha = 0.
};

using SchedulePtr = std::shared_ptr<const Schedule>;

// Names: "condot", "cosine", "poly:<n>", "vp" (beta 0.1..20), "vp:<b0>:<b1>",
// "ddpm" (linear betas 1e-4..0.02, 1000 steps), "ddpm:<steps>". Throws std::invalid_argument.
SchedulePtr make_schedule(const std::string& spec);

}  // namespace glass
