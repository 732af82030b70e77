#pragma once
// The exact denoiser of a Gaussian mixture under a schedule, served as a Network that predicts x0
// in flow time. Through NetworkFlowModel it drives every kernel exactly as a trained network would.
#include "glass/models/gaussian_mixture.h"
#include "glass/models/network.h"
#include "glass/schedules/schedule.h"

namespace glass {

class MixtureNetwork final : public Network {
 public:
  MixtureNetwork(GaussianMixture mixture, SchedulePtr schedule);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& timestep) override;
  std::string describe() const override;
  const GaussianMixture& mixture() const { return mixture_; }

 private:
  GaussianMixture mixture_;
  SchedulePtr schedule_;
};

}  // namespace glass
