#pragma once
// The log-weights of G groups of N SMC particles and each group's log Z: carried across steps that
// do not resample, reset by a resampling; each step's increment of log-sum-exp adds to log Z. A
// resampling may change N (a funnel): every group then resamples to the new count.
#include <torch/torch.h>

#include <cstdint>
#include <vector>

namespace glass {

class GroupWeights {
 public:
  GroupWeights(int64_t groups, int64_t n);

  // Multiplies the step's potentials in (log space, [G * N]; a particle of weight zero stays at
  // zero). Throws when a whole group has weight zero (`step` names the step in the message).
  void reweight(const torch::Tensor& log_g, int step);

  const torch::Tensor& proposed() const { return proposed_; }  // after the potentials, before resampling
  std::vector<double> normalized(int64_t group) const;         // the proposed weights, summing to 1
  double ess(int64_t group) const;                             // 1 / sum of squared normalized weights

  // Then, for every group, one of:
  void carry_on(int64_t group);  // keeps its proposed weights (no resampling)
  // After a resampling to M offspring: their log-weights (0 each for a plain resampling; log w_a /
  // m_a for an allocation m). Their sum has expectation M, the plain resampling's, so log Z takes
  // the realised sum over M in: the estimate stays unbiased (each epoch counts from a mass of M).
  void restart(int64_t group, const torch::Tensor& offspring_log_w);
  // Every group carried on or restarted: their weights become the current ones.
  void advance();

  const torch::Tensor& log_weights() const { return log_w_; }  // float64 [G, N]
  const std::vector<double>& log_z() const { return log_z_; }  // per group

 private:
  torch::Tensor log_w_, proposed_, normalized_;
  std::vector<torch::Tensor> next_;
  std::vector<double> log_z_;
};

}  // namespace glass
