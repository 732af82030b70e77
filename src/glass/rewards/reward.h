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

// A gradient of rewards with respect to particles [N, ...], given the values behind it ([N], or
// [N, k] per particle): rows with a value of -inf (a hard constraint: no useful direction) become
// zero; a NaN or infinite gradient where every value is finite (an overflow at a large scale) is a
// one-line std::runtime_error naming `what`, never a silent zero push.
torch::Tensor checked_reward_gradient(const torch::Tensor& gradient, const torch::Tensor& values,
                                      const std::string& what);

}  // namespace glass
