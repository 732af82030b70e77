#include "glass/rewards/analytic_rewards.h"

#include <cmath>
#include <stdexcept>

namespace glass {

namespace {
torch::Tensor flat_vector(const torch::Tensor& v, const char* what) {
  if (!v.defined() || v.numel() == 0) throw std::invalid_argument(std::string("reward: empty ") + what);
  torch::Tensor out = v.to(torch::kCPU, torch::kFloat64).reshape({-1}).contiguous();
  if (!torch::isfinite(out).all().item<bool>()) throw std::invalid_argument(std::string("reward: non-finite ") + what);
  return out;
}

// The samples as float64 [N, d]: the reward is then an exact function of the sample it scores.
torch::Tensor flat_samples(const torch::Tensor& z, int64_t d, const std::string& reward) {
  const torch::Tensor flat = z.reshape({z.size(0), -1}).to(torch::kFloat64);
  if (flat.size(1) != d)
    throw std::invalid_argument("reward '" + reward + "' is defined in dimension " + std::to_string(d) +
                                " but the samples have " + std::to_string(flat.size(1)) + " values each");
  return flat;
}
}  // namespace

QuadraticReward::QuadraticReward(double kappa, torch::Tensor center)
    : kappa_(kappa), center_(flat_vector(center, "center")) {
  if (!std::isfinite(kappa) || kappa < 0.0) throw std::invalid_argument("quadratic reward: kappa must be >= 0");
}

std::string QuadraticReward::name() const { return "quadratic(kappa=" + c10::str(kappa_) + ")"; }

torch::Tensor QuadraticReward::compute(const torch::Tensor& z) {
  const torch::Tensor flat = flat_samples(z, center_.numel(), name());
  const torch::Tensor diff = flat - center_.to(z.device()).unsqueeze(0);
  return diff.pow(2).sum(1) * (-0.5 * kappa_);
}

BoxReward::BoxReward(torch::Tensor lo, torch::Tensor hi, double kappa)
    : lo_(flat_vector(lo, "box lower corner")), hi_(flat_vector(hi, "box upper corner")), kappa_(kappa) {
  if (lo_.numel() != hi_.numel()) throw std::invalid_argument("box reward: lo and hi have different dimensions");
  if ((lo_ > hi_).any().item<bool>()) throw std::invalid_argument("box reward: lo must not exceed hi");
  if (!std::isfinite(kappa) || kappa < 0.0) throw std::invalid_argument("box reward: kappa must be >= 0");
}

std::string BoxReward::name() const { return "box(kappa=" + c10::str(kappa_) + ")"; }

torch::Tensor BoxReward::compute(const torch::Tensor& z) {
  const torch::Tensor flat = flat_samples(z, lo_.numel(), name());
  const torch::Tensor lo = lo_.to(z.device()), hi = hi_.to(z.device());
  const torch::Tensor outside = flat - torch::max(torch::min(flat, hi), lo);
  return outside.pow(2).sum(1) * (-0.5 * kappa_);
}

}  // namespace glass
