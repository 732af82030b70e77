#include "glass/schedules/ddpm_table.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace glass {

DdpmTableSchedule::DdpmTableSchedule(std::vector<double> alphabar, std::string name)
    : alphabar_(std::move(alphabar)), name_(std::move(name)) {
  if (name_.empty()) name_ = "ddpm:" + std::to_string(alphabar_.size());
  const size_t K = alphabar_.size();
  if (K < 2) throw std::invalid_argument("ddpm table: need at least 2 steps");
  for (size_t k = 0; k < K; ++k) {
    const double a = alphabar_[k];
    if (!(a > 0.0 && a < 1.0)) throw std::invalid_argument("ddpm table: alphabar must lie in (0, 1)");
    if (k > 0 && !(a < alphabar_[k - 1]))
      throw std::invalid_argument("ddpm table: alphabar must decrease strictly with the step index");
  }
  knots_t_.push_back(0.0);
  knots_alpha_.push_back(0.0);
  for (size_t j = 1; j <= K; ++j) {  // j = K - k
    knots_t_.push_back(static_cast<double>(j) / static_cast<double>(K + 1));
    knots_alpha_.push_back(std::sqrt(alphabar_[K - j]));
  }
  knots_t_.push_back(1.0);
  knots_alpha_.push_back(1.0);
}

namespace {

std::vector<double> cumulative_product(const std::vector<double>& betas) {
  std::vector<double> alphabar(betas.size());
  double prod = 1.0;
  for (size_t k = 0; k < betas.size(); ++k) {
    if (!(betas[k] > 0.0 && betas[k] < 1.0)) throw std::invalid_argument("ddpm table: betas must lie in (0, 1)");
    prod *= 1.0 - betas[k];
    alphabar[k] = prod;
  }
  return alphabar;
}

}  // namespace

std::vector<double> DdpmTableSchedule::linear_betas(int steps, double beta_start, double beta_end) {
  std::vector<double> betas(steps);
  for (int k = 0; k < steps; ++k) betas[k] = beta_start + (beta_end - beta_start) * k / std::max(1, steps - 1);
  return cumulative_product(betas);
}

std::vector<double> DdpmTableSchedule::scaled_linear_betas(int steps, double beta_start, double beta_end) {
  std::vector<double> betas(steps);
  const double a = std::sqrt(beta_start), b = std::sqrt(beta_end);
  for (int k = 0; k < steps; ++k) {
    const double r = a + (b - a) * k / std::max(1, steps - 1);
    betas[k] = r * r;
  }
  return cumulative_product(betas);
}

std::vector<double> DdpmTableSchedule::cosine_alphabar(int steps) {
  // Nichol & Dhariwal: alphabar(u) = cos^2((u + 0.008) / 1.008 * pi / 2), betas capped at 0.999.
  const auto f = [](double u) {
    const double c = std::cos((u + 0.008) / 1.008 * M_PI / 2.0);
    return c * c;
  };
  std::vector<double> betas(steps);
  for (int k = 0; k < steps; ++k)
    betas[k] = std::min(1.0 - f(static_cast<double>(k + 1) / steps) / f(static_cast<double>(k) / steps), 0.999);
  return cumulative_product(betas);
}

std::string DdpmTableSchedule::name() const { return name_; }

size_t DdpmTableSchedule::segment(double t) const {
  const double tc = std::clamp(t, 0.0, 1.0);
  const auto it = std::upper_bound(knots_t_.begin(), knots_t_.end(), tc);
  const size_t i = static_cast<size_t>(std::max<std::ptrdiff_t>(1, it - knots_t_.begin())) - 1;
  return std::min(i, knots_t_.size() - 2);
}

double DdpmTableSchedule::alpha(double t) const {
  const size_t i = segment(t);
  const double w = (std::clamp(t, 0.0, 1.0) - knots_t_[i]) / (knots_t_[i + 1] - knots_t_[i]);
  return knots_alpha_[i] + w * (knots_alpha_[i + 1] - knots_alpha_[i]);
}

double DdpmTableSchedule::sigma(double t) const {
  const double a = alpha(t);
  return std::sqrt(std::max(0.0, (1.0 - a) * (1.0 + a)));
}

double DdpmTableSchedule::d_alpha(double t) const {
  const size_t i = segment(t);
  return (knots_alpha_[i + 1] - knots_alpha_[i]) / (knots_t_[i + 1] - knots_t_[i]);
}

double DdpmTableSchedule::d_sigma(double t) const {
  const double s = sigma(t);
  return s > 0.0 ? -alpha(t) * d_alpha(t) / s : -INFINITY;
}

// g = 1/alpha^2 - 1 is decreasing in t: alpha = 1/sqrt(1 + r), then invert the linear piece.
double DdpmTableSchedule::inv_g(double r) const {
  if (std::isinf(r)) return 0.0;
  const double a = 1.0 / std::sqrt(1.0 + r);
  const auto it = std::upper_bound(knots_alpha_.begin(), knots_alpha_.end(), a);
  const size_t i = std::min(static_cast<size_t>(std::max<std::ptrdiff_t>(1, it - knots_alpha_.begin())) - 1,
                            knots_alpha_.size() - 2);
  const double w = (a - knots_alpha_[i]) / (knots_alpha_[i + 1] - knots_alpha_[i]);
  return std::clamp(knots_t_[i] + w * (knots_t_[i + 1] - knots_t_[i]), 0.0, 1.0);
}

double DdpmTableSchedule::time_of_step(double k) const {
  const double K = static_cast<double>(alphabar_.size());
  return (K - k) / (K + 1.0);
}

double DdpmTableSchedule::step_of_time(double t) const {
  const double K = static_cast<double>(alphabar_.size());
  return K - t * (K + 1.0);
}

}  // namespace glass
