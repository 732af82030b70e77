#include "glass/alignment/group_weights.h"

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

namespace glass {

GroupWeights::GroupWeights(int64_t groups, int64_t n)
    : log_w_(torch::zeros({groups, n}, torch::kFloat64)), log_z_(static_cast<size_t>(groups), 0.0) {}

void GroupWeights::reweight(const torch::Tensor& log_g, int step) {
  const double neg_inf = -std::numeric_limits<double>::infinity();
  const torch::Tensor g = log_g.view_as(log_w_);
  const torch::Tensor dead = torch::isneginf(log_w_).logical_or(torch::isneginf(g));
  proposed_ = torch::where(dead, torch::full_like(log_w_, neg_inf), log_w_ + g);
  const torch::Tensor lse_new = torch::logsumexp(proposed_, 1), lse_old = torch::logsumexp(log_w_, 1);
  for (int64_t k = 0; k < log_w_.size(0); ++k) {
    const double lse = lse_new[k].item<double>();
    if (lse == neg_inf)
      throw std::runtime_error("SMC: every particle of group " + std::to_string(k) + " has weight zero after step " +
                               std::to_string(step) + " (reward -inf for all of them); no sample can be drawn");
    log_z_[static_cast<size_t>(k)] += lse - lse_old[k].item<double>();
  }
  normalized_ = torch::softmax(proposed_, 1).contiguous();
  next_.assign(static_cast<size_t>(log_w_.size(0)), torch::Tensor());
}

std::vector<double> GroupWeights::normalized(int64_t group) const {
  const double* w = normalized_[group].data_ptr<double>();
  return std::vector<double>(w, w + normalized_.size(1));
}

double GroupWeights::ess(int64_t group) const {
  double sum_sq = 0.0;
  for (double w : normalized(group)) sum_sq += w * w;
  return 1.0 / sum_sq;
}

void GroupWeights::carry_on(int64_t group) { next_[static_cast<size_t>(group)] = proposed_[group]; }

void GroupWeights::restart(int64_t group, const torch::Tensor& offspring_log_w) {
  next_[static_cast<size_t>(group)] = offspring_log_w;
  log_z_[static_cast<size_t>(group)] +=
      torch::logsumexp(offspring_log_w, 0).item<double>() - std::log(static_cast<double>(offspring_log_w.size(0)));
}

void GroupWeights::advance() { log_w_ = torch::stack(next_); }

}  // namespace glass
