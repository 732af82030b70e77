#pragma once
// One interface for rewards r(z): batched, optionally differentiable, and counted like network
// calls. Concrete rewards implement compute(); callers use operator(), which checks the result.
#include <torch/torch.h>

#include <memory>
#include <string>

namespace glass {

struct RewardCost {
  int64_t calls = 0;  // batched reward evaluations
  int64_t rows = 0;   // samples scored, summed over calls
};

class Reward {
 public:
  virtual ~Reward() = default;
  virtual std::string name() const = 0;
  // False when the reward has no useful gradient (guidance then refuses it).
  virtual bool differentiable() const { return true; }

  // z: [N, ...]. Returns r(z) as float64 [N] on z's device, differentiable when z requires grad:
  // at lambda = 1e6 a float32 reward's rounding alone would move log-weights by about a nat. NaN
  // or +inf is an error; -inf (a hard constraint) is allowed.
  torch::Tensor operator()(const torch::Tensor& z);

  const RewardCost& cost() const { return cost_; }
  void reset_cost() { cost_ = {}; }

 protected:
  virtual torch::Tensor compute(const torch::Tensor& z) = 0;

 private:
  RewardCost cost_;
};

using RewardPtr = std::shared_ptr<Reward>;

}  // namespace glass
